"""Persistence of follow-up tasks (the coordinators' worklist).

Follow-up (`kind` "followup"): pk `{org}#FUP#{followup_id}`, sk `FOLLOWUP`;
gsi1 `{org}#LOC#{location_id}#FUPS` / `{status}#{due_date}#{id}` (a location's worklist, by status);
gsi2 `{org}#LOC#{location_id}#FUPS#{kind}` / `{status}#{due_date}#{id}` (the same, for one kind);
gsi3 `{org}#LOC#{location_id}#FUPS#OWNER#{owner}` / `{status}#{due_date}#{id}` (one owner's worklist).
Its doc is `shared.domain.followups.FollowUp`. Ids are deterministic (`followup_rules.followup_id`), and
tasks are created only if absent, so a rule that fires twice (a re-run job, a retried delivery) still
makes one task, and a resolved task stays resolved.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pynamodb.exceptions import PutError

from shared.domain.followups import FollowUp
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


def _record(org: str, task: FollowUp) -> Record:
    sort = f"{task.status}#{task.due_date.isoformat()}#{task.id}"
    location = task.location_id
    return Record(pk=pk(org, task.id), sk=FOLLOWUP, kind="followup", doc=records.document(task),
                  gsi1pk=by_location(org, location), gsi1sk=sort,
                  gsi2pk=by_location_kind(org, location, task.kind), gsi2sk=sort,
                  gsi3pk=by_owner(org, location, task.owner) if task.owner else None,
                  gsi3sk=sort if task.owner else None)


def load(org: str, followup_id: str, consistent: bool = False) -> FollowUp | None:
    if not has_prefix(followup_id, "fup"):
        return None
    record = records.get(pk(org, followup_id), FOLLOWUP, consistent=consistent)
    return records.typed(FollowUp, record) if record is not None else None


def get_many(org: str, followup_ids: list[str]) -> dict[str, FollowUp]:
    """Tasks by id (BatchGetItem, 100 keys a request); ids without a task are absent from the result."""
    found = records.get_many((pk(org, followup_id), FOLLOWUP) for followup_id in followup_ids)
    return {task.id: task for task in (records.typed(FollowUp, record) for record in found.values())}


def put(uow: UnitOfWork, org: str, task: FollowUp, read_version: int) -> FollowUp:
    """The task changed from the one read at `read_version` (StaleVersion if someone else changed it);
    the task as it will be stored (its new version)."""
    record = uow.put_at(_record(org, task), read_version)
    return dataclasses.replace(task, version=int(record.version))


def create_if_absent(org: str, task: FollowUp) -> bool:
    """Put a new task; False (and nothing written) when a task with that id exists already."""
    record = _record(org, task)
    record.version = 1
    try:
        record.save(condition=Record.pk.does_not_exist())
    except PutError as exc:
        if records.is_conditional_failure(exc):
            return False
        raise
    return True


def page(org: str, location_id: str, kind: str | None, status: str | None, limit: int,
         start_key: dict | None, owner: str | None = None) -> tuple[list[FollowUp], dict[str, Any] | None]:
    """A location's tasks, by status then due date; of one kind, one owner and/or one status when given
    (with both an owner and a kind, the owner's Query pages and the kind is kept from each page)."""
    prefix = f"{status}#" if status else None
    if owner:
        found = records.query(by_owner(org, location_id, owner), index="gsi3", sk_prefix=prefix, limit=limit,
                              start_key=start_key)
    elif kind:
        found = records.query(by_location_kind(org, location_id, kind), index="gsi2", sk_prefix=prefix,
                              limit=limit, start_key=start_key)
    else:
        found = records.query(by_location(org, location_id), index="gsi1", sk_prefix=prefix, limit=limit,
                              start_key=start_key)
    tasks, last_key = records.typed_page(FollowUp, found)
    return [task for task in tasks if not owner or not kind or task.kind == kind], last_key
