"""Move a stack's KPI items of before 2026-11-30 to the layout of shared/store/kpis.py and build their
roll-ups; or build the roll-ups of given months from their day items.

    python -m infra.kpi_backfill --org ORG [--location ID ...] [--month YYYY-MM ...] [--table NAME]
                                 [--region R] [--endpoint URL]
    chairside kpi-roll-ups --org ORG [--location ID ...]     (the running local stack)

Per location (its locations are listed by Query, never Scan): one Query of its partition finds its
items of the old layout. Its levels, and each old day item (the location's, or a coordinator's own),
move onto the current item in one transaction (counters ADDed, the close SET unless the day has one, the old
item deleted on condition it is still there: two runs never move it twice). Then, per month that had
old items, days or roll-ups (and per month given): read the month's roll-up and its pentads' (one consistent
BatchGetItem), the month's day items (consistent, by key), and PUT each roll-up they sum to on
condition that no transaction added to it meanwhile (its `writes` count is unchanged); when one did,
the month is read again. The old roll-ups are deleted last. So it can run while the API is writing,
and running it twice writes the same items. See docs/RUNBOOK.md.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from shared.domain.kpi_months import Period, month_end, month_period, pentads, periods_of
from shared.domain.kpis import DayRecord

ATTEMPTS = 5


@dataclass
class RollUpItem:
    """What a period's day items sum to, as its roll-up holds it."""

    counts: Counter[str] = field(default_factory=Counter)
    latest_close: DayRecord | None = None


def roll_ups(records: Iterable[DayRecord]) -> dict[Period, RollUpItem]:
    """The roll-ups of these day items (their months' and pentads'), by period, counters named as the
    write path names them."""
    from shared.store import kpis as kpi_store

    built: dict[Period, RollUpItem] = {}
    for record in records:
        counts = kpi_store.counter_names(record.counts, record.coordinator_id)
        for period in periods_of(record.day):
            item = built.setdefault(period, RollUpItem())
            item.counts.update(counts)
            if record.close is not None and (item.latest_close is None or record.day > item.latest_close.day):
                item.latest_close = record
    return built


def attributes(period: Period, item: RollUpItem, writes: int) -> dict[str, dict[str, str]]:
    """The roll-up's attributes in DynamoDB's wire form (zeros left out, as the write path leaves them)."""
    from shared.store import kpis as kpi_store

    found = {kpi_store.ROLL_UP_WRITES: {"N": str(writes)}, "kind": {"S": kpi_store.ROLL_UP_KINDS[period.is_month]}}
    found.update({name: {"N": str(amount)} for name, amount in sorted(item.counts.items()) if amount})
    if item.latest_close is not None and item.latest_close.close is not None:
        close = item.latest_close.close
        found.update({kpi_store.ROLL_UP_CLOSE_DAY: {"S": item.latest_close.day.isoformat()},
                      "followups_overdue": {"N": str(close.followups_overdue)},
                      "end_patients_accepted": {"N": str(close.level.patients_accepted)},
                      "end_patients_incomplete": {"N": str(close.level.patients_incomplete)}})
    return found


def backfill_month(org: str, location_id: str, month: date) -> bool:
    """Write one month's roll-up and its pentads' from its day items; False when it had none (nothing
    written). A pentad with no day item gets no roll-up, as on the write path."""
    from pynamodb.exceptions import PutError
    from pynamodb.expressions.operand import Path

    from shared.store import kpi_days, lean_reads, records
    from shared.store import kpis as kpi_store
    from shared.store.table import Record

    periods = [month_period(month), *pentads(month)]
    keys = {period: kpi_store.roll_up_key(org, location_id, period) for period in periods}
    table = Record._get_connection()
    counted = Path([kpi_store.ROLL_UP_WRITES])
    for _ in range(ATTEMPTS):
        held = {key: kpi_days.number_of(raw, kpi_store.ROLL_UP_WRITES)
                for key, raw in lean_reads.batch_get(list(keys.values()), consistent=True).items()}
        built = roll_ups(kpi_days.days(org, location_id, month, month_end(month), consistent=True))
        if not built:
            return False
        try:
            for period, item in built.items():
                key = keys[period]
                unchanged = Path(["pk"]).does_not_exist() if key not in held else counted == held[key]
                table.put_item(*key, attributes=attributes(period, item, held.get(key, 0)), condition=unchanged)
            return True
        except PutError as exc:
            if not records.is_conditional_failure(exc):
                raise
    raise RuntimeError(f"{location_id} {month:%Y-%m}: the roll-ups kept changing; run the backfill again")


def migrate_location(org: str, location_id: str, months: Sequence[date] = ()) -> int:
    """Move the location's items of the old layout and build the roll-ups of their months and of
    `months`; the number of months whose roll-ups were written."""
    from shared.store import kpi_legacy

    old = kpi_legacy.legacy_items(org, location_id)
    # The old roll-ups are deleted last: a run stopped after moving a month's days still finds its roll-up.
    touched = set(months) | {month for raw in old if (month := kpi_legacy.legacy_month(raw)) is not None}
    for raw in old:
        if not kpi_legacy.is_legacy_roll_up(raw):
            kpi_legacy.move_legacy(org, location_id, raw)
    written = sum(backfill_month(org, location_id, month) for month in sorted(touched))
    kpi_legacy.delete_legacy([raw for raw in old if kpi_legacy.is_legacy_roll_up(raw)])
    return written


def location_ids(org: str) -> list[str]:
    from shared.store import locations

    found: list[str] = []
    start = None
    while True:
        page, start = locations.page(org, 100, start)
        found += [location.id for location in page]
        if not start:
            return found


def backfill(org: str, only: Sequence[str] = (), months: Sequence[date] = ()) -> dict[str, int]:
    """Months whose roll-ups were written, per location."""
    chosen = list(only) or location_ids(org)
    return {location_id: migrate_location(org, location_id, months) for location_id in chosen}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.kpi_backfill", description=__doc__.splitlines()[0])
    parser.add_argument("--org", required=True)
    parser.add_argument("--location", action="append", default=[], help="only this location (repeatable)")
    parser.add_argument("--month", action="append", default=[], type=lambda text: date.fromisoformat(f"{text}-01"),
                        help="also build this month's roll-ups from its day items, YYYY-MM (repeatable)")
    parser.add_argument("--table", help="the table (default: the settings' CHAIRSIDE table)")
    parser.add_argument("--region")
    parser.add_argument("--endpoint", help="a DynamoDB endpoint (DynamoDB Local)")
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", args.region or "us-east-1")
    from shared.store import table

    table.bind(table_name=args.table, host=args.endpoint, region=args.region)
    return report(args.org, args.location, args.month)


def report(org: str, only: Sequence[str], months: Sequence[date] = ()) -> int:
    written = backfill(org, only, months)
    for location_id, months in written.items():
        print(f"{location_id}: the roll-ups of {months} month{'s' if months != 1 else ''} written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
