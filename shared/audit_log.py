"""Audit events: one structured line per request that touches patient data, written off the database path.

Every access (read or write, allowed or refused) becomes one JSON line on the `chairside.audit` logger:
actor, group, action, resource ids, outcome, request id and time, never patient data. In AWS the line goes
to stdout, so to the API function's log group (Lambda ships it after the response: a read no longer waits
for a database write); the template subscribes that log group's audit lines to a Firehose stream that
files them in an S3 bucket under Object Lock for 6 years (docs/DATA-MODEL.md, "Audit"). Locally the same
lines also go to a sink the local stack attaches (infra/local_audit.py: a JSON Lines file for
`chairside run`, queryable with `chairside audit`; memory for the tests).

A write also keeps an audit item in the table, in the same transaction as the write it records: while a
request runs inside `auditing_writes`, every unit of work it commits carries one (shared/store/
unit_of_work.py), so a write never lands without its audit item, and the item costs no request of its own.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_IDS = 100
AUDIT_VERSION = 1  # the template's subscription filter matches {$.audit = 1}

logger = logging.getLogger("chairside.audit")
logger.setLevel(logging.INFO)
logger.propagate = False  # never mixed into (or filtered by) the service log's level
if not logger.handlers:
    _stdout = logging.StreamHandler(sys.stdout)
    _stdout.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(_stdout)


def event(org: str, actor: str, action: str, resource_ids: list[str], outcome: str, request_id: str,
          at: datetime | None = None) -> dict[str, Any]:
    """The audit event of one access: ids only, first resource id first (the one it is filed under)."""
    instant = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {"audit": AUDIT_VERSION, "org": org, "actor": actor, "action": action,
            "resource_ids": list(dict.fromkeys(resource_ids))[:MAX_IDS], "outcome": outcome,
            "request_id": request_id, "at": instant}


def emit(record: dict[str, Any]) -> None:
    logger.info(json.dumps(record, separators=(",", ":")))


@dataclass
class WriteAudit:
    """The request whose writes are audited: each unit of work it commits carries an audit item."""

    org: str
    actor: str
    action: str
    request_id: str
    resource_ids: list[str] = field(default_factory=list)  # known before the writes (the path's ids)
    items: int = 0  # audit items committed with the request's writes so far


_writes: ContextVar[WriteAudit | None] = ContextVar("chairside_write_audit", default=None)


@contextlib.contextmanager
def auditing_writes(org: str, actor: str, action: str, request_id: str,
                    resource_ids: list[str]) -> Iterator[WriteAudit]:
    """Audit, in their own transactions, the writes made inside the block (one request's)."""
    audit = WriteAudit(org, actor, action, request_id, list(resource_ids))
    token = _writes.set(audit)
    try:
        yield audit
    finally:
        _writes.reset(token)


def write_audit() -> WriteAudit | None:
    """The request whose writes are being audited, if any (jobs audit none: they act for no one)."""
    return _writes.get()
