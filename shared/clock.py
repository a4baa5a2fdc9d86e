"""The one place the service reads the time, so tests and `chairside job --at` can set it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_fixed: datetime | None = None


def now() -> datetime:
    return _fixed if _fixed is not None else datetime.now(UTC)


def iso(instant: datetime) -> str:
    """UTC ISO 8601 with a Z and millisecond precision."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(now())


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    global _fixed
    previous, _fixed = _fixed, instant.astimezone(UTC)
    try:
        yield
    finally:
        _fixed = previous
