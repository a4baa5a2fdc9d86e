"""The benefits engine (DESIGN.md "Benefits engine"): coverages, benefit years, usage, the estimate per
coverage with its gates and coordination of benefits, and phasing across benefit years.

Modules: `coverage` (the coverage model and its one validation), `fields` (the field kinds it is built
from, each with its check and JSON Schema), `years` (benefit-year and month arithmetic), `usage` (the
usage ledger and procedure history), `gates` (excluded, age, waiting period, frequency), `wording` (the
sentences a patient reads), `engine` (the estimate), `phasing` (this benefit year or the next).
"""
