"""Each location's daily job at 02:00 local time, from a scheduler that ticks every hour in UTC.

The planner fires at the top of every UTC hour; a location's job runs at the first tick on its local
date whose local time is 02:00 or later. With whole-hour zones that is the 02:00 tick; on a
spring-forward day that skips 02:00 (Los Angeles, Auckland) it is the 03:00 tick; on a fall-back day
that shows 02:00 twice (Auckland in April) it is only the first; zones with half- or quarter-hour
offsets (India, Nepal, Chatham) run at 02:30 or 02:45. So each location runs exactly once per local
date, after local midnight, and the KPI day it closes (the local day before) has ended everywhere.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from shared.clock import require_utc, zone

JOB_TIME = time(2, 0)
TICK = timedelta(hours=1)


def hour_tick(now: datetime) -> datetime:
    """The scheduler tick `now` belongs to: the UTC hour it falls in (a late invocation keeps its tick)."""
    return require_utc(now, "now").replace(minute=0, second=0, microsecond=0)


def runs_at(tz_name: str, now: datetime, at: time = JOB_TIME) -> bool:
    """True when the location's daily job belongs to the hourly tick containing `now`."""
    tick = hour_tick(now)
    tz = zone(tz_name)
    local, before = tick.astimezone(tz), (tick - TICK).astimezone(tz)
    return local.time() >= at and (before.date() != local.date() or before.time() < at)

