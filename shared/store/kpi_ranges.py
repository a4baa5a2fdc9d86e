"""Reading a date range of KPI items for many locations at once: the items of the range's plan (month and
pentad roll-ups, days), each added or taken back; and the group's locations as a report needs them.

`shared.domain.kpi_months.plan` says which items a range needs. Each is kept in a partition of its
period shared by the group's locations (shared.store.kpis), so a report of many locations reads each
item with one Query of its partition (all requests at once, a few at a time), and a report of a few
locations by key (BatchGetItem, 100 keys a request). Either way one round, and the running levels by key
when the range reaches today. One more round only when a range ends before the latest close of a roll-up
it adds (a past range): then the range's days of that period are read to find the latest close in it.

What is read becomes `DayRecord`s whose sum equals the sum of the range's day items: the items' counters
times their signs, summed as one location record and one per coordinator, and the latest close inside
the range as a record of its day. `shared.domain.kpis.summarize` adds them up as it would add the days.
Answers stay in DynamoDB's wire form (shared.store.lean_reads).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from shared.domain import kpis as kpi
from shared.domain.kpi_months import Term, plan
from shared.domain.kpis import DayRecord, Level
from shared.store import kpis as items
from shared.store import lean_reads
from shared.store.kpi_days import accumulate, close_of, number_of
from shared.store.lean_reads import Key, Raw

QUERY_SHARE = 2  # Query a period's partition when the report shows at least 1/2 of the group's locations


def locations(org: str) -> list[dict[str, str]]:
    """The group's locations as a report shows them (id, name, time zone): one Query of the group's
    location items (paged beyond 1 MB), projected to those fields, read lean."""
    from shared.store import locations as location_store

    read = lean_reads.partition_read(location_store.pk(org), ["kind", "doc.id", "doc.name", "doc.timezone"])
    return [{name: value["S"] for name, value in raw["doc"]["M"].items()}
            for raw in read() if raw.get("kind", {}).get("S") == "location"]


# ---- items as records -----------------------------------------------------------------------------------


def _day_close(day: date, raw: Raw | None) -> DayRecord | None:
    """A day item's own close (None until the day is closed), as a record with no counts."""
    return DayRecord(day, {}, None, close_of(raw)) if raw is not None and "closed_at" in raw else None


def _latest_close(term: Term, raw: Raw | None) -> DayRecord | None:
    """A roll-up's latest close, or a day item's own close."""
    if term.is_day:
        return _day_close(term.period.first, raw)
    if raw is None or items.ROLL_UP_CLOSE_DAY not in raw:
        return None
    return DayRecord(date.fromisoformat(raw[items.ROLL_UP_CLOSE_DAY]["S"]), {}, None, close_of(raw))


# ---- a range for many locations -------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeRead:
    """What a range read found per location, and how many items it read."""

    records: dict[str, list[DayRecord]]
    levels: dict[str, Level]
    items_read: int


@dataclass
class _Sum:
    """One location's range, summed as its items arrive: counters times the items' signs, the latest
    close of each added item inside the range, and the days still to read for a close."""

    location: dict[str, int] = field(default_factory=dict)
    coordinators: dict[str, dict[str, int]] = field(default_factory=dict)
    closes: list[DayRecord] = field(default_factory=list)
    unknown: list[tuple[date, date]] = field(default_factory=list)

    def add(self, term: Term, raw: Raw, first: date, last: date) -> None:
        accumulate(raw, term.sign, self.location, self.coordinators)
        if term.sign < 0:
            return
        low, high = max(term.period.first, first), min(term.period.last, last)  # its days inside the range
        latest = _latest_close(term, raw)
        if latest is not None and low <= latest.day <= high:
            self.closes.append(latest)
        elif latest is not None and latest.day > high >= low:
            self.unknown.append((low, high))  # which of them closed last, only the days know

    def records(self, first: date) -> list[DayRecord]:
        """One location record and one per coordinator (dated by the range's first day), and the
        closes (summarize takes the latest)."""
        return [DayRecord(first, self.location),
                *(DayRecord(first, counts, coordinator) for coordinator, counts in self.coordinators.items()),
                *self.closes]


def read_range(org: str, location_ids: Sequence[str] | None, first: date, last: date,
               live_ids: Sequence[str] | None = (), concurrency: int = 8, group_size: int | None = None) -> RangeRead:
    """The records of [first, last] (local dates) of each location, and the running levels of `live_ids`
    (the locations whose range reaches their today). `location_ids` None: every location of the group
    (read before the caller knows them); `live_ids` None: the levels of every location read.
    `group_size`: the group's locations, when the caller may be shown only some (a Query of a partition
    reads them all; the others are skipped). Each answer is summed as it arrives, while DynamoDB still
    answers the others."""
    planned = {items.period_pk(org, term.period): term for term in plan(first, last)}
    level_partition = items.level_pk(org)
    if location_ids is None or (len(location_ids) > 1
                                and len(location_ids) * QUERY_SHARE >= (group_size or len(location_ids))):
        partitions = [*planned, level_partition] if live_ids is None or live_ids else list(planned)
        reads = [lean_reads.partition_read(partition) for partition in partitions]
    else:
        reads = lean_reads.key_reads([(partition, location_id) for location_id in location_ids
                                      for partition in planned] + [(level_partition, i) for i in live_ids or ()])
    sums = {location_id: _Sum() for location_id in location_ids or ()}
    found_levels: dict[str, Raw] = {}
    read = 0
    for page in lean_reads.pages(reads, concurrency):
        read += len(page)
        for raw in page:
            key, location_id = raw["pk"]["S"], raw["sk"]["S"]
            if location_ids is not None and location_id not in sums:
                continue  # a location the report does not show
            term = planned.get(key)
            if term is None:
                found_levels[location_id] = raw
            else:
                (sums.get(location_id) or sums.setdefault(location_id, _Sum())).add(term, raw, first, last)
    unknown = [items.day_key(org, location_id, day) for location_id, summed in sums.items()
               for low, high in summed.unknown for day in kpi.days_between(low, high)]
    days = lean_reads.batch_get(unknown, concurrency)
    for location_id, summed in sums.items():
        summed.closes += [_latest_close_of_days(org, location_id, low, high, days) for low, high in summed.unknown]
    levels = found_levels if live_ids is None else {i: found_levels.get(i) for i in live_ids}
    return RangeRead({location_id: summed.records(first) for location_id, summed in sums.items()},
                     {location_id: _level(raw) for location_id, raw in levels.items()}, read + len(days))


def _latest_close_of_days(org: str, location_id: str, low: date, high: date, found: Mapping[Key, Raw]) -> DayRecord:
    """The latest close among the days [low, high] read, as a record with no counts (with no close
    when none of them closed)."""
    for day in reversed(kpi.days_between(low, high)):
        if (closed := _day_close(day, found.get(items.day_key(org, location_id, day)))) is not None:
            return closed
    return DayRecord(low, {})


def _level(raw: Raw | None) -> Level:
    if raw is None:
        return Level()
    return Level(number_of(raw, "patients_accepted"), number_of(raw, "patients_incomplete"))
