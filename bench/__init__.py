"""Benchmarks that print their figures (never assert them): `python -m bench [cold_import|patients]`."""
