"""GET /kpis for a group of 200 locations: latency, DynamoDB requests, items and read capacity per call.

The KPI items are seeded directly (batch writes of the items the KPI write path makes: a day item per
location and day with its coordinators' counters on it, each location's running levels), then the month
and pentad roll-ups are built from them by the backfill (infra/kpi_backfill.py, which tests show builds
what the write path keeps). What is measured is the read: a report reads the items of its range's plan
(shared.domain.kpi_months: roll-ups and days, each added or taken back), one Query of each item's
partition, which holds the whole group's. Ranges: the 30 days to today (the issue's figure; how many
items it needs depends on today's date: 1 to 10), 30 days ending on the 15th (7 items), 30 days ending
on the day of the last 40 whose plan has the most items, a calendar month, and a calendar year over
fewer locations. It also measures what a day's counters cost to write: the item updates of one
transaction and the write units DynamoDB Local reports for it, and for each of its items alone.
Calls go through Chalice's in-process test client (JWT verification, validation, the service, the
store) against a fresh in-memory DynamoDB Local, or an endpoint given with --endpoint (a table of its
own, deleted after). Every read is sent with ReturnConsumedCapacity=TOTAL, so the read capacity units
DynamoDB Local reports are summed per call (eventually consistent reads: 0.5 RCU per 4 KB).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    DynamoDBCounter,
    Latency,
    dynamodb_endpoint,
    heading,
    machine_line,
    per_call,
    prepare_in_process,
)
from bench.kpi_seed import seed

DEFAULT_LOCATIONS = 200
DEFAULT_DAYS = 30
DEFAULT_COORDINATORS = 3  # per location; each closes on about half the days
DEFAULT_REPEATS = 5
DEFAULT_YEAR_LOCATIONS = 20  # a year of day items for 200 locations takes minutes to seed
READS = frozenset({"Query", "GetItem", "BatchGetItem", "TransactGetItems"})
WRITES = frozenset({"TransactWriteItems", "UpdateItem"})


class ReadMeter:
    """Items returned and read capacity consumed by every read pynamodb makes (asks DynamoDB for
    ReturnConsumedCapacity=TOTAL). Installed inside a DynamoDBCounter, so both see every call."""

    def __init__(self) -> None:
        self.items = 0
        self.kpi_items = 0  # of which KPI items (the rest: locations, settings)
        self.capacity = 0.0
        self.write_capacity = 0.0
        self._original: Any = None

    def install(self) -> ReadMeter:
        from pynamodb.connection.base import Connection

        original = Connection._make_api_call
        meter = self

        def metered(connection: Any, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
            if operation_name in READS | WRITES:
                operation_kwargs = {**operation_kwargs, "ReturnConsumedCapacity": "TOTAL"}
            answer = original(connection, operation_name, operation_kwargs)
            if operation_name in READS:
                meter._count(operation_name, answer)
            elif operation_name in WRITES:
                meter.write_capacity += _capacity(answer)
            return answer

        self._original = original
        Connection._make_api_call = metered  # type: ignore[method-assign]
        return self

    def _count(self, operation_name: str, answer: dict[str, Any]) -> None:
        if operation_name == "Query":
            found = answer.get("Items", [])
        elif operation_name == "GetItem":
            found = [answer["Item"]] if answer.get("Item") else []
        elif operation_name == "BatchGetItem":
            found = [item for items in answer.get("Responses", {}).values() for item in items]
        else:
            found = [response["Item"] for response in answer.get("Responses", []) if response.get("Item")]
        self.items += len(found)
        self.kpi_items += sum(1 for item in found if "#KPI" in item.get("pk", {}).get("S", ""))
        self.capacity += _capacity(answer)

    def uninstall(self) -> None:
        from pynamodb.connection.base import Connection

        if self._original is not None:
            Connection._make_api_call = self._original  # type: ignore[method-assign]
            self._original = None

    def take_writes(self) -> float:
        taken, self.write_capacity = self.write_capacity, 0.0
        return taken

    def take(self) -> tuple[int, int, float]:
        taken = self.items, self.kpi_items, self.capacity
        self.items, self.kpi_items, self.capacity = 0, 0, 0.0
        return taken


def _capacity(answer: dict[str, Any]) -> float:
    consumed = answer.get("ConsumedCapacity") or []
    entries = consumed if isinstance(consumed, list) else [consumed]
    return sum(float(entry.get("CapacityUnits", 0)) for entry in entries)


@dataclass
class Phase:
    name: str
    seconds: list[float] = field(default_factory=list)
    ddb_calls: Counter[str] = field(default_factory=Counter)
    ddb_seconds: float = 0.0
    items: int = 0
    kpi_items: int = 0
    capacity: float = 0.0
    body_bytes: int = 0

    def line(self, width: int) -> str:
        n = len(self.seconds)
        latency = Latency.of_seconds(self.seconds)
        ddb_ms = self.ddb_seconds / n * 1000
        return (f"{self.name:<{width}}  n {n:>2}  p50 {latency.p50:7.1f} ms  p95 {latency.p95:7.1f} ms  "
                f"ddb {ddb_ms:7.1f} ms  items/call {self.items / n:6.0f} (KPI {self.kpi_items / n:6.0f})  "
                f"RCU/call {self.capacity / n:6.1f}  "
                f"body {self.body_bytes / n / 1024:5.1f} KiB  ddb/call {per_call(self.ddb_calls, n)}")


class Api:
    def __init__(self, client: Any, token: str, counter: DynamoDBCounter, meter: ReadMeter) -> None:
        self.client, self.token, self.counter, self.meter = client, token, counter, meter

    def get(self, phase: Phase, path: str, accept: str = "application/json") -> bytes:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": accept}
        self.counter.take()
        self.meter.take()
        started = time.perf_counter()
        response = self.client.http.get(path, headers=headers)
        phase.seconds.append(time.perf_counter() - started)
        calls, ddb_seconds = self.counter.take()
        items, kpi_items, capacity = self.meter.take()
        phase.ddb_calls.update(calls)
        phase.ddb_seconds += ddb_seconds
        phase.items += items
        phase.kpi_items += kpi_items
        phase.capacity += capacity
        phase.body_bytes += len(response.body)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.body[:500]!r}")
        return response.body


def spans(today: date, days: int) -> dict[str, tuple[date, date]]:
    """The ranges timed: the issue's (the `days` days to today); the same length ending on the 15th
    (about half in each of two months); ending on the day of the last 40 whose plan reads the most items;
    and the last whole calendar month."""
    from shared.domain.kpi_months import items_read

    fifteenth = today.replace(day=15) if today.day >= 15 else (today.replace(day=1) - timedelta(days=1)).replace(day=15)
    month_end = today.replace(day=1) - timedelta(days=1)
    ends = [today - timedelta(days=back) for back in range(40)]
    most = max(ends, key=lambda end: (sum(items_read(end - timedelta(days=days - 1), end)), end))
    return {"to today": (today - timedelta(days=days - 1), today),
            "to the 15th": (fifteenth - timedelta(days=days - 1), fifteenth),
            "the most items": (most - timedelta(days=days - 1), most),
            "calendar month": (month_end.replace(day=1), month_end)}


def scenario(api: Api, ids: list[str], ranges: dict[str, tuple[date, date]], repeats: int) -> list[Phase]:
    phases = []
    for name, (first, last) in ranges.items():
        span = f"from={first.isoformat()}&to={last.isoformat()}"
        group = Phase(f"group {len(ids)}, {name} ({first:%m-%d}..{last:%m-%d}; {_plan_text(first, last)})")
        for _ in range(repeats):
            report = json.loads(api.get(group, f"/kpis?{span}"))
        if len(report["locations"]) != len(ids) or report["group"]["location_count"] != len(ids):
            raise RuntimeError(f"the report shows {len(report['locations'])} locations, not {len(ids)}")
        phases.append(group)
    first, last = ranges["to today"]
    span = f"from={first.isoformat()}&to={last.isoformat()}"
    as_csv = Phase("group, to today, as CSV")
    for _ in range(max(1, repeats // 2)):
        api.get(as_csv, f"/kpis?{span}", accept="text/csv")
    one = Phase("one location, to today")
    for location_id in ids[: repeats * 4]:
        api.get(one, f"/kpis?location_id={location_id}&{span}")
    return [*phases, as_csv, one]


def _plan_text(first: date, last: date) -> str:
    from shared.domain.kpi_months import items_read

    roll_ups, days = items_read(first, last)
    return f"a location: {roll_ups} roll-ups, {days} days"


def write_cost(meter: ReadMeter, org: str, location_id: str, day: date) -> str:
    """What a day's counters cost to write, on a location seeded with a month of days: one transaction
    moving a location day and a coordinator day (as presenting a plan does), then each of its items
    alone (a plain UpdateItem; in a transaction DynamoDB charges twice that)."""
    from shared.domain.kpis import Delta, Scope
    from shared.store import kpis as kpi_store
    from shared.store.unit_of_work import UnitOfWork

    uow = UnitOfWork()
    kpi_store.add_deltas(uow, org, location_id, [Delta(Scope.LOCATION, "presented", 1, day),
                                                 Delta(Scope.COORDINATOR, "presented", 1, day, "coordinator-0")])
    keys = sorted(uow.counts)
    meter.take_writes()
    uow.commit()
    total = meter.take_writes()
    alone = []
    for key in keys:
        kpi_store.KpiItem(pk=key[0], sk=key[1]).update(actions=[kpi_store.KpiItem.kind.set(kpi_store.KpiItem.kind)])
        alone.append(f"{key[0].split('#')[1]} {meter.take_writes():g}")
    return (f"a day's counters (a location day and a coordinator day, as presenting a plan moves them): "
            f"{len(keys)} item updates in one transaction, {total:g} WCU; each item alone: {', '.join(alone)}")


def _timed(api: Api, org: str, locations: int, days: int, coordinators: int, repeats: int,
           today: date) -> tuple[list[Phase], int, float, list[str]]:
    seeded = time.perf_counter()
    month_start = today.replace(day=1)
    first_day = min(today - timedelta(days=days + 45), (month_start - timedelta(days=1)).replace(day=1))
    span = [first_day + timedelta(days=d) for d in range((today - first_day).days + 1)]
    ids, written = seed(org, locations, span, coordinators)
    seeded = time.perf_counter() - seeded
    return scenario(api, ids, spans(today, days), repeats), written, seeded, ids


def _year(api: Api, org: str, locations: int, coordinators: int, repeats: int, today: date) -> Phase:
    """The last 12 calendar months over `locations` locations with a day item every day."""
    first = today.replace(year=today.year - 1, day=1)
    last = today.replace(day=1) - timedelta(days=1)
    ids, _ = seed(org, locations, [first + timedelta(days=d) for d in range((last - first).days + 1)], coordinators)
    year = Phase(f"year, {len(ids)} locations ({first:%Y-%m}..{last:%Y-%m}; {_plan_text(first, last)})")
    for _ in range(repeats):
        api.get(year, f"/kpis?from={first.isoformat()}&to={last.isoformat()}")
    return year


def report(locations: int, days: int, coordinators: int, repeats: int, year_locations: int,
           endpoint: str | None) -> str:
    keys_dir = Path(tempfile.mkdtemp(prefix="chairside-bench-keys-"))
    try:
        prepare_in_process(keys_dir)
        from chalice.test import Client

        from app import app
        from bench.common import quiet_request_logs
        from infra.local_gateway import with_gateway
        from infra.local_keys import mint_token
        from shared import clock
        from shared.clock import local_date
        from shared.store import table

        quiet_request_logs()
        org, year_org = (f"org_bench{uuid.uuid4().hex[:8]}" for _ in range(2))
        today = local_date(clock.now(), "America/New_York")
        started = time.perf_counter()
        with dynamodb_endpoint(endpoint) as (url, where):
            table.bind(table_name=f"chairside-bench-{uuid.uuid4().hex[:8]}", host=url)
            table.ensure_table()
            try:
                with Client(with_gateway(app)) as client, DynamoDBCounter() as counter:
                    meter = ReadMeter().install()
                    try:
                        api = Api(client, mint_token(keys_dir, org=org, role="admin", locations=["*"],
                                                     sub="bench-user"), counter, meter)
                        phases, written, seeded, ids = _timed(api, org, locations, days, coordinators, repeats,
                                                              today)
                        written_cost = write_cost(meter, org, ids[0], today)
                        api.token = mint_token(keys_dir, org=year_org, role="admin", locations=["*"], sub="bench-user")
                        phases.append(_year(api, year_org, year_locations, coordinators, repeats, today))
                    finally:
                        meter.uninstall()
            finally:
                table.Record.delete_table()
                table.bind()
        elapsed = time.perf_counter() - started
    finally:
        shutil.rmtree(keys_dir, ignore_errors=True)

    from bench import summary
    from shared.services.kpis import READ_CONCURRENCY

    issue, cut, most, year = phases[0], phases[1], phases[2], phases[-1]
    summary.record("KPI report 200 locations x 30 days, p50 s", Latency.of_seconds(issue.seconds).p50 / 1000)
    summary.record("KPI report 200 x 30 cut mid-month, p50 s", Latency.of_seconds(cut.seconds).p50 / 1000)
    summary.record("KPI report 200 x 30 the most items, p50 s", Latency.of_seconds(most.seconds).p50 / 1000)
    summary.record("KPI report 200 x 30: requests", sum(issue.ddb_calls.values()) / len(issue.seconds))
    summary.record("KPI report 200 x 30: items read", issue.items / len(issue.seconds))
    summary.record("KPI year report: items per location", year.kpi_items / len(year.seconds) / year_locations)
    width = max(len(p.name) for p in phases)
    return "\n".join([
        heading(f"GET /kpis over {days} days x {locations} locations, and a year x {year_locations} locations"),
        machine_line(),
        where,
        f"seeded {written} KPI items (day items, then month and pentad roll-ups by the backfill) in {seeded:.1f} s: "
        "per location "
        f"a day item every day, {coordinators} coordinators",
        "counting on about half the days, and the running levels. A report reads the locations (Query), their "
        "settings (Query), and each item of",
        "its range's plan for all the group's locations (a Query of the item's partition), and the levels when the "
        f"range reaches today, {READ_CONCURRENCY} requests at a time. 'ddb' is the time spent",
        "in DynamoDB calls per request, summed over the threads; items (KPI items apart) and RCU per call as "
        "DynamoDB Local reports them.",
        "",
        *(p.line(width) for p in phases),
        "",
        written_cost,
        f"(scenario took {elapsed:.1f} s, seeding included)",
    ])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--locations", type=int, default=DEFAULT_LOCATIONS,
                        help=f"locations in the group (default {DEFAULT_LOCATIONS})")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help=f"days in the range (default {DEFAULT_DAYS})")
    parser.add_argument("--coordinators", type=int, default=DEFAULT_COORDINATORS,
                        help=f"coordinators per location (default {DEFAULT_COORDINATORS})")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                        help=f"group reports timed (default {DEFAULT_REPEATS})")
    parser.add_argument("--year-locations", type=int, default=DEFAULT_YEAR_LOCATIONS,
                        help=f"locations of the year report (default {DEFAULT_YEAR_LOCATIONS})")
    parser.add_argument("--endpoint", default=None,
                        help="a running DynamoDB endpoint to use instead of starting DynamoDB Local")


def run(args: argparse.Namespace) -> None:
    if (args.locations < 1 or not 1 <= args.days <= 366 or args.coordinators < 0 or args.repeats < 1
            or args.year_locations < 1):
        raise SystemExit("--locations, --year-locations and --repeats at least 1, --days 1 to 366, "
                         "--coordinators at least 0")
    print(report(args.locations, args.days, args.coordinators, args.repeats, args.year_locations, args.endpoint),
          flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench kpis", description=__doc__.splitlines()[0])
    add_arguments(parser)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
