"""Reading a date range of KPI items for many locations at once: month and pentad roll-ups and edge days,
by key; and the group's locations as a report needs them.

`shared.domain.kpi_months.plan` says which items a range needs. Their keys are known, except the
coordinators' day items of the edge days, whose coordinators the roll-ups name. So a report reads in
two rounds of BatchGetItem (100 keys a request, several requests at once): the roll-ups, the location's
edge days and the running levels; then the coordinators' edge days. No Query, no Scan.

What is read becomes `DayRecord`s whose sum over the range equals the sum of the range's day items:
a roll-up as one location record and one per coordinator (their closes per day as records of that
day), edge days added or taken back (negated), the latest close inside the range as a record of its
day. `shared.domain.kpis.summarize` adds them up as it would add the days.

Lean parsing: botocore checks every attribute value of an answer against the service model, which
costs more CPU than everything else a report does. The answers of these reads are handed over as
DynamoDB's JSON (attribute values stay in their wire form, which is what the code below reads), and
botocore parses only the rest of the answer.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.domain import kpis as kpi
from shared.domain.kpi_months import Part, plan
from shared.domain.kpis import DayRecord, Level
from shared.store import kpis as items
from shared.store.table import Record

BATCH_KEYS = 100  # DynamoDB's limit of keys in one BatchGetItem
Raw = Mapping[str, Mapping[str, Any]]
Key = tuple[str, str]

# ---- lean answers -------------------------------------------------------------------------------------

_lean = threading.local()
_LEAN_HANDLER = "chairside-kpi-raw-items"


def _hand_over_items(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    """botocore's before-parse hook: while this thread reads KPI items, take the items out of the answer
    before botocore parses it and give them back as they came (the JSON of DynamoDB's wire form)."""
    if not getattr(_lean, "active", False) or response_dict.get("status_code") != 200:
        return
    body = json.loads(response_dict["body"])
    for name in ("Responses", "Items"):  # BatchGetItem's, Query's (the locations')
        if name in body:
            customized_response_dict[name] = body.pop(name)
            response_dict["body"] = json.dumps(body).encode()


def _install_lean_answers() -> None:
    """Register the hook on the table's client (once per client: a unique id), before any thread reads."""
    client = Record._get_connection().connection.client
    for operation in ("BatchGetItem", "Query"):
        client.meta.events.register(f"before-parse.dynamodb.{operation}", _hand_over_items,
                                    unique_id=f"{_LEAN_HANDLER}-{operation}")


@contextmanager
def _lean_answers() -> Iterator[None]:
    _lean.active = True
    try:
        yield
    finally:
        _lean.active = False


Read = Callable[[], list[Raw]]  # one request's worth of reading (a BatchGetItem of 100 keys)


def batch_get(keys: Sequence[Key], concurrency: int = 8) -> dict[Key, Raw]:
    """The items of these keys (absent ones left out), as DynamoDB's wire-form attribute maps: requests
    of 100 keys, `concurrency` at a time, unprocessed keys asked again."""
    return _gather(_key_reads(keys), concurrency)


def _key_reads(keys: Sequence[Key]) -> list[Read]:
    return [functools.partial(_get_chunk, keys[i:i + BATCH_KEYS]) for i in range(0, len(keys), BATCH_KEYS)]


def _gather(reads: Sequence[Read], concurrency: int) -> dict[Key, Raw]:
    """Run the reads, `concurrency` at a time; their items by key."""
    found: dict[Key, Raw] = {}
    if not reads:
        return found
    _install_lean_answers()
    if len(reads) == 1 or concurrency <= 1:
        pages = [read() for read in reads]
    else:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(reads))) as pool:
            pages = list(pool.map(lambda read: read(), reads))
    for page in pages:
        for raw in page:
            found[(raw["pk"]["S"], raw["sk"]["S"])] = raw
    return found


