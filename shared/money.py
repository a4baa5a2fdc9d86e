"""Money is integer cents. Every rounding is explicit and half-up, done on Decimal, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: Decimal) -> int:
    """Round a Decimal amount of cents to whole cents, halves away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(cents: int, percent: int | Decimal) -> int:
    """`percent`% of `cents`, rounded half-up to whole cents."""
    return round_half_up(Decimal(cents) * Decimal(percent) / Decimal(100))


def require_cents(value: object, field: str = "amount") -> int:
    """Accept only a Python int (not bool, not float) as an amount of cents."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} must be integer cents, got {type(value).__name__}")
    return value
