"""A plan's transition table (`PLAN`), and the checks every plan operation makes against it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from shared.clock import iso
from shared.domain.lifecycle import Lifecycle
from shared.domain.plans import Phase, Plan, PlanStatus, StepStatus, effective_status


class Operation(StrEnum):
    EDIT = "edit"
    PRESENT = "present"
    ACCEPT = "accept"
    DECLINE = "decline"
    DECLINE_AS_ALTERNATIVE = "decline_as_alternative"
    SCHEDULE_STEP = "schedule_step"
    UNSCHEDULE_STEP = "unschedule_step"
    COMPLETE_STEP = "complete_step"
    CANCEL_STEP = "cancel_step"


S = PlanStatus
# operation -> {status the plan reads as at `now`: statuses the operation can leave it in}.
# An operation is refused (IllegalTransition) from any status not listed for it.
PLAN = Lifecycle[PlanStatus, Operation](
    rule="plan lifecycle",
    subject="a plan",
    table={
        Operation.EDIT: {S.DRAFT: frozenset({S.DRAFT}), S.PRESENTED: frozenset({S.PRESENTED})},
        Operation.PRESENT: {S.DRAFT: frozenset({S.PRESENTED}), S.PRESENTED: frozenset({S.PRESENTED})},
        Operation.ACCEPT: {S.PRESENTED: frozenset({S.ACCEPTED, S.PARTIALLY_ACCEPTED})},
        Operation.DECLINE: {S.PRESENTED: frozenset({S.DECLINED}), S.EXPIRED: frozenset({S.DECLINED})},
        Operation.DECLINE_AS_ALTERNATIVE: {
            S.DRAFT: frozenset({S.DECLINED}),
            S.PRESENTED: frozenset({S.DECLINED}),
            S.EXPIRED: frozenset({S.DECLINED}),
        },
        Operation.SCHEDULE_STEP: {
            S.ACCEPTED: frozenset({S.SCHEDULED}),
            S.PARTIALLY_ACCEPTED: frozenset({S.SCHEDULED}),
            S.SCHEDULED: frozenset({S.SCHEDULED}),
            S.IN_PROGRESS: frozenset({S.IN_PROGRESS}),
        },
        Operation.UNSCHEDULE_STEP: {
            S.SCHEDULED: frozenset({S.SCHEDULED, S.ACCEPTED, S.PARTIALLY_ACCEPTED}),
            S.IN_PROGRESS: frozenset({S.IN_PROGRESS}),
        },
        Operation.COMPLETE_STEP: {
            S.SCHEDULED: frozenset({S.IN_PROGRESS, S.COMPLETED}),
            S.IN_PROGRESS: frozenset({S.IN_PROGRESS, S.COMPLETED}),
        },
        Operation.CANCEL_STEP: {
            S.ACCEPTED: frozenset({S.ACCEPTED}),
            S.PARTIALLY_ACCEPTED: frozenset({S.PARTIALLY_ACCEPTED}),
            S.SCHEDULED: frozenset({S.SCHEDULED, S.ACCEPTED, S.PARTIALLY_ACCEPTED}),
            S.IN_PROGRESS: frozenset({S.IN_PROGRESS, S.COMPLETED}),
        },
    },
)
ALLOWED_TRANSITIONS = PLAN.table

# Step operation -> {step status it applies to: the status it gives}. Anything else is refused.
STEP_TRANSITIONS: Mapping[Operation, Mapping[StepStatus, StepStatus]] = MappingProxyType(
    {
        Operation.SCHEDULE_STEP: {StepStatus.PENDING: StepStatus.SCHEDULED},
        Operation.UNSCHEDULE_STEP: {StepStatus.SCHEDULED: StepStatus.PENDING},
        Operation.COMPLETE_STEP: {StepStatus.SCHEDULED: StepStatus.COMPLETED},
        Operation.CANCEL_STEP: {
            StepStatus.PENDING: StepStatus.CANCELLED,
            StepStatus.SCHEDULED: StepStatus.CANCELLED,
        },
    }
)


def require_allowed(plan: Plan, operation: Operation, now: datetime) -> PlanStatus:
    """The status the plan reads as at `now`; IllegalTransition when `operation` does not apply to it."""
    status = effective_status(plan, now)
    hint = ""
    if status is PlanStatus.EXPIRED and plan.expires_at is not None:
        hint = f"presented plans expire; this one expired at {iso(plan.expires_at)}"
    PLAN.require(status, operation, hint)
    return status


def transition(
    plan: Plan, operation: Operation, from_status: PlanStatus, now: datetime, **changes: Any
) -> Plan:
    """The changed plan: one more version, updated now, and a status the transition table allows."""
    new = replace(plan, version=plan.version + 1, updated_at=now, **changes)
    check_target(operation, from_status, new.status)
    return new


def check_target(operation: Operation, from_status: PlanStatus, to_status: PlanStatus) -> None:
    if to_status not in ALLOWED_TRANSITIONS[operation][from_status]:
        raise AssertionError(f"{operation} from {from_status} gave {to_status}, outside ALLOWED_TRANSITIONS")


def with_step_statuses(plan: Plan, statuses: Mapping[str, StepStatus]) -> tuple[Phase, ...]:
    return tuple(
        replace(
            phase,
            steps=tuple(replace(step, status=statuses.get(step.id, step.status)) for step in phase.steps),
        )
        for phase in plan.phases
    )
