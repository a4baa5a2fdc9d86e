"""Benefit-year and calendar arithmetic on local dates (no instants: a benefit is a matter of the day)."""

from __future__ import annotations

from datetime import date

from shared.domain.installments import add_months

__all__ = ["add_months", "age_on", "benefit_year_start", "next_benefit_year_start"]


def benefit_year_start(renewal_month: int, on: date) -> date:
    """First day of the benefit year containing `on`: the 1st of the latest renewal month not after it."""
    if isinstance(renewal_month, bool) or not isinstance(renewal_month, int) or not 1 <= renewal_month <= 12:
        raise ValueError(f"renewal_month must be 1-12, got {renewal_month!r}")
    year = on.year if on.month >= renewal_month else on.year - 1
    return date(year, renewal_month, 1)


def next_benefit_year_start(renewal_month: int, on: date) -> date:
    """The renewal date after `on`: the first day of the next benefit year."""
    return add_months(benefit_year_start(renewal_month, on), 12)


def age_on(birth: date, on: date) -> int:
    """Whole years of age on `on` (a 29 February birthday counts on 1 March in other years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