def _get_chunk(keys: Sequence[Key]) -> list[Raw]:
    table = Record._get_connection()
    wanted = [{"pk": pk, "sk": sk} for pk, sk in keys]
    found: list[Raw] = []
    with _lean_answers():
        for attempt in range(8):
            answer = table.batch_get_item(wanted)
            found += answer.get("Responses", {}).get(Record.Meta.table_name, [])
            unprocessed = answer.get("UnprocessedKeys", {}).get(Record.Meta.table_name, {}).get("Keys", [])
            if not unprocessed:
                return found
            wanted = [{"pk": key["pk"]["S"], "sk": key["sk"]["S"]} for key in unprocessed]
            time.sleep(0.05 * 2 ** attempt)  # DynamoDB's advice for unprocessed keys: back off, then ask again
    raise RuntimeError(f"DynamoDB left {len(wanted)} keys unprocessed after 8 attempts")


def locations(org: str) -> list[dict[str, str]]:
    """The group's locations as a report shows them (id, name, time zone): one Query of the group's
    location items (paged beyond 1 MB), projected to those fields, read lean."""
    from shared.store import locations as location_store

    table = Record._get_connection()
    found: list[dict[str, str]] = []
    start: dict | None = None
    _install_lean_answers()
    with _lean_answers():
        while True:
            page = table.query(location_store.pk(org), exclusive_start_key=start,
                               attributes_to_get=["kind", "doc.id", "doc.name", "doc.timezone"])
            found += [{name: value["S"] for name, value in raw["doc"]["M"].items()}
                      for raw in page.get("Items", []) if raw.get("kind", {}).get("S") == "location"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return found


# ---- items as records -----------------------------------------------------------------------------------


@dataclass
class RollUp:
    """A roll-up as read: the location's counters, each coordinator's (patients closed apart), their
    patients closed per day inside the range, and the roll-up's latest close."""

    location: dict[str, int] = field(default_factory=dict)
    coordinators: dict[str, dict[str, int]] = field(default_factory=dict)  # every coordinator it names
    closes: dict[str, dict[date, int]] = field(default_factory=dict)  # per coordinator, days inside the range
    latest_close: DayRecord | None = None


def roll_up(raw: Raw | None, part: Part) -> RollUp:
    """Read straight from the wire form: a roll-up has an attribute per counter that moved, per
    coordinator, and per coordinator and day with closes, so this loop is most of a report's CPU."""
    found = RollUp()
    if raw is None:
        return found
    dates = kpi.days_between(part.month, part.last)  # day numbers to dates, the range's part only
    first_day, last_day = part.first.day, len(dates)
    location, coordinators, closes = found.location, found.coordinators, found.closes
    for name, value in raw.items():
        if name in _LOCATION_NAMES:
            location[name] = int(value["N"])
        elif name.startswith(items.COORDINATOR_ATTRIBUTE):
            coordinator, _, counter = name[_PREFIX:].rpartition("#")
            if counter.isdigit():  # c#{coordinator}#patients_closed#{dd}
                coordinator = coordinator[:_CLOSED_CUT]
                if coordinator not in coordinators:
                    coordinators[coordinator] = {}
                if first_day <= (day_number := int(counter)) <= last_day:
                    closes.setdefault(coordinator, {})[dates[day_number - 1]] = int(value["N"])
            elif coordinator in coordinators:
                coordinators[coordinator][counter] = int(value["N"])
            else:
                coordinators[coordinator] = {counter: int(value["N"])}
    if items.ROLL_UP_CLOSE_DAY in raw:
        found.latest_close = DayRecord(date.fromisoformat(raw[items.ROLL_UP_CLOSE_DAY]["S"]), {}, None,
                                       items.close_of(raw))
    return found


_LOCATION_NAMES = frozenset(kpi.LOCATION_COUNTERS)
_NO_ROLL_UP = RollUp()  # a period with no roll-up (nothing counted in it)
_PREFIX = len(items.COORDINATOR_ATTRIBUTE)
_CLOSED_CUT = -len(items.CLOSED) - 1  # '{coordinator}#patients_closed' -> '{coordinator}'


def _taken_back(record: DayRecord) -> DayRecord:
    """A day outside the range, to take from its period's roll-up (closes per day are picked by day
    from the roll-up, so they are left out here)."""
    return DayRecord(record.day, {name: -amount for name, amount in record.counts.items() if name != items.CLOSED},
                     record.coordinator_id)


# ---- a range for many locations -------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeRead:
    """What a range read found per location, and how many items it read."""

    records: dict[str, list[DayRecord]]
    levels: dict[str, Level]
    items_read: int


def read_range(org: str, location_ids: Sequence[str], first: date, last: date, live_ids: Sequence[str] = (),
               concurrency: int = 8) -> RangeRead:
    """The records of [first, last] (local dates) of each location, and the running levels of `live_ids`
    (the locations whose range reaches their today)."""
    parts = plan(first, last)
    keys: list[Key] = []
    for location_id in location_ids:
        key = items.pk(org, location_id)
        keys += [(key, items.roll_up_sk(part.period)) for part in parts]
        keys += [(key, items.day_sk(day)) for part in parts for day in part.edge_days]
    keys += [(items.pk(org, location_id), items.LEVEL) for location_id in live_ids]
    found = batch_get(keys, concurrency)
    periods = {location_id: [roll_up(found.get((items.pk(org, location_id), items.roll_up_sk(part.period))), part)
                             for part in parts] for location_id in location_ids}
    second = [key for location_id in location_ids
              for key in _second_round(items.pk(org, location_id), parts, periods[location_id])]
    found.update(batch_get(second, concurrency))
    days = _days_by_location(found)
    records = {location_id: _records(parts, periods[location_id], days.get(items.pk(org, location_id), {}))
               for location_id in location_ids}
    levels = {location_id: _level(found.get((items.pk(org, location_id), items.LEVEL))) for location_id in live_ids}
    return RangeRead(records, levels, len(found))


def reads_per_location(first: date, last: date) -> tuple[int, int]:
    """(roll-ups, edge days) that a range reads per location, by key, coordinators' items apart."""
    parts = plan(first, last)
    return len(parts), sum(len(part.edge_days) for part in parts)


def _second_round(key: str, parts: Sequence[Part], roll_ups: Sequence[RollUp]) -> Iterator[Key]:
    """The coordinators' edge days (the roll-up names its coordinators), and the in-range days of a
    period whose latest close is after the range (to find the latest close inside it)."""
    for part, read in zip(parts, roll_ups, strict=True):
        for coordinator in read.coordinators:
            yield from ((key, items.coordinator_sk(day, coordinator)) for day in part.edge_days)
        if _close_unknown(part, read):
            yield from ((key, items.day_sk(day)) for day in kpi.days_between(part.first, part.last))


def _close_unknown(part: Part, read: RollUp) -> bool:
    """A roll-up's latest close is after the range: which in-range day closed last, only the days know."""
    return part.from_roll_up and read.latest_close is not None and read.latest_close.day > part.last


DaysFound = Mapping[date, Sequence[DayRecord]]


def _days_by_location(found: Mapping[Key, Raw]) -> dict[str, dict[date, list[DayRecord]]]:
    """The day items read, as records by partition and day."""
    days: dict[str, dict[date, list[DayRecord]]] = {}
    for (pk, sk), raw in found.items():
        if sk.startswith(items.DAY):
            record = items.day_record(raw)
            days.setdefault(pk, {}).setdefault(record.day, []).append(record)
    return days


def _records(parts: Sequence[Part], roll_ups: Sequence[RollUp], days: DaysFound) -> list[DayRecord]:
    records: list[DayRecord] = []
    for part, read in zip(parts, roll_ups, strict=True):
        if not part.from_roll_up:
            records += [record for day in part.plus_days for record in days.get(day, ())]
            continue
        records.append(DayRecord(part.period.first, read.location))
        records += [DayRecord(part.period.first, counts, coordinator, closes=read.closes.get(coordinator, {}))
                    for coordinator, counts in read.coordinators.items()]
        records += [_taken_back(record) for day in part.minus_days for record in days.get(day, ())]
        records += _latest_close(part, read, days)
    return records


def _latest_close(part: Part, read: RollUp, days: DaysFound) -> list[DayRecord]:
    """The latest close of the roll-up's period inside the range, as a record with no counts (or none)."""
    latest = read.latest_close
    if latest is None or latest.day < part.first:
        return []
    if latest.day <= part.last:
        return [latest]
    closed = [record for day in kpi.days_between(part.first, part.last) for record in days.get(day, ())
              if record.coordinator_id is None and record.close is not None]
    return [DayRecord(record.day, {}, None, record.close) for record in closed[-1:]]


def _level(raw: Raw | None) -> Level:
    if raw is None:
        return Level()
    return Level(items.number_of(raw, "patients_accepted"), items.number_of(raw, "patients_incomplete"))
