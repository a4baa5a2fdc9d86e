"""Persistence of follow-up tasks (the coordinators' worklist).

Follow-up (`kind` "followup"): pk `{org}#FUP#{followup_id}`, sk `FOLLOWUP`;
gsi1 `{org}#LOC#{location_id}#FUPS` / `{status}#{due_date}#{id}` (a location's worklist, by status);
gsi2 `{org}#LOC#{location_id}#FUPS#{kind}` / `{status}#{due_date}#{id}` (the same, for one kind).
Ids are deterministic (`followup_rules.followup_id`), and tasks are created only if absent, so a rule
that fires twice (a re-run job, a retried delivery) still makes one task, and a resolved task stays
resolved.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError

from shared.ids import has_prefix
from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork

FOLLOWUP = "FOLLOWUP"


def pk(org: str, followup_id: str) -> str:
    return f"{org}#FUP#{followup_id}"


def by_location(org: str, location_id: str) -> str:
    return f"{org}#LOC#{location_id}#FUPS"


def by_location_kind(org: str, location_id: str, kind: str) -> str:
    return f"{org}#LOC#{location_id}#FUPS#{kind}"


def to_record(org: str, doc: dict[str, Any], version: int = 1) -> Record:
    sort = f"{doc['status']}#{doc['due_date']}#{doc['id']}"
    return Record(pk=pk(org, doc["id"]), sk=FOLLOWUP, kind="followup", doc=doc, version=version,
                  gsi1pk=by_location(org, doc["location_id"]), gsi1sk=sort,
                  gsi2pk=by_location_kind(org, doc["location_id"], doc["kind"]), gsi2sk=sort)


def load(org: str, followup_id: str, consistent: bool = False) -> Record | None:
    if not has_prefix(followup_id, "fup"):
        return None
    return records.get(pk(org, followup_id), FOLLOWUP, consistent=consistent)


def put(uow: UnitOfWork, org: str, doc: dict[str, Any], read_version: int | None) -> Record:
    """The task, new or changed from the one read at `read_version` (StaleVersion if someone else did)."""
    return uow.put_at(to_record(org, doc), read_version)


def create_if_absent(record: Record) -> bool:
    """Put a new task; False (and nothing written) when a task with that id exists already."""
    record.version = 1
    try:
        record.save(condition=Record.pk.does_not_exist())
    except PutError as exc:
        if records.is_conditional_failure(exc):
            return False
        raise
    return True


def page(org: str, location_id: str, kind: str | None, status: str | None, limit: int,
         start_key: dict | None) -> records.Page:
    """A location's tasks, by status then due date; of one kind and/or one status when given."""
    prefix = f"{status}#" if status else None
    if kind:
        return records.query(by_location_kind(org, location_id, kind), index="gsi2", sk_prefix=prefix,
                             limit=limit, start_key=start_key)
    return records.query(by_location(org, location_id), index="gsi1", sk_prefix=prefix, limit=limit,
                         start_key=start_key)
