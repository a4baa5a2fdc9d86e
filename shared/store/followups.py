"""Persistence of follow-up tasks (the coordinators' worklist).

Follow-up (`kind` "followup"): pk `{org}#FUP#{followup_id}`, sk `FOLLOWUP`;
gsi1 `{org}#LOC#{location_id}#FUPS` / `{status}#{due_date}#{id}` (a location's worklist, by status);
gsi2 `{org}#LOC#{location_id}#FUPS#{kind}` / `{status}#{due_date}#{id}` (the same, for one kind);
gsi3 `{org}#LOC#{location_id}#FUPS#OWNER#{owner}` / `{status}#{due_date}#{id}` (one owner's worklist).
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


def by_owner(org: str, location_id: str, owner: str) -> str:
    return f"{org}#LOC#{location_id}#FUPS#OWNER#{owner}"


def to_record(org: str, doc: dict[str, Any], version: int = 1) -> Record:
    sort = f"{doc['status']}#{doc['due_date']}#{doc['id']}"
    owner = doc.get("owner")
    return Record(pk=pk(org, doc["id"]), sk=FOLLOWUP, kind="followup", doc=doc, version=version,
                  gsi1pk=by_location(org, doc["location_id"]), gsi1sk=sort,
                  gsi2pk=by_location_kind(org, doc["location_id"], doc["kind"]), gsi2sk=sort,
                  gsi3pk=by_owner(org, doc["location_id"], owner) if owner else None,
                  gsi3sk=sort if owner else None)


def load(org: str, followup_id: str, consistent: bool = False) -> Record | None:
    if not has_prefix(followup_id, "fup"):
        return None
    return records.get(pk(org, followup_id), FOLLOWUP, consistent=consistent)


def get_many(org: str, followup_ids: list[str]) -> dict[str, Record]:
    """Tasks by id (BatchGetItem, 100 keys a request); ids without a task are absent from the result."""
    keys = [(pk(org, followup_id), FOLLOWUP) for followup_id in dict.fromkeys(followup_ids)]
    found: dict[str, Record] = {}
    for start in range(0, len(keys), 100):
        for record in Record.batch_get(keys[start:start + 100]):
            found[record.data()["id"]] = record
    return found


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
         start_key: dict | None, owner: str | None = None) -> records.Page:
    """A location's tasks, by status then due date; of one kind, one owner and/or one status when given
    (with both an owner and a kind, the owner's Query pages and the kind is kept from each page)."""
    prefix = f"{status}#" if status else None
    if owner:
        found = records.query(by_owner(org, location_id, owner), index="gsi3", sk_prefix=prefix, limit=limit,
                              start_key=start_key)
        if kind:
            found.records = [record for record in found.records if record.data()["kind"] == kind]
        return found
    if kind:
        return records.query(by_location_kind(org, location_id, kind), index="gsi2", sk_prefix=prefix,
                             limit=limit, start_key=start_key)
    return records.query(by_location(org, location_id), index="gsi1", sk_prefix=prefix, limit=limit,
                         start_key=start_key)
