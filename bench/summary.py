"""The figures of issue 13's table, collected as the benchmarks run, printed at the end beside their baselines.

Baselines are the figures measured before the performance work (issue 13, on this kind of machine, with the
same benchmarks); each line shows now / baseline and the target. Nothing here asserts: it is for reading.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    what: str
    now: float
    baseline: float | None
    target: str
    unit: str = ""

    def line(self, width: int) -> str:
        ratio = f"{self.now / self.baseline:6.2f}x" if self.baseline else "      -"
        base = f"{self.baseline:,.2f}{self.unit}" if self.baseline is not None else "-"
        return f"{self.what:<{width}}  {self.now:>10,.2f}{self.unit:<3} {base:>12}  {ratio}  {self.target}"


# Issue 13's table (before): the figures the work started from.
BASELINES = {
    "import app / floor": 2.67,
    # Not in the table: measured on 785ce5b (token verified in the function) with this benchmark's
    # child processes, 9 alternating runs, DynamoDB Local, 2026-11-30 under a load average near 20.
    "cold GET /patients/{id} / floor + raw GetItem": 1.69,
    "package zipped, MB": 32.3,
    "package zipped without the SDK, MB": 15.2,
    "GET /patients/{id} p50 / raw GetItem p50": 2.77,
    "GET /patients/{id} p50 / raw GetItem p50, local stack": 2.77,
    "GET /patients/{id} DynamoDB requests": 2.0,
    "plan: requests per due appointment": 5.37,
    "send: requests per sent message": 5.80,
    "idle send run: requests, 1 group": 5.0,
    "idle send run: requests, 100 groups": 500.0,
    "idle send run: requests, 1,000 groups": 5000.0,
    "KPI report 200 locations x 30 days, p50 s": 2.77,
    "KPI report 200 x 30 cut mid-month, p50 s": 2.77,  # before roll-ups every 30-day range read its days
    "KPI report 200 x 30 the most items, p50 s": 2.77,
    "KPI report 200 x 30: requests": 204.0,
    "KPI report 200 x 30: items read": 15401.0,
    "KPI year report: items per location": 365.0,
}
TARGETS = {
    "import app / floor": "<= 1.3x",
    "cold GET /patients/{id} / floor + raw GetItem": "<= 1.5x",
    "package zipped, MB": "-",
    "package zipped without the SDK, MB": "<= 8",
    "GET /patients/{id} p50 / raw GetItem p50": "<= 1.5x",
    "GET /patients/{id} p50 / raw GetItem p50, local stack": "-",
    "GET /patients/{id} DynamoDB requests": "1",
    "plan: requests per due appointment": "<= 3",
    "send: requests per sent message": "<= 4",
    "idle send run: requests, 1 group": "<= 2",
    "idle send run: requests, 100 groups": "<= 2",
    "idle send run: requests, 1,000 groups": "<= 2",
    "KPI report 200 locations x 30 days, p50 s": "<= 0.3",
    "KPI report 200 x 30 cut mid-month, p50 s": "<= 0.3",
    "KPI report 200 x 30 the most items, p50 s": "<= 0.3",
    "KPI report 200 x 30: requests": "-",
    "KPI report 200 x 30: items read": "-",
    "KPI year report: items per location": "<= 12",
}

_collected: list[Figure] = []


def record(what: str, now: float) -> None:
    _collected.append(Figure(what, now, BASELINES.get(what), TARGETS.get(what, "-")))


def report() -> str:
    if not _collected:
        return ""
    width = max(len(f.what) for f in _collected)
    lines = ["", "Issue 13's figures: now, baseline (before the work), now / baseline, target",
             "=" * 78, f"{'':<{width}}  {'now':>13} {'baseline':>12}  {'ratio':>7}  target"]
    return "\n".join(lines + [figure.line(width) for figure in _collected])
