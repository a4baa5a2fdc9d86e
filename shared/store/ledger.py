"""Repository of plan ledgers: one item per entry, all of a plan's entries in one partition.

Ledger entry (`kind` "ledger_entry"): pk `{org}#PLN#{plan_id}#LEDGER`, sk the entry id. Entry ids are
deterministic (`led_{payment}_payment`, `led_{step}_{line}_{part}`, ...) and an entry is written only
if absent: posting the same thing twice fails the whole unit of work instead of posting twice.
"""

from __future__ import annotations

from typing import Any

from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import Failure, UnitOfWork, conflict

PAGE = 100


def pk(org: str, plan_id: str) -> str:
    return f"{org}#PLN#{plan_id}#LEDGER"


def record(org: str, plan_id: str, entry: dict[str, Any]) -> Record:
    return Record(pk=pk(org, plan_id), sk=entry["id"], kind="ledger_entry", doc=entry)


def post(uow: UnitOfWork, org: str, plan_id: str, entry: dict[str, Any], on_fail: Failure | None = None) -> None:
    """A new entry; by default Conflict (409) when an entry with its id is already posted."""
    uow.put_new(record(org, plan_id, entry), on_fail or conflict(f"ledger: entry {entry['id']} is already posted"))


def entries(org: str, plan_id: str, consistent: bool = False) -> list[dict[str, Any]]:
    """Every entry of a plan (all pages), in the order they were posted."""
    found: list[dict[str, Any]] = []
    start_key = None
    while True:
        page = records.query(pk(org, plan_id), limit=PAGE, start_key=start_key, consistent=consistent)
        found.extend(item.data() for item in page.records)
        if page.last_key is None:
            return sorted(found, key=lambda entry: (entry["created_at"], entry["id"]))
        start_key = page.last_key

