"""Which KPI items a date range is read from: roll-ups of whole months and of pentads (five days of a
month: 1-5, 6-10, 11-15, 16-20, 21-25, 26 to the month's end), and day items, each added or taken back.

Every counter a day item holds (its coordinators' too) is also added to its month's roll-up and to its
pentad's in the same transaction, so a roll-up equals the sum of its days. A range's counters are a
signed sum of such items: a calendar month is its roll-up, a calendar year 12 roll-ups, 30 days from
17 October to 15 November the pentad 16-20 October minus the 16th and five more pentads (7 items).
`plan` finds the fewest items for each month the range touches: a shortest path from the range's first
day to its end over the boundaries between days, where each item is an edge between its period's
boundaries, walked forwards (added) or backwards (taken back). Any 30 days are at most 10 items, 6 in
the median (every 30-day range of two years: tests/unit/test_kpi_months.py).

Pure: no storage. Days are local dates of the location.
"""

from __future__ import annotations

import calendar
import heapq
from dataclasses import dataclass
from datetime import date, timedelta

from shared.domain.kpis import days_between

PENTAD_STARTS = (1, 6, 11, 16, 21, 26)  # the first day of each of a month's pentads; the last runs to its end


def month_of(day: date) -> date:
    """The first day of `day`'s month: the key of its roll-up."""
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(frozen=True)
class Period:
    """The days an item sums: a calendar month or a pentad of one (a roll-up), or a single day."""

    first: date
    last: date

    @property
    def month(self) -> date:
        return month_of(self.first)

    @property
    def is_month(self) -> bool:
        return self.first.day == 1 and self.last == month_end(self.first)

    @property
    def is_day(self) -> bool:
        return self.first == self.last  # roll-ups span five days or more

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
class Term:
    """One item of a range's sum: a roll-up's period, or a single day (its day item), added (sign 1) or
    taken back (sign -1)."""

    period: Period
    sign: int

    @property
    def is_day(self) -> bool:
        return self.period.is_day


def _items_of_month(month: date) -> list[Period]:
    """Every item of a month: its roll-up, its pentads' and its days (the order breaks ties: smaller
    items first, so a pentad's roll-up is read before a month's of the same count)."""
    return [Period(day, day) for day in month_period(month).days] + pentads(month) + [month_period(month)]


def _month_terms(first: date, last: date) -> list[Term]:
    """The fewest items whose signed sum is the days [first, last] of one month (Dijkstra over the
    boundaries between days, by item count, then days covered: smaller items on a tie)."""
    start, goal = first.day - 1, last.day  # boundary k lies after day k
    edges: dict[int, list[tuple[int, Period, int]]] = {}
    for period in _items_of_month(first):
        low, high = period.first.day - 1, period.last.day
        edges.setdefault(low, []).append((high, period, 1))
        edges.setdefault(high, []).append((low, period, -1))
    best: dict[int, tuple[int, int]] = {start: (0, 0)}
    came: dict[int, tuple[int, Term]] = {}
    queue = [(0, 0, start)]
    while queue:
        count, size, node = heapq.heappop(queue)
        if node == goal:
            break
        if (count, size) > best[node]:
            continue
        for target, period, sign in edges[node]:
            cost = (count + 1, size + len(period.days))
            if cost < best.get(target, _UNREACHED):
                best[target], came[target] = cost, (node, Term(period, sign))
                heapq.heappush(queue, (*cost, target))
    terms, node = [], goal
    while node != start:
        node, term = came[node]
        terms.append(term)
    return terms[::-1]


_UNREACHED = (1 << 30, 0)


def plan(first: date, last: date) -> list[Term]:
    """The items of [first, last] with the fewest reads: each month the range touches on its own (no
    item spans two months), so a whole month is its roll-up."""
    terms: list[Term] = []
    month = month_of(first)
    while month <= last:
        whole = month_period(month)
        terms += _month_terms(max(first, whole.first), min(last, whole.last))
        month = whole.last + timedelta(days=1)
    return terms


def items_read(first: date, last: date) -> tuple[int, int]:
    """(roll-ups, day items) a range reads per location."""
    terms = plan(first, last)
    days = sum(term.is_day for term in terms)
    return len(terms) - days, days
