"""Audit records: who read or wrote which patient data, when, and with what outcome. Ids only.

Items: pk `{org}#AUDIT#{yyyy-mm-dd}`, sk `{instant}#{request_id}`; gsi1 by the first resource id
(`{org}#AUDITOF#{resource_id}`) answers "who touched this patient".
"""

from __future__ import annotations

from collections.abc import Iterable

from shared import audit_log
from shared.logs import logger
from shared.store import records
from shared.store.table import Record


def audit_item(event: dict, sequence: int = 1) -> Record:
    """The table item of an audit event (shared.audit_log.event); `sequence` tells apart the items of one
    request that committed several units of work."""
    org, instant, request_id, ids = event["org"], event["at"], event["request_id"], event["resource_ids"]
    item = Record(
        pk=f"{org}#AUDIT#{instant[:10]}",
        sk=f"{instant}#{request_id}" + (f"#{sequence}" if sequence > 1 else ""),
        kind="audit",
        doc={key: event[key] for key in ("actor", "action", "resource_ids", "outcome", "request_id", "at", "org")},
    )
    if ids:
        item.gsi1pk, item.gsi1sk = f"{org}#AUDITOF#{ids[0]}", instant
    return item


def item_for_writes(audit: audit_log.WriteAudit, written_ids: Iterable[str]) -> Record:
    """The audit item a unit of work commits with its writes: the request's ids, then those it writes."""
    event = audit_log.event(audit.org, audit.actor, audit.action, [*audit.resource_ids, *written_ids], "ok",
                            audit.request_id)
    return audit_item(event, audit.items + 1)


def record_access(event: dict) -> None:
    """Keep an audit event as an item of the table on its own: for a request that wrote outside any unit
    of work (the units of work of a request carry their own items)."""
    try:
        audit_item(event).save()
    except Exception:  # an audit write must never turn a served request into a 500, but it must be seen
        logger.exception("audit write failed", extra={"action": event["action"], "request_id": event["request_id"]})


def audit_of(org: str, resource_id: str, limit: int = 100) -> list[dict]:
    return [r.data() for r in records.query(f"{org}#AUDITOF#{resource_id}", index="gsi1", limit=limit).records]
