"""Build the KPI month roll-ups of a stack whose day items were written before roll-ups existed.

    python -m infra.kpi_backfill --org ORG [--location ID ...] [--table NAME] [--region R] [--endpoint URL]
    chairside kpi-roll-ups --org ORG [--location ID ...]     (the running local stack)

Per location (its locations are listed by Query, never Scan), per month that has day items: read the
roll-up (consistent), Query the month's day items (consistent), and PUT the roll-up they sum to, on
condition that no transaction added to the roll-up meanwhile (its `writes` count is unchanged); when
one did, the month is read again. So it can run while the API is writing, and running it twice writes
the same items. See docs/RUNBOOK.md.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from shared.domain.kpi_months import month_end, month_of
from shared.domain.kpis import DayRecord

ATTEMPTS = 5


@dataclass
class RollUpItem:
    """What a month's day items sum to, as its roll-up holds it."""

    counts: Counter[str] = field(default_factory=Counter)
    latest_close: DayRecord | None = None


def roll_ups(records: Iterable[DayRecord]) -> dict[date, RollUpItem]:
    """The month roll-ups of these day items, by month (counters named as the write path names them)."""
    from shared.store import kpis as kpi_store

    months: dict[date, RollUpItem] = {}
    for record in records:
        month = months.setdefault(month_of(record.day), RollUpItem())
        month.counts.update(kpi_store.month_counts(record.counts, record.day, record.coordinator_id))
        if record.close is not None and (month.latest_close is None or record.day > month.latest_close.day):
            month.latest_close = record
    return months


def attributes(item: RollUpItem, writes: int) -> dict[str, dict[str, str]]:
    """The roll-up's attributes in DynamoDB's wire form (zeros left out, as the write path leaves them)."""
    from shared.store import kpis as kpi_store

    found = {kpi_store.MONTH_WRITES: {"N": str(writes)}, "kind": {"S": kpi_store.MONTH_KIND}}
    found.update({name: {"N": str(amount)} for name, amount in sorted(item.counts.items()) if amount})
    if item.latest_close is not None and item.latest_close.close is not None:
        close = item.latest_close.close
        found.update({kpi_store.MONTH_CLOSE_DAY: {"S": item.latest_close.day.isoformat()},
                      "followups_overdue": {"N": str(close.followups_overdue)},
                      "end_patients_accepted": {"N": str(close.level.patients_accepted)},
                      "end_patients_incomplete": {"N": str(close.level.patients_incomplete)}})
    return found


def backfill_month(org: str, location_id: str, month: date) -> bool:
    """Write one month's roll-up from its day items; False when it had none (nothing written)."""
    from pynamodb.exceptions import PutError
    from pynamodb.expressions.operand import Path

    from shared.store import kpis as kpi_store
    from shared.store import records
    from shared.store.table import Record

    key = (kpi_store.pk(org, location_id), kpi_store.month_sk(month))
    table = Record._get_connection()
    for _ in range(ATTEMPTS):
        held = table.get_item(*key, consistent_read=True).get("Item")
        writes = kpi_store.number_of(held, kpi_store.MONTH_WRITES) if held else None
        built = roll_ups(kpi_store.days(org, location_id, month, month_end(month), consistent=True)).get(month)
        if built is None:
            return False
        counted = Path([kpi_store.MONTH_WRITES])
        unchanged = Path(["pk"]).does_not_exist() if held is None else counted == writes
        try:
            table.put_item(*key, attributes=attributes(built, writes or 0), condition=unchanged)
            return True
        except PutError as exc:
            if not records.is_conditional_failure(exc):
                raise
    raise RuntimeError(f"{location_id} {month:%Y-%m}: the roll-up kept changing; run the backfill again")


def months_with_days(org: str, location_id: str) -> list[date]:
    """The months of the location that have day items (one Query of the location's KPI partition)."""
    from shared.store import kpis as kpi_store

    return sorted({month_of(record.day) for record in kpi_store.days(org, location_id, date(2000, 1, 1),
                                                                     date(2100, 1, 1) - timedelta(days=1))})


def location_ids(org: str) -> list[str]:
    from shared.store import locations

    found: list[str] = []
    start = None
    while True:
        page = locations.page(org, 100, start)
        found += [record.data()["id"] for record in page.records if record.kind == "location"]
        start = page.last_key
        if not start:
            return found


def backfill(org: str, only: Sequence[str] = ()) -> dict[str, int]:
    """Roll-ups written per location."""
    return {location_id: sum(backfill_month(org, location_id, month) for month in months_with_days(org, location_id))
            for location_id in (list(only) or location_ids(org))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.kpi_backfill", description=__doc__.splitlines()[0])
    parser.add_argument("--org", required=True)
    parser.add_argument("--location", action="append", default=[], help="only this location (repeatable)")
    parser.add_argument("--table", help="the table (default: the settings' CHAIRSIDE table)")
    parser.add_argument("--region")
    parser.add_argument("--endpoint", help="a DynamoDB endpoint (DynamoDB Local)")
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", args.region or "us-east-1")
    from shared.store import table

    table.bind(table_name=args.table, host=args.endpoint, region=args.region)
    return report(args.org, args.location)


def report(org: str, only: Sequence[str]) -> int:
    written = backfill(org, only)
    for location_id, months in written.items():
        print(f"{location_id}: {months} month roll-up{'s' if months != 1 else ''} written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
