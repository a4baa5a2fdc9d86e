"""Treatment opportunities: diagnosed treatment a patient has not gone ahead with, at any age.

A plan is an opportunity of one kind, by what it reads as now (`effective_status`):

- `unscheduled_steps`: signed, with accepted steps still pending (not scheduled, completed or called
  off); its value is the fees of those steps;
- `presented`: presented and not yet answered (nor past its expiry); its value is its latest quote's fees;
- `declined`: declined by the patient (an option declined because another option of the same diagnosis
  was accepted is not an opportunity: the patient went ahead); value as presented;
- `expired`: presented and left past its expiry; value as presented.

Drafts, completed plans and signed plans with nothing left to schedule are not opportunities. The
worklist shows the largest values first (ties by plan id, so pages are stable).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.domain.plans import DeclineReason, Plan, PlanStatus, StepStatus, effective_status


class OpportunityKind(StrEnum):
    UNSCHEDULED_STEPS = "unscheduled_steps"
    PRESENTED = "presented"
    DECLINED = "declined"
    EXPIRED = "expired"


SIGNED_OPEN = (PlanStatus.ACCEPTED, PlanStatus.PARTIALLY_ACCEPTED, PlanStatus.SCHEDULED, PlanStatus.IN_PROGRESS)
# The stored plan statuses that can hold an opportunity (an expired plan may still be stored as presented).
STORED_STATUSES = (PlanStatus.PRESENTED, PlanStatus.EXPIRED, PlanStatus.DECLINED, *SIGNED_OPEN)


@dataclass(frozen=True)
class Opportunity:
    kind: OpportunityKind
    plan_id: str
    patient_id: str
    location_id: str
    value_cents: int
    owner: str  # the plan's coordinator, unless its follow-up was reassigned
    since: datetime | None  # when it became an opportunity: presented, signed, declined or expired


def opportunity_of(plan: Plan, now: datetime) -> Opportunity | None:
    """The opportunity a plan is at `now`, or None."""
    status = effective_status(plan, now)
    presented_value = plan.quotes[-1].totals["fee_cents"] if plan.quotes else plan.fee_cents
    if status in SIGNED_OPEN and plan.acceptance is not None:
        accepted = set(plan.acceptance.step_ids)
        pending = [step for step in plan.steps if step.id in accepted and step.status is StepStatus.PENDING]
        if not pending:
            return None
        value = sum(proc.fee_cents for step in pending for proc in step.procedures)
        return _made(plan, OpportunityKind.UNSCHEDULED_STEPS, value, plan.acceptance.signed_at)
    if status is PlanStatus.PRESENTED:
        return _made(plan, OpportunityKind.PRESENTED, presented_value, plan.presented_at)
    if status is PlanStatus.EXPIRED:
        return _made(plan, OpportunityKind.EXPIRED, presented_value, plan.expires_at)
    if status is PlanStatus.DECLINED and plan.decline is not None and (
            plan.decline.reason is not DeclineReason.ALTERNATIVE_ACCEPTED):
        return _made(plan, OpportunityKind.DECLINED, presented_value, plan.decline.declined_at)
    return None


def _made(plan: Plan, kind: OpportunityKind, value: int, since: datetime | None) -> Opportunity:
    return Opportunity(kind, plan.id, plan.patient_id, plan.location_id, value, plan.coordinator_id, since)


def worklist(opportunities: Iterable[Opportunity], *, kind: str | None = None, owner: str | None = None,
             min_value_cents: int = 0) -> list[Opportunity]:
    """The opportunities that pass the filters, largest value first."""
    kept = [o for o in opportunities if (kind is None or o.kind == kind) and (owner is None or o.owner == owner)
            and o.value_cents >= min_value_cents]
    return sorted(kept, key=lambda o: (-o.value_cents, o.plan_id))
