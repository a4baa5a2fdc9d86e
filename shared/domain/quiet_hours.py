"""Local-clock arithmetic for messaging: quiet hours and "N local days before / 10:00 local" instants.

Instants are aware datetimes, returned in UTC. Every wall-clock rule is evaluated in the location's
IANA zone, so daylight-saving changes are handled by `zoneinfo`, never by adding fixed offsets.

Granularity: the latest allowed moment before a quiet period is one minute before `latest`
(20:59:00 with the default hours), so a moved message goes out inside the allowed window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.clock import require_utc, zone
from shared.errors import InvalidInput

ONE_MINUTE = timedelta(minutes=1)


def utc_at_local(day: date, wall_time: time, tz_name: str) -> datetime:
    """The UTC instant at which the location's clock shows `wall_time` on `day`.

    A wall time skipped by a spring-forward gap is read with the offset before the gap (02:30 on the
    New York spring-forward day becomes 03:30 EDT), a repeated one at a fall-back takes its first
    occurrence: the RFC 5545 convention, which is what `fold=0` gives.
    """
    naive = datetime.combine(day, wall_time.replace(tzinfo=None))
    return naive.replace(tzinfo=zone(tz_name), fold=0).astimezone(UTC)


def local_days_before(instant: datetime, days: int, tz_name: str) -> datetime:
    """The same local wall-clock time `days` local days earlier (negative `days` moves later), in UTC."""
    local = require_utc(instant, "instant").astimezone(zone(tz_name))
    return utc_at_local(local.date() - timedelta(days=days), local.time(), tz_name)


@dataclass(frozen=True)
class QuietHours:
    """Messages may go out at local times in [earliest, latest); whole minutes only."""

    earliest: time = time(8, 0)
    latest: time = time(21, 0)

    def __post_init__(self) -> None:
        for field in ("earliest", "latest"):
            value = getattr(self, field)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise InvalidInput(
                    f"quiet hours {field} must be a local time",
                    details=[{"field": field, "message": "must be a time without zone"}],
                )
            if value.second or value.microsecond:
                raise InvalidInput(
                    f"quiet hours {field} must be a whole minute",
                    details=[{"field": field, "message": "seconds are not allowed"}],
                )
        if not self.earliest < self.latest:
            raise InvalidInput(
                "quiet hours must allow some sending time: earliest must be before latest",
                details=[{"field": "earliest", "message": "must be before latest"}],
            )

    def allows(self, wall_time: time) -> bool:
        return self.earliest <= wall_time.replace(tzinfo=None) < self.latest

    @property
    def last_allowed_minute(self) -> time:
        """One minute before `latest`: where a message inside quiet hours is moved to."""
        moment = datetime.combine(date.min, self.latest) - ONE_MINUTE
        return moment.time()


def allowed_send_time(send_at_utc: datetime, tz_name: str, quiet: QuietHours | None = None) -> datetime:
    """`send_at_utc` itself when its local time is allowed, else the latest allowed minute before it.

    07:30 local moves to 20:59 the local day before; 22:00 local moves to 20:59 the same day. The result
    never lies after `send_at_utc` and always has an allowed local time, DST changes included.
    """
    quiet = quiet or QuietHours()
    instant = require_utc(send_at_utc, "send_at")
    tz = zone(tz_name)
    local = instant.astimezone(tz)
    if quiet.allows(local.time()):
        return instant
    day = local.date() if local.time() >= quiet.latest else local.date() - timedelta(days=1)
    # A zone could in principle skip the whole allowed window on one day; look back until one fits.
    for _ in range(7):
        for candidate in _last_allowed_minutes_on(day, tz, quiet):
            if candidate <= instant:
                return candidate
        day -= timedelta(days=1)
    raise InvalidInput(f"no allowed sending time in the week before {instant.isoformat()} in {tz_name}")


def _last_allowed_minutes_on(day: date, tz: ZoneInfo, quiet: QuietHours) -> list[datetime]:
    """UTC instants on local `day` showing the last allowed minute, latest first.

    Two instants when a fall-back repeats that minute; when a spring-forward gap swallows it, the
    minute just before the gap (the clock never showed anything later below `latest` that day).
    """
    naive = datetime.combine(day, quiet.last_allowed_minute)
    found: list[datetime] = []
    for fold in (0, 1):
        instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == naive and instant not in found:
            found.append(instant)
    if not found:
        before_gap = _start_of_gap(naive, tz) - ONE_MINUTE
        found.append(before_gap)
    allowed = [
        instant
        for instant in found
        if instant.astimezone(tz).date() == day and quiet.allows(instant.astimezone(tz).time())
    ]
    return sorted(allowed, reverse=True)


def _start_of_gap(naive_in_gap: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the clock jumped over `naive_in_gap` (a wall time that never existed)."""
    # Reading the wall time with the offset after the gap lands before the jump, with the offset
    # before it lands after; bisect between the two, to the minute.
    low = naive_in_gap.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = naive_in_gap.replace(tzinfo=tz, fold=0).astimezone(UTC)
    low, high = min(low, high), max(low, high)
    offset_before = low.astimezone(tz).utcoffset()
    while high - low > ONE_MINUTE:
        middle = low + (high - low) / 2
        middle = middle.replace(second=0, microsecond=0)
        if middle <= low:
            middle = low + ONE_MINUTE
        if middle.astimezone(tz).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return high
