"""Time: the one place the service reads the clock, and the one definition of instants and local dates.

- `now()` is the service's clock; `frozen_at` sets it (tests and `chairside job --at`).
- Instants are timezone-aware datetimes held in UTC. On the wire and in storage every instant has one
  form, `iso()`: UTC, millisecond precision, `Z` (2026-03-08T14:00:00.000Z). Fixed width, so instants
  written this way also sort as text (index sort keys rely on that). `parse_instant` reads it back, and
  any ISO 8601 text with an offset.
- Local dates and wall clocks are the location's: `zone()` names its IANA zone, `local_date()` is the
  location's calendar date at an instant (daylight-saving changes come from `zoneinfo`).

The module is named `clock` rather than `time` so that it never shadows `datetime.time` where both are
imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.errors import InvalidInput

_fixed: datetime | None = None


def now() -> datetime:
    return _fixed if _fixed is not None else datetime.now(UTC)


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    global _fixed
    previous, _fixed = _fixed, require_utc(instant)
    try:
        yield
    finally:
        _fixed = previous


def require_utc(instant: datetime, field: str = "instant") -> datetime:
    """`instant` expressed in UTC; InvalidInput when it is not a datetime with an offset (a naive time is
    ambiguous: whose wall clock would it be?)."""
    if not isinstance(instant, datetime) or instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput(
            f"{field} must be a timezone-aware datetime, got {instant!r}",
            details=[{"field": field, "message": "needs a UTC offset"}],
        )
    return instant.astimezone(UTC)


def to_millis(instant: datetime) -> datetime:
    """`instant` in UTC at the wire's precision (milliseconds, truncated): a record stamped with it reads
    back from its JSON form exactly as it was."""
    utc = require_utc(instant)
    return utc.replace(microsecond=utc.microsecond - utc.microsecond % 1000)


def iso(instant: datetime) -> str:
    """The wire form of an instant: UTC ISO 8601 with millisecond precision and a `Z`."""
    utc = require_utc(instant)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(now())


def parse_instant(text: str, field: str = "instant") -> datetime:
    """An instant from ISO 8601 text with an offset or `Z` (the wire form, or any offset), in UTC."""
    try:
        parsed = datetime.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{field} must be an ISO 8601 instant, got {text!r}",
            details=[{"field": field, "message": "an ISO 8601 instant with an offset"}],
        ) from exc
    return require_utc(parsed, field)


def zone(tz_name: str) -> ZoneInfo:
    """The IANA zone named `tz_name`; InvalidInput when there is no such zone."""
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise InvalidInput(
            f"unknown time zone {tz_name!r}", details=[{"field": "tz", "message": "must be an IANA zone"}]
        ) from exc


def local_date(instant: datetime, tz_name: str) -> date:
    """The location's calendar date at `instant` (daylight-saving changes included)."""
    return require_utc(instant).astimezone(zone(tz_name)).date()
