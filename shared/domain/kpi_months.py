"""Which KPI items a date range is read from: roll-ups of whole months and of pentads (five days of a
month: 1-5, 6-10, 11-15, 16-20, 21-25, 26 to the month's end), and the days at the range's edges.

Every counter a day item holds is also added to its month's roll-up and to its pentad's in the same
transaction, so a roll-up equals the sum of its days. A calendar month reads one roll-up, a calendar
year 12. A month the range covers in part is read either as its roll-up minus the days outside the
range (when they are few) or pentad by pentad: a pentad wholly inside is its roll-up; one the range
cuts is whichever is fewer of its days inside the range (added) or outside it (taken from its roll-up).
So any range has at most a few edge days at each end (two in a five-day pentad, three in a six-day one):
30 days from 17 October to 15 November read 16-20 October minus the 16th, four pentads and no other day.

Pure: no storage. Days are local dates of the location.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from shared.domain.kpis import days_between

PENTAD_STARTS = (1, 6, 11, 16, 21, 26)  # the first day of each of a month's pentads; the last runs to its end
DAY_WEIGHT = 3  # what an edge day costs to read against a roll-up: its item and its coordinators' items


def month_of(day: date) -> date:
    """The first day of `day`'s month: the key of its roll-up."""
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(frozen=True)
class Period:
    """The days a roll-up sums: a calendar month, or a pentad of one."""

    first: date
    last: date

    @property
    def month(self) -> date:
        return month_of(self.first)

    @property
    def is_month(self) -> bool:
        return self.first.day == 1 and self.last == month_end(self.first)

    @property
    def days(self) -> list[date]:
        return days_between(self.first, self.last)


def month_period(day: date) -> Period:
    return Period(month_of(day), month_end(day))


def pentads(month: date) -> list[Period]:
    end = month_end(month)
    starts = [month.replace(day=start) for start in PENTAD_STARTS]
    return [Period(start, (starts[i + 1] - timedelta(days=1)) if i + 1 < len(starts) else end)
            for i, start in enumerate(starts)]


def pentad_of(day: date) -> Period:
    return next(period for period in pentads(month_of(day)) if period.first <= day <= period.last)


def periods_of(day: date) -> tuple[Period, Period]:
    """The roll-ups a day's counters are added to: its month's and its pentad's."""
    return month_period(day), pentad_of(day)


@dataclass(frozen=True)
class Part:
    """One roll-up's period of a range: read from its roll-up minus `minus_days`, or from `plus_days`.

    `first` and `last` bound the part of the period inside the range. The roll-up is read in either
    case: it names the coordinators whose day items the edge days may have."""

    period: Period
    first: date
    last: date
    from_roll_up: bool
    plus_days: tuple[date, ...] = ()  # day items added (when not from the roll-up)
    minus_days: tuple[date, ...] = ()  # day items taken from the roll-up (the period's days outside the range)

    @property
    def month(self) -> date:
        return self.period.month

    @property
    def whole(self) -> bool:
        return self.from_roll_up and not self.minus_days

    @property
    def edge_days(self) -> tuple[date, ...]:
        """The day items this part reads besides the roll-up."""
        return self.plus_days or self.minus_days

    @property
    def cost(self) -> int:
        return 1 + DAY_WEIGHT * len(self.edge_days)


def _part(period: Period, first: date, last: date) -> Part:
    """The range's days [first, last] of `period` (inside it), from the fewer day items: the days
    themselves, or the roll-up minus the period's other days."""
    inside = days_between(first, last)
    outside = [day for day in period.days if not first <= day <= last]
    if len(outside) < len(inside):
        return Part(period, first, last, True, minus_days=tuple(outside))
    return Part(period, first, last, False, plus_days=tuple(inside))


def plan(first: date, last: date) -> list[Part]:
    """The roll-ups and days of [first, last], with the fewest items: each month wholly inside is its
    roll-up; a month cut by the range is its roll-up minus the days outside, or its pentads (each whole,
    or cut as `_part` says), whichever reads less."""
    parts: list[Part] = []
    month = month_of(first)
    while month <= last:
        whole = month_period(month)
        inside_first, inside_last = max(first, whole.first), min(last, whole.last)
        by_month = [_part(whole, inside_first, inside_last)]
        by_pentads = [_part(pentad, max(inside_first, pentad.first), min(inside_last, pentad.last))
                      for pentad in pentads(month) if pentad.first <= inside_last and inside_first <= pentad.last]
        # On a tie, pentads: their roll-ups are smaller than the month's.
        parts += min(by_pentads, by_month, key=lambda chosen: sum(part.cost for part in chosen))
        month = whole.last + timedelta(days=1)
    return parts


def day_items_read(first: date, last: date) -> int:
    """Location day items the range reads besides its roll-ups (coordinators' day items of those days apart)."""
    return sum(len(part.edge_days) for part in plan(first, last))
