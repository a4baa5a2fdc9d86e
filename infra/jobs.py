"""Running the app's scheduled handlers outside AWS: on a timer (`chairside run`) or once (`chairside job`)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((\S+) (\S+) .*\)")
_last_run: dict[str, datetime] = {}


def scheduled_event(rule_name: str, at: datetime, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """The event EventBridge hands a scheduled Lambda (see events/schedule-*.json); `detail` is empty from
    EventBridge, and `{"all_locations": true}` when `chairside job nightly` asks for every location."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1", "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule_name}"],
        "detail": detail or {},
    }


def is_due(name: str, expression: str, now: datetime) -> bool:
    last = _last_run.get(name)
    rate = _RATE.fullmatch(expression)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        every = timedelta(**{f"{unit}s": count})
        return last is None or now - last >= every
    cron = _CRON.fullmatch(expression)
    if cron and cron.group(1).isdigit() and (cron.group(2).isdigit() or cron.group(2) == "*"):
        hour = now.hour if cron.group(2) == "*" else int(cron.group(2))  # "*": every hour, at that minute
        fire = now.replace(hour=hour, minute=int(cron.group(1)), second=0, microsecond=0)
        return now >= fire and (last is None or last < fire)
    return False


def invoke(name: str, at: datetime, detail: dict[str, Any] | None = None) -> Any:
    import app as app_module

    handler = getattr(app_module, name)
    return handler(scheduled_event(name, at, detail), None)


def run_due(jobs: list, now: datetime) -> None:
    from shared.logs import logger

    for job in jobs:
        expression = job.schedule_expression
        expression = expression if isinstance(expression, str) else expression.to_string()  # Chalice Cron/Rate
        try:
            if is_due(job.name, expression, now):
                _last_run[job.name] = now
                invoke(job.name, now)
        except Exception:  # one failing job must not stop the local scheduler thread
            logger.exception("local schedule failed", extra={"job": job.name})
