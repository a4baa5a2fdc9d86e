"""Phasing a plan across benefit years so that insurance pays the most (DESIGN.md "Benefits engine" 10).

Every phase is done in this benefit year or deferred to the next one, which starts on the primary
coverage's renewal date. The assignment is monotonic (deferring a phase defers every later one), so the
candidates are "defer from phase k on" for each k, plus deferring nothing. The first phase and any phase
with an urgent step are never deferred (nor, by monotony, anything before them); nothing is deferred when
the renewal date lies beyond the horizon (default 15 months from today). A deferred step's day is the
renewal date, or its appointment when that is later. Each candidate is estimated in full (earlier lines,
history and usage count as in any estimate); the one with the most insurance wins, ties going to fewer
deferred phases. Deferring nothing is a candidate, so phasing never gives less insurance than all-now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from shared.domain.benefits.coverage import Coverage
from shared.domain.benefits.engine import NO_PATIENT_DETAILS, Estimate, LineInput, Patient, estimate
from shared.domain.benefits.years import add_months, benefit_year_start, next_benefit_year_start
from shared.domain.codec import JsonValue

DEFAULT_HORIZON_MONTHS = 15


@dataclass(frozen=True)
class StepInput:
    step_id: str
    lines: Sequence[LineInput]
    urgent: bool = False


@dataclass(frozen=True)
class PhaseInput:
    name: str
    steps: Sequence[StepInput]


@dataclass(frozen=True)
class PhasePlan(JsonValue):
    name: str
    deferred: bool
    benefit_year_start: date
    earliest_date: date
    step_ids: tuple[str, ...]
    insurance_cents: int
    patient_cents: int


@dataclass(frozen=True)
class Proposal:
    all_now: Estimate
    phased: Estimate
    phases: tuple[PhasePlan, ...]
    renewal_date: date | None  # None without coverage

    @property
    def saving_cents(self) -> int:
        return self.phased.totals.insurance_cents - self.all_now.totals.insurance_cents

    def to_dict(self) -> dict[str, Any]:
        def summary(result: Estimate) -> dict[str, int]:
            return {"insurance_cents": result.totals.insurance_cents, "patient_cents": result.totals.patient_cents}
        return {"all_now": summary(self.all_now),
                "phased": {**summary(self.phased), "phases": [phase.to_dict() for phase in self.phases]},
                "saving_cents": self.saving_cents,
                "renewal_date": self.renewal_date.isoformat() if self.renewal_date else None}


def propose(phases: Sequence[PhaseInput], coverages: Sequence[Coverage], *, today: date,
            patient: Patient | None = None, fee_schedule: Mapping[str, int] | None = None,
            horizon_months: int = DEFAULT_HORIZON_MONTHS) -> Proposal:
    """The best assignment of phases to this benefit year or the next, with all-now for comparison."""
    def run(deferred_from: int, renewal: date | None) -> Estimate:
        lines = [_dated(line, renewal if index >= deferred_from else None)
                 for index, phase in enumerate(phases) for step in phase.steps for line in step.lines]
        return estimate(lines, coverages, today=today, patient=patient or NO_PATIENT_DETAILS, fee_schedule=fee_schedule)

    count = len(phases)
    all_now = run(count, None)
    renewal = _renewal(coverages, today)
    best, best_from = all_now, count
    if renewal is not None and renewal <= add_months(today, horizon_months):
        urgent = [index for index, phase in enumerate(phases) if any(step.urgent for step in phase.steps)]
        first_deferrable = max([1] + [index + 1 for index in urgent])
        for deferred_from in range(count - 1, first_deferrable - 1, -1):  # fewer deferred first: ties keep them
            candidate = run(deferred_from, renewal)
            if candidate.totals.insurance_cents > best.totals.insurance_cents:
                best, best_from = candidate, deferred_from
    return Proposal(all_now, best, _phase_plans(phases, best, best_from, coverages, today), renewal)


def _renewal(coverages: Sequence[Coverage], today: date) -> date | None:
    if not coverages:
        return None
    primary = min(coverages, key=lambda coverage: coverage.rank)
    return next_benefit_year_start(primary.renewal_month, today)


def _dated(line: LineInput, not_before: date | None) -> LineInput:
    if not_before is None or (line.service_date is not None and line.service_date >= not_before):
        return line
    return replace(line, service_date=not_before)


def _phase_plans(phases: Sequence[PhaseInput], result: Estimate, deferred_from: int,
                 coverages: Sequence[Coverage], today: date) -> tuple[PhasePlan, ...]:
    renewal_month = min(coverages, key=lambda coverage: coverage.rank).renewal_month if coverages else 1
    lines = iter(result.lines)
    plans = []
    for index, phase in enumerate(phases):
        estimated = [next(lines) for step in phase.steps for _ in step.lines]
        earliest = min((line.service_date for line in estimated), default=today)
        plans.append(PhasePlan(
            name=phase.name, deferred=index >= deferred_from,
            benefit_year_start=benefit_year_start(renewal_month, earliest), earliest_date=earliest,
            step_ids=tuple(step.step_id for step in phase.steps),
            insurance_cents=sum(line.insurance_cents for line in estimated),
            patient_cents=sum(line.patient_cents for line in estimated)))
    return tuple(plans)
