"""Helpers shared by test modules (tests import from here or tests/factories.py, never from conftest
files or from other test modules)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from shared.adapters.notifier import SendError

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".chairside" / "cache"  # DynamoDB Local's jar, fetched once

FULL_CONSENT = {"email": {"appointment": True, "billing": True, "treatment": True},
                "sms": {"appointment": True, "billing": True, "treatment": True}}


class Crash(Exception):
    """Stands for the process dying mid-batch (a Lambda timeout or an out-of-memory kill)."""


@dataclass
class StubNotifier:
    """Records sends; `fail` maps the n-th call (1-based) to the exception it raises instead."""

    fail: dict[int, Exception] = field(default_factory=dict)
    always: Exception | None = None
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _send(self, channel: str, to: str, text: str) -> str:
        with self.lock:
            self.calls += 1
            number = self.calls
            error = self.always or self.fail.get(number)
            if error is None:
                self.sent.append((channel, to, text))
        if error is not None:
            raise error
        return f"stub-{channel}-{number}"

    def send_email(self, to: str, subject: str, text: str, html: str | None) -> str:
        return self._send("email", to, text)

    def send_sms(self, phone: str, text: str) -> str:
        return self._send("sms", phone, text)


def throttled() -> SendError:
    return SendError("ThrottlingException", "slow down", retryable=True)


FAKE_JAR_FOLDER = "dynamodb_local_2000-01-01"  # a dated jar folder as DynamoDB Local's npm package has


def fake_jar_layout(folder: Path, jar_bytes: bytes = b"not really a jar") -> Path:
    """A DynamoDB Local folder as the cache keeps it, with a jar that is not one."""
    jar_dir = folder / FAKE_JAR_FOLDER
    (jar_dir / "DynamoDBLocal_lib").mkdir(parents=True)
    (jar_dir / "DynamoDBLocal.jar").write_bytes(jar_bytes)
    (jar_dir / "DynamoDBLocal_lib" / "libsqlite4java-linux-amd64.so").write_bytes(b"\x7fELF")
    return jar_dir


def versions_dir(cache_dir: Path) -> Path:
    return cache_dir / "dynamodb-local"
