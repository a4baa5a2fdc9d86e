"""Benefit-year and calendar arithmetic on local dates (no instants: a benefit is a matter of the day)."""

from __future__ import annotations

import calendar
from datetime import date


def benefit_year_start(renewal_month: int, on: date) -> date:
    """First day of the benefit year containing `on`: the 1st of the latest renewal month not after it."""
    if isinstance(renewal_month, bool) or not isinstance(renewal_month, int) or not 1 <= renewal_month <= 12:
        raise ValueError(f"renewal_month must be 1-12, got {renewal_month!r}")
    year = on.year if on.month >= renewal_month else on.year - 1
    return date(year, renewal_month, 1)


def next_benefit_year_start(renewal_month: int, on: date) -> date:
    """The renewal date after `on`: the first day of the next benefit year."""
    return add_months(benefit_year_start(renewal_month, on), 12)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, the day of month clamped to the target month's length (Jan 31 + 1 ->
    Feb 28/29), the way insurers count waiting periods and "once per N months"."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def age_on(birth: date, on: date) -> int:
    """Whole years of age on `on` (a 29 February birthday counts on 1 March in other years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
