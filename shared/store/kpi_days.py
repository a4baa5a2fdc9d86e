"""Reading KPI day items and roll-ups in DynamoDB's wire form (shared.store.lean_reads)."""

from __future__ import annotations

from datetime import date

from shared.domain import kpis as kpi
from shared.domain.kpis import DayClose, DayRecord, Level
from shared.store import kpis as items
from shared.store import lean_reads
from shared.store.lean_reads import Raw

_LOCATION_NAMES = frozenset(kpi.LOCATION_COUNTERS)
_COORDINATOR_NAMES = frozenset(kpi.COORDINATOR_COUNTERS)
_PREFIX = len(items.COORDINATOR_ATTRIBUTE)


def number_of(raw: Raw, name: str) -> int:
    """A counter of an item as DynamoDB returned it (0 when absent)."""
    value = raw.get(name)
    return int(value["N"]) if value else 0


def close_of(raw: Raw) -> DayClose:
    """The close fields of a day item or a roll-up, in their wire form."""
    return DayClose(number_of(raw, "followups_overdue"),
                    Level(number_of(raw, "end_patients_accepted"), number_of(raw, "end_patients_incomplete")))


def counters(raw: Raw) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """A day item's or a roll-up's counters: the location's, and each coordinator's by id."""
    location: dict[str, int] = {}
    coordinators: dict[str, dict[str, int]] = {}
    accumulate(raw, 1, location, coordinators)
    return location, coordinators


def accumulate(raw: Raw, sign: int, location: dict[str, int], coordinators: dict[str, dict[str, int]]) -> None:
    """Add an item's counters times `sign` to `location` and `coordinators`, read straight from their
    wire form: this loop over every attribute of every item read is most of a group report's CPU, so
    each attribute name is parsed once per process (other attributes are skipped)."""
    for name, value in raw.items():
        parsed = _parsed.get(name, _UNPARSED)
        if parsed is _UNPARSED:
            parsed = _parse(name)
        if parsed is None:
            continue
        coordinator, counter = parsed
        totals = location if coordinator is None else coordinators.get(coordinator)
        if totals is None:
            totals = coordinators[coordinator] = {}
        totals[counter] = totals.get(counter, 0) + sign * int(value["N"])


_UNPARSED = ("", "")
_parsed: dict[str, tuple[str | None, str] | None] = {}
_MAX_PARSED = 100_000  # names are counters times coordinators: bounded, but not by this module


def _parse(name: str) -> tuple[str | None, str] | None:
    """(None, counter) for a location counter, (coordinator, counter) for a coordinator's, None else."""
    parsed: tuple[str | None, str] | None = None
    if name in _LOCATION_NAMES:
        parsed = (None, name)
    elif name.startswith(items.COORDINATOR_ATTRIBUTE):
        coordinator, _, counter = name[_PREFIX:].rpartition("#")
        if counter in _COORDINATOR_NAMES:
            parsed = (coordinator, counter)
    if len(_parsed) >= _MAX_PARSED:
        _parsed.clear()
    _parsed[name] = parsed
    return parsed


def day_records(raw: Raw, day: date) -> list[DayRecord]:
    """A day item as records: the location's (with the day's close, when closed) and one per coordinator
    with counts on it; every counter present (zeros included)."""
    location, coordinators = counters(raw)
    close = close_of(raw) if "closed_at" in raw else None
    return [DayRecord(day, {name: location.get(name, 0) for name in kpi.LOCATION_COUNTERS}, None, close),
            *(DayRecord(day, {name: counts.get(name, 0) for name in kpi.COORDINATOR_COUNTERS}, coordinator)
              for coordinator, counts in coordinators.items())]


def days(org: str, location_id: str, first: date, last: date, consistent: bool = False) -> list[DayRecord]:
    """The records of the location's day items from `first` to `last` (both local dates; at most a few
    hundred: BatchGetItem by key, 100 keys a request)."""
    keys = [items.day_key(org, location_id, day) for day in kpi.days_between(first, last)]
    found = lean_reads.batch_get(keys, consistent=consistent)
    return [record for key in keys if key in found for record in day_records(found[key], items.day_of(key[0]))]
