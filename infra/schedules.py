"""Fires the app's EventBridge schedules locally, as AWS would, on a timer thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime


class LocalScheduler:
    """Runs each scheduled handler registered in app.py at its rate; cron jobs run once a day locally."""

    def __init__(self, tick_seconds: float = 30.0) -> None:
        self._tick = tick_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def jobs(self) -> list:
        from app import app

        return [source for source in app.event_sources if hasattr(source, "schedule_expression")]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        from infra.jobs import run_due

        while not self._stop.wait(self._tick):
            run_due(self.jobs(), datetime.now(UTC))
