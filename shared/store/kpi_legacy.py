"""The KPI items of the layout before 2026-11-30, and moving them to the layout of shared.store.kpis: days,
roll-ups and levels were in the location's partition, and a coordinator's day was an item of its own.
Used by the backfill (infra/kpi_backfill.py) only: no request path deletes KPI items.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.domain import kpis as kpi
from shared.store import kpis as items
from shared.store import lean_reads
from shared.store.kpi_days import number_of
from shared.store.lean_reads import Raw
from shared.store.table import Record, connection

LEGACY_DAY = "DAY#"  # in the location's partition: DAY#{yyyy-mm-dd}, a coordinator's DAY#{yyyy-mm-dd}#COORD#{c}
LEGACY_COORDINATOR = "#COORD#"
LEGACY_LEVEL = "LEVEL"
LEGACY_ROLL_UPS = ("MONTH#", "PENTAD#")


def legacy_items(org: str, location_id: str) -> list[Raw]:
    """The location's day items, roll-ups and levels of the layout before 2026-11-30: one Query of its
    partition (paged), which also holds its patients' treatments, left out here."""
    kinds = (LEGACY_DAY, LEGACY_LEVEL, *LEGACY_ROLL_UPS)
    return [raw for raw in lean_reads.partition_read(items.pk(org, location_id))()
            if raw["sk"]["S"].startswith(kinds)]


def legacy_day(raw: Raw) -> tuple[date, str | None] | None:
    """(day, coordinator or None) of a legacy day item; None for a legacy roll-up or levels."""
    sk = raw["sk"]["S"]
    if not sk.startswith(LEGACY_DAY):
        return None
    day_text, _, coordinator = sk.removeprefix(LEGACY_DAY).partition(LEGACY_COORDINATOR)
    return date.fromisoformat(day_text), coordinator or None


def is_legacy_roll_up(raw: Raw) -> bool:
    return raw["sk"]["S"].startswith(LEGACY_ROLL_UPS)


def legacy_month(raw: Raw) -> date | None:
    """The month of a legacy day item or roll-up (None for the levels)."""
    day = legacy_day(raw)
    if day is not None:
        return day[0].replace(day=1)
    sk = raw["sk"]["S"]
    if not is_legacy_roll_up(raw):
        return None
    return date.fromisoformat(f"{sk.partition('#')[2][:7]}-01")


def move_legacy(org: str, location_id: str, raw: Raw) -> bool:
    """Move a legacy day item or levels onto the current item: counters ADDed (a coordinator's under their
    names), a day's close SET unless the day item has one already, and the legacy item deleted, in one
    transaction, so its counts are never in both or neither. False when another run moved it first."""
    from pynamodb.expressions.operand import Path

    day = legacy_day(raw)
    if day is None and raw["sk"]["S"] != LEGACY_LEVEL:
        raise ValueError(f"not a legacy day item or levels: {raw['sk']['S']}")
    if day is None:
        target = items.level_key(org, location_id)
        actions = items.LEVEL_ACTIONS({name: number_of(raw, name) for name in kpi.LEVEL_COUNTERS})
    else:
        when, coordinator = day
        target = items.day_key(org, location_id, when)
        names = kpi.COORDINATOR_COUNTERS if coordinator else kpi.LOCATION_COUNTERS
        actions = items.DAY_ACTIONS(items.counter_names({name: number_of(raw, name) for name in names}, coordinator))
        if coordinator is None and "closed_at" in raw:
            actions += [Path([name]).set(Path([name]) | raw[name]) for name in kpi.CLOSE_FIELDS if name in raw]
            actions.append(items.KpiItem.closed_at.set(items.KpiItem.closed_at | raw["closed_at"]["S"]))
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(items.KpiItem(*target), actions=actions)
            tx.delete(items.KpiItem(raw["pk"]["S"], raw["sk"]["S"]), condition=items.KpiItem.pk.exists())
    except TransactWriteError as exc:
        if any(reason is not None and reason.code == "ConditionalCheckFailed"
               for reason in exc.cancellation_reasons or []):
            return False
        raise
    return True


def delete_legacy(raws: Sequence[Raw]) -> None:
    """Delete legacy roll-ups (rebuilt in the new layout from the moved days)."""
    table = Record._get_connection()
    for raw in raws:
        table.delete_item(raw["pk"]["S"], raw["sk"]["S"])
