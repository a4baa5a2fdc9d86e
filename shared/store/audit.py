"""Audit records: who read or wrote which patient data, when, and with what outcome. Ids only.

Items: pk `{org}#AUDIT#{yyyy-mm-dd}`, sk `{instant}#{request_id}`; gsi1 by the first resource id
(`{org}#AUDITOF#{resource_id}`) answers "who touched this patient".
"""

from __future__ import annotations

from shared.logs import logger
from shared.store import records
from shared.store.table import Record


def record_access(event: dict) -> None:
    """Keep an audit event (shared.audit_log.event) as an item of the table too."""
    org, instant, request_id, ids = event["org"], event["at"], event["request_id"], event["resource_ids"]
    item = Record(
        pk=f"{org}#AUDIT#{instant[:10]}",
        sk=f"{instant}#{request_id}",
        kind="audit",
        doc={key: event[key] for key in ("actor", "action", "resource_ids", "outcome", "request_id", "at", "org")},
    )
    if ids:
        item.gsi1pk, item.gsi1sk = f"{org}#AUDITOF#{ids[0]}", instant
    try:
        item.save()
    except Exception:  # an audit write must never turn a served request into a 500, but it must be seen
        logger.exception("audit write failed", extra={"action": event["action"], "request_id": request_id})


def audit_of(org: str, resource_id: str, limit: int = 100) -> list[dict]:
    return [r.data() for r in records.query(f"{org}#AUDITOF#{resource_id}", index="gsi1", limit=limit).records]
