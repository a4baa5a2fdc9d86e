"""The treatment plan aggregate: its statuses and its immutable model.

How a plan is built from a request and validated is in `plan_building`, its JSON form in `plan_codec`,
and the operations that move it through its lifecycle (edit, present, accept, decline, step progress) in
`plan_lifecycle` (its transition table in `plan_transitions`).

Versioning uses one counter. `version` starts at 1 and grows by one on every change to the plan (an edit,
a presentation, an acceptance, a step scheduled ...): it is the optimistic-concurrency token (ETag,
If-Match); the one exception is recording expiry, which only writes down what the clock already decided.
Presentations are counted separately: each one freezes a numbered `Quote` (1, 2, ...) whose `plan_version`
is the plan's version right after presenting, and the patient signs that number.
`presented_version` is the `plan_version` of the latest quote. A presented plan whose `version` has moved
past `presented_version` was edited after it was presented: no quote covers it until it is presented again.

Partial acceptance: the steps the patient did not accept take the step status `declined` (so a step's
status alone says whether it is to be carried out) and `acceptance.step_ids` names the accepted ones.
Accepted steps stay `pending` until scheduled. Declining a whole plan marks all its steps `declined`.

Instants are timezone-aware datetimes held in UTC and written in the one wire form of `shared.clock.iso`
(UTC, milliseconds, `Z`); money is int cents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared.clock import require_utc
from shared.errors import InvalidInput

DEFAULT_VALIDITY_DAYS = 90
MAX_PROCEDURES_PER_PLAN = 200  # every presentation snapshots them: keeps a plan well inside one item
MAX_NAME_CHARS = 200
MAX_NOTES_CHARS = 4000
STEP_ID_PREFIX = "stp_"
TOTAL_FIELDS = ("fee_cents", "writeoff_cents", "insurance_cents", "patient_cents")


class PlanStatus(StrEnum):
    DRAFT = "draft"
    PRESENTED = "presented"
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


# Statuses of a plan the patient has signed: its accepted steps are being (or have been) carried out.
COMMITTED_STATUSES = frozenset(
    {
        PlanStatus.ACCEPTED,
        PlanStatus.PARTIALLY_ACCEPTED,
        PlanStatus.SCHEDULED,
        PlanStatus.IN_PROGRESS,
        PlanStatus.COMPLETED,
    }
)


class StepStatus(StrEnum):
    PENDING = "pending"  # not yet answered, or accepted and waiting to be scheduled
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # accepted, then called off
    DECLINED = "declined"  # not accepted by the patient


class DeclineReason(StrEnum):
    COST = "cost"
    INSURANCE = "insurance"
    FEAR = "fear"
    TIME = "time"
    SECOND_OPINION = "second_opinion"
    OTHER = "other"
    ALTERNATIVE_ACCEPTED = "alternative_accepted"  # recorded by the system, never given by a caller


PATIENT_DECLINE_REASONS = frozenset(r for r in DeclineReason if r is not DeclineReason.ALTERNATIVE_ACCEPTED)


@dataclass(frozen=True)
class PlannedProcedure:
    code: str
    tooth: str | None
    surfaces: str | None
    fee_cents: int
    category: str


@dataclass(frozen=True)
class Step:
    id: str
    status: StepStatus
    procedures: tuple[PlannedProcedure, ...]
    urgent: bool = False  # phasing never defers it


@dataclass(frozen=True)
class Phase:
    name: str
    steps: tuple[Step, ...]
    not_before: date | None = None  # set by applying a phasing: the phase waits for the next benefit year


@dataclass(frozen=True)
class Quote:
    """What was presented, frozen: the procedures, fees and estimate of one plan version."""

    number: int
    plan_version: int
    presented_at: datetime
    expires_at: datetime
    phases: tuple[Phase, ...]
    estimate: Mapping[str, Any]
    totals: Mapping[str, int]


@dataclass(frozen=True)
class Acceptance:
    signer_name: str
    signed_at: datetime
    version: int
    quote_number: int
    step_ids: tuple[str, ...]
    estimate: Mapping[str, Any] | None = None  # the accepted steps re-estimated alone: the signed figures


@dataclass(frozen=True)
class Decline:
    reason: DeclineReason
    note: str
    declined_at: datetime


@dataclass(frozen=True)
class Plan:
    id: str
    patient_id: str
    location_id: str
    coordinator_id: str  # the owner: `sub` of whoever created the plan
    status: PlanStatus
    version: int
    phases: tuple[Phase, ...]
    created_at: datetime
    updated_at: datetime
    option_group: str | None = None  # alternatives for the same diagnosis share a group id
    option_label: str | None = None
    notes: str = ""
    presented_at: datetime | None = None  # latest presentation; quotes[0] holds the first
    expires_at: datetime | None = None
    presented_version: int | None = None
    quotes: tuple[Quote, ...] = ()
    acceptance: Acceptance | None = None
    decline: Decline | None = None

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step, in plan order."""
        return tuple(step for phase in self.phases for step in phase.steps)

    @property
    def procedures(self) -> tuple[PlannedProcedure, ...]:
        """Every procedure, in plan order (the order an estimate is computed in)."""
        return tuple(proc for step in self.steps for proc in step.procedures)

    @property
    def fee_cents(self) -> int:
        return sum(proc.fee_cents for proc in self.procedures)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise InvalidInput(
            f"no step {step_id} in plan {self.id}", [{"field": "step_id", "message": "unknown step"}]
        )

    def covering_quote(self) -> Quote | None:
        """The quote that covers the plan as it stands: the presented one while no edit followed it, the
        signed one once accepted; None for a draft, an edited presented plan, or a declined one."""
        if self.status in COMMITTED_STATUSES and self.acceptance is not None:
            return next(q for q in self.quotes if q.number == self.acceptance.quote_number)
        unedited = self.presented_version == self.version
        if self.status in (PlanStatus.PRESENTED, PlanStatus.EXPIRED) and unedited:
            return self.quotes[-1]
        return None

    def signed_estimate(self) -> Mapping[str, Any] | None:
        """The figures the patient signed: the accepted steps' own estimate once accepted (None for an
        acceptance recorded before the benefits engine), else the covering quote's estimate."""
        if self.status in COMMITTED_STATUSES and self.acceptance is not None and self.acceptance.estimate:
            return self.acceptance.estimate
        quote = self.covering_quote()
        return quote.estimate if quote else None

    def accepted_procedures(self) -> tuple[PlannedProcedure, ...]:
        """Procedures of the steps the patient accepted (cancelled ones left out), in plan order."""
        if self.acceptance is None:
            return ()
        carried_out = (StepStatus.PENDING, StepStatus.SCHEDULED, StepStatus.COMPLETED)
        return tuple(proc for step in self.steps if step.status in carried_out for proc in step.procedures)


def effective_status(plan: Plan, now: datetime) -> PlanStatus:
    """The status a plan reads as at `now`: a presented plan past its expiry reads as expired."""
    now = require_utc(now)
    if plan.status is PlanStatus.PRESENTED and plan.expires_at is not None and now >= plan.expires_at:
        return PlanStatus.EXPIRED
    return plan.status
