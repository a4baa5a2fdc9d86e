"""The local stand-in for the audit trail's S3 archive: audit events kept where they can be queried.

`chairside run` appends every audit event to `.chairside/audit/audit.jsonl`; `chairside audit --patient ID`
or `--actor SUB` prints the matching ones (in AWS: Athena or Logs Insights over the same JSON). The tests
keep them in memory and query them the same way.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shared.audit_log import logger


class MemorySink(logging.Handler):
    """Audit events of this process, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._guard:
            self.events.append(json.loads(record.getMessage()))


class FileSink(logging.FileHandler):
    """Audit events appended as JSON Lines to one file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        super().__init__(path, encoding="utf-8")
        self.setFormatter(logging.Formatter("%(message)s"))


def attach(sink: logging.Handler) -> logging.Handler:
    logger.addHandler(sink)
    return sink


def read_file(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def of_resource(events: Iterable[dict[str, Any]], org: str, resource_id: str) -> list[dict[str, Any]]:
    """Who touched this patient (or plan, payment, ...), oldest first."""
    return [e for e in events if e["org"] == org and resource_id in e["resource_ids"]]


def by_actor(events: Iterable[dict[str, Any]], org: str, actor: str) -> list[dict[str, Any]]:
    """What this user touched, oldest first."""
    return [e for e in events if e["org"] == org and e["actor"] == actor]
