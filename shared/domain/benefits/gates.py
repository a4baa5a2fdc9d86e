"""The gates of one coverage: a procedure it will not pay for at all on a given day, each with its
limit name and a sentence. Every gate that shuts is reported, not only the first.

- excluded: the code is on the coverage's exclusion list.
- age: an age limit names the code and the patient is older than its `max_age` on the service date.
- waiting_period: the service date falls before effective date + the waiting months of the category.
- frequency: the services counted in the limit's period (history, completed steps, and earlier lines of
  the same plan that this coverage would pay for) already reach `count`. Periods: the benefit year or
  calendar year of the service date, the patient's lifetime, or `months`: a service less than that many
  months before or after this one (insurers space them, "once every 6 months").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from shared.domain.benefits import wording
from shared.domain.benefits.coverage import Coverage, FrequencyLimit, Period
from shared.domain.benefits.years import add_months, age_on, benefit_year_start
from shared.domain.catalog import category_for


@dataclass(frozen=True)
class Service:
    """A procedure on a day, for counting: from the history or an earlier line of the plan."""

    code: str
    tooth: str | None
    date: date


@dataclass(frozen=True)
class Shut:
    limit: str
    reason: str


def gates(coverage: Coverage, code: str, tooth: str | None, on: date, birth: date | None,
          services: Sequence[Service]) -> list[Shut]:
    """Every gate of `coverage` that shuts for `code` (on `tooth`) on `on`; empty when all are open."""
    shut: list[Shut] = []
    name = wording.procedure_name(code)
    if code in coverage.excluded_codes:
        shut.append(Shut("excluded", f"{coverage.carrier} does not cover {name}."))
    if birth is not None:
        age = age_on(birth, on)
        for limit in coverage.age_limits:
            if code in limit.codes and age > limit.max_age:
                shut.append(Shut("age", f"{name} is covered through age {limit.max_age}; the patient is {age} "
                                        f"on {on.isoformat()}."))
                break
    category = category_for(code).value
    months = coverage.waiting_periods.get(category, 0)
    if months and coverage.effective_date is not None:
        ends = add_months(coverage.effective_date, months)
        if on < ends:
            shut.append(Shut("waiting_period", f"{wording.CATEGORY_NAMES[category]} have a {months}-month waiting "
                                               f"period with {coverage.carrier}, until {ends.isoformat()}."))
    for limit in coverage.frequency_limits:
        if limit.covers(code):
            counted = counted_services(limit, coverage.renewal_month, tooth, on, services)
            if len(counted) >= limit.count:
                dates = sorted(service.date.isoformat() for service in counted)
                shut.append(Shut("frequency", wording.frequency_sentence(limit, dates) + "."))
    return shut


def counted_services(limit: FrequencyLimit, renewal_month: int, tooth: str | None, on: date,
                     services: Sequence[Service]) -> list[Service]:
    """The services that count toward `limit` for a procedure on `tooth` on `on`."""
    months = limit.months or 0
    after, before = add_months(on, -months), add_months(on, months)
    start = benefit_year_start(renewal_month, on)

    def in_period(day: date) -> bool:
        if limit.period is Period.BENEFIT_YEAR:
            return benefit_year_start(renewal_month, day) == start
        if limit.period is Period.CALENDAR_YEAR:
            return day.year == on.year
        if limit.period is Period.MONTHS:
            return after < day < before
        return True

    return [service for service in services
            if limit.covers(service.code) and (not limit.per_tooth or service.tooth == tooth)
            and in_period(service.date)]
