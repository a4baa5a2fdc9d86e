"""Audit records: who read or wrote which patient data, when, and with what outcome. Ids only.

Items: pk `{org}#AUDIT#{yyyy-mm-dd}`, sk `{instant}#{request_id}`; gsi1 by the first resource id
(`{org}#AUDITOF#{resource_id}`) answers "who touched this patient".
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.logs import logger
from shared.store import records
from shared.store.table import Record

MAX_IDS = 100


def record_access(org: str, actor: str, action: str, resource_ids: list[str], outcome: str, request_id: str,
                  at: datetime | None = None) -> None:
    instant = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    ids = list(dict.fromkeys(resource_ids))[:MAX_IDS]
    item = Record(
        pk=f"{org}#AUDIT#{instant[:10]}",
        sk=f"{instant}#{request_id}",
        kind="audit",
        doc={"actor": actor, "action": action, "resource_ids": ids, "outcome": outcome,
             "request_id": request_id, "at": instant, "org": org},
    )
    if ids:
        item.gsi1pk, item.gsi1sk = f"{org}#AUDITOF#{ids[0]}", instant
    try:
        item.save()
    except Exception:  # an audit write must never turn a served request into a 500, but it must be seen
        logger.exception("audit write failed", extra={"action": action, "request_id": request_id})


def audit_of(org: str, resource_id: str, limit: int = 100) -> list[dict]:
    return [r.data() for r in records.query(f"{org}#AUDITOF#{resource_id}", index="gsi1", limit=limit).records]
