"""Which KPI items a date range is read from: month roll-ups for whole months, and for a month the range
only partly covers, whichever is fewer of its days inside the range (added) or outside it (taken from
the month's roll-up).

Every counter a day item holds is also added to its month's roll-up in the same transaction, so a month
item equals the sum of its days. A range of 30 days ending on 29 November reads 31 October (one day),
November's roll-up and 30 November (taken back), not 30 day items; a calendar year reads 12 roll-ups.

Pure: no storage. Days are local dates of the location.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from shared.domain.kpis import days_between


def month_of(day: date) -> date:
    """The first day of `day`'s month: the key of its roll-up."""
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(frozen=True)
class MonthPart:
    """One calendar month of a range: read from its roll-up minus `minus_days`, or from `plus_days`.

    `first` and `last` bound the part of the month inside the range. The roll-up is read in either
    case: it names the coordinators whose day items the edge days may have."""

    month: date
    first: date
    last: date
    from_roll_up: bool
    plus_days: tuple[date, ...] = ()  # day items added (when not from the roll-up)
    minus_days: tuple[date, ...] = ()  # day items taken from the roll-up (the month's days outside the range)

    @property
    def whole(self) -> bool:
        return self.from_roll_up and not self.minus_days

    @property
    def edge_days(self) -> tuple[date, ...]:
        """The day items this part reads besides the roll-up."""
        return self.plus_days or self.minus_days

    @property
    def edge_runs(self) -> list[tuple[date, date]]:
        """The edge days as runs of consecutive days (two when the range is inside the month), each
        (first, last): one Query each, when there are too many to read by key."""
        runs: list[tuple[date, date]] = []
        for day in self.edge_days:
            if runs and runs[-1][1] + timedelta(days=1) == day:
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        return runs


def plan(first: date, last: date) -> list[MonthPart]:
    """The months of [first, last] and how each is read, with the fewest day items: a month whose days
    outside the range are fewer than those inside is its roll-up minus those days; otherwise its days
    inside the range are added up."""
    parts: list[MonthPart] = []
    month = month_of(first)
    while month <= last:
        end = month_end(month)
        inside_first, inside_last = max(first, month), min(last, end)
        inside = days_between(inside_first, inside_last)
        outside = [*days_between(month, inside_first - timedelta(days=1)),
                   *days_between(inside_last + timedelta(days=1), end)]
        if len(outside) < len(inside):
            parts.append(MonthPart(month, inside_first, inside_last, True, minus_days=tuple(outside)))
        else:
            parts.append(MonthPart(month, inside_first, inside_last, False, plus_days=tuple(inside)))
        month = end + timedelta(days=1)
    return parts


def day_items_read(first: date, last: date) -> int:
    """Location day items the range reads besides its roll-ups (coordinators' day items of those days apart)."""
    return sum(len(part.edge_days) for part in plan(first, last))
