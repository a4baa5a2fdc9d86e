"""How a treatment plan moves: edit, present, accept, decline, and its steps' progress.

Every operation is a pure function: it takes a Plan and returns a new one (the input is never changed),
or raises RuleViolation (IllegalTransition when the plan's status forbids the operation, StaleQuote when a
signature does not cover the presented version) or InvalidInput for a bad argument. The transition table
they are checked against is `plan_transitions.PLAN`.

Statuses are judged as they read at `now` (`effective_status`): a presented plan past its expiry is
expired and can no longer be edited, presented or accepted, only declined (recording the patient's answer).

After acceptance the plan's status follows its steps: scheduled once an accepted step is scheduled,
in_progress once one is completed, completed when every accepted step not cancelled is completed, and back
to accepted / partially_accepted if the last scheduled step is unscheduled before anything was completed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from shared.clock import to_millis
from shared.domain.codec import json_copy
from shared.domain.plan_building import build_phases, text_problems
from shared.domain.plan_transitions import (
    STEP_TRANSITIONS,
    Operation,
    require_allowed,
    transition,
    with_step_statuses,
)
from shared.domain.plans import (
    COMMITTED_STATUSES,
    DEFAULT_VALIDITY_DAYS,
    MAX_NAME_CHARS,
    MAX_NOTES_CHARS,
    PATIENT_DECLINE_REASONS,
    TOTAL_FIELDS,
    Acceptance,
    Decline,
    DeclineReason,
    Phase,
    Plan,
    PlanStatus,
    Quote,
    StepStatus,
)
from shared.errors import InvalidInput, RuleViolation
from shared.money import require_cents

MAX_DECLINE_NOTE_CHARS = 1000


class StaleQuote(RuleViolation):
    """The signature names a version other than the one presented and still current (HTTP 412)."""

    code = "stale_quote"


# ---- before acceptance ------------------------------------------------------------------------------


def edit(
    plan: Plan,
    *,
    now: datetime,
    phases: Sequence[Mapping[str, Any]] | None = None,
    notes: str | None = None,
    option_label: str | None = None,
    id_factory: Callable[[], str] | None = None,
) -> Plan:
    """Change a draft or presented plan; None leaves a field as it is, and an edit that changes nothing
    returns the plan unchanged. In `phases`, a step with an `id` keeps it; a step without one is new and
    gets its id from `id_factory`. A presented plan stays presented, but its quote no longer covers it: it
    must be presented again before it can be accepted."""
    now = to_millis(now)
    status = require_allowed(plan, Operation.EDIT, now)
    problems = [
        *text_problems("notes", notes, MAX_NOTES_CHARS, optional=True, blank_ok=True),
        *text_problems("option_label", option_label, MAX_NAME_CHARS, optional=True, blank_ok=True),
    ]
    if problems:
        raise InvalidInput("invalid plan", problems)
    new_phases = plan.phases
    if phases is not None:
        existing = {step.id: step for step in plan.steps}
        new_phases = build_phases(phases, id_factory=id_factory, existing_steps=existing)
    changes: dict[str, Any] = {
        "phases": new_phases,
        "notes": plan.notes if notes is None else notes,
        "option_label": plan.option_label if option_label is None else (option_label or None),
    }
    if all(getattr(plan, name) == value for name, value in changes.items()):
        return plan
    return transition(plan, Operation.EDIT, status, now, **changes)


def present(
    plan: Plan, *, estimate: Mapping[str, Any], now: datetime, validity_days: int = DEFAULT_VALIDITY_DAYS
) -> Plan:
    """Present a draft (or a presented plan edited since its quote): freeze its procedures, fees and
    `estimate` (an Estimate.to_dict() of exactly this plan's procedures) as the next numbered quote."""
    now = to_millis(now)
    status = require_allowed(plan, Operation.PRESENT, now)
    if status is PlanStatus.PRESENTED and plan.presented_version == plan.version:
        raise RuleViolation(
            f"quotes are frozen: version {plan.version} is already presented as quote "
            f"{plan.quotes[-1].number}; edit the plan to present a new version"
        )
    if isinstance(validity_days, bool) or not isinstance(validity_days, int) or validity_days < 1:
        raise ValueError(f"validity_days must be a positive int, got {validity_days!r}")
    totals = _checked_totals(plan, estimate)
    presented_version = plan.version + 1
    expires_at = now + timedelta(days=validity_days)
    quote = Quote(
        number=len(plan.quotes) + 1,
        plan_version=presented_version,
        presented_at=now,
        expires_at=expires_at,
        phases=plan.phases,
        estimate=json_copy(estimate),
        totals=totals,
    )
    return transition(
        plan,
        Operation.PRESENT,
        status,
        now,
        status=PlanStatus.PRESENTED,
        presented_at=now,
        expires_at=expires_at,
        presented_version=presented_version,
        quotes=(*plan.quotes, quote),
    )


def accept(
    plan: Plan,
    *,
    signer_name: str,
    signed_version: int,
    now: datetime,
    step_ids: Sequence[str] | None = None,
    signed_estimate: Mapping[str, Any] | None = None,
) -> Plan:
    """Record the patient's signature on the presented version: all steps (`step_ids` None) make the plan
    accepted, some make it partially_accepted and the others declined. `signed_estimate` is the estimate
    of exactly the accepted steps (re-estimated alone): the figures signed, which the ledger charges."""
    now = to_millis(now)
    status = require_allowed(plan, Operation.ACCEPT, now)
    _require_signature_covers(plan, signed_version)
    signer = signer_name.strip() if isinstance(signer_name, str) else ""
    if not signer or len(signer) > MAX_NAME_CHARS:
        raise InvalidInput(
            "invalid acceptance", [{"field": "signer_name", "message": f"1 to {MAX_NAME_CHARS} characters"}]
        )
    accepted = _checked_step_ids(plan, step_ids)
    not_accepted = {s.id: StepStatus.DECLINED for s in plan.steps if s.id not in accepted}
    phases = with_step_statuses(plan, not_accepted)
    all_accepted = len(accepted) == len(plan.steps)
    acceptance = Acceptance(
        signer_name=signer,
        signed_at=now,
        version=signed_version,
        quote_number=plan.quotes[-1].number,
        step_ids=tuple(s.id for s in plan.steps if s.id in accepted),
        estimate=_checked_signed_estimate(signed_estimate, accepted),
    )
    return transition(
        plan,
        Operation.ACCEPT,
        status,
        now,
        status=PlanStatus.ACCEPTED if all_accepted else PlanStatus.PARTIALLY_ACCEPTED,
        phases=phases,
        acceptance=acceptance,
    )


def _checked_signed_estimate(estimate: Mapping[str, Any] | None, accepted: set[str]) -> Mapping[str, Any] | None:
    if estimate is None:
        return None
    lines = estimate.get("lines") if isinstance(estimate, Mapping) else None
    if not isinstance(lines, list) or {line.get("line_id") for line in lines} != accepted:
        raise ValueError("the signed estimate must be the estimate of exactly the accepted steps")
    return json_copy(estimate)


def decline(plan: Plan, *, reason: str, now: datetime, note: str = "") -> Plan:
    """Record the patient's no to a presented (or expired) plan, with one of PATIENT_DECLINE_REASONS."""
    now = to_millis(now)
    status = require_allowed(plan, Operation.DECLINE, now)
    problems = text_problems("note", note, MAX_DECLINE_NOTE_CHARS, optional=False, blank_ok=True)
    if not isinstance(reason, str) or reason not in {str(r) for r in PATIENT_DECLINE_REASONS}:
        allowed = ", ".join(sorted(PATIENT_DECLINE_REASONS))
        problems.append({"field": "reason", "message": f"must be one of {allowed}"})
    if problems:
        raise InvalidInput("invalid decline", problems)
    return _declined(plan, Operation.DECLINE, status, Decline(DeclineReason(reason), note, now), now)


def decline_as_alternative(plan: Plan, *, accepted_plan_id: str, now: datetime) -> Plan:
    """Decline one option of a group because another option of the same diagnosis was accepted."""
    now = to_millis(now)
    status = require_allowed(plan, Operation.DECLINE_AS_ALTERNATIVE, now)
    record = Decline(DeclineReason.ALTERNATIVE_ACCEPTED, f"alternative {accepted_plan_id} was accepted", now)
    return _declined(plan, Operation.DECLINE_AS_ALTERNATIVE, status, record, now)


def decline_alternatives(
    plans_in_group: Sequence[Plan], accepted_plan_id: str, *, now: datetime
) -> list[Plan]:
    """Accepting one option declines the other options of its group. Given every plan of the group
    (the accepted one included), returns the plans this declines, in the given order; options already
    declined are left as they are."""
    now = to_millis(now)
    by_id = {p.id: p for p in plans_in_group}
    if accepted_plan_id not in by_id:
        raise ValueError(f"the accepted plan {accepted_plan_id} is not among the plans given")
    chosen = by_id[accepted_plan_id]
    if chosen.option_group is None or any(p.option_group != chosen.option_group for p in plans_in_group):
        raise ValueError("decline_alternatives needs the plans of one option group")
    if chosen.status not in COMMITTED_STATUSES:
        raise RuleViolation(
            "plan alternatives: options are declined only once one is accepted; "
            f"{chosen.id} is {chosen.status}"
        )
    others = [p for p in plans_in_group if p.id != accepted_plan_id]
    for other in others:
        if other.status in COMMITTED_STATUSES:
            raise RuleViolation(
                f"plan alternatives: only one option of group {chosen.option_group} can be accepted; "
                f"{other.id} is already {other.status}"
            )
    return [
        decline_as_alternative(other, accepted_plan_id=accepted_plan_id, now=now)
        for other in others
        if other.status is not PlanStatus.DECLINED
    ]


# ---- after acceptance: steps ------------------------------------------------------------------------


def mark_step_scheduled(plan: Plan, step_id: str, *, now: datetime) -> Plan:
    """An appointment now carries this accepted step."""
    return _step_operation(plan, Operation.SCHEDULE_STEP, step_id, now)


def unschedule_step(plan: Plan, step_id: str, *, now: datetime) -> Plan:
    """The appointment carrying this step was cancelled: the step waits to be scheduled again."""
    return _step_operation(plan, Operation.UNSCHEDULE_STEP, step_id, now)


def mark_step_completed(plan: Plan, step_id: str, *, now: datetime) -> Plan:
    """The scheduled step was carried out."""
    return _step_operation(plan, Operation.COMPLETE_STEP, step_id, now)


def cancel_step(plan: Plan, step_id: str, *, now: datetime) -> Plan:
    """An accepted step will not be carried out. The last step still to be carried out cannot be cancelled."""
    return _step_operation(plan, Operation.CANCEL_STEP, step_id, now)


def _step_operation(plan: Plan, operation: Operation, step_id: str, now: datetime) -> Plan:
    now = to_millis(now)
    status = require_allowed(plan, operation, now)
    step = plan.step(step_id)
    moves = STEP_TRANSITIONS[operation]
    if step.status not in moves:
        hint = " (it was not accepted)" if step.status is StepStatus.DECLINED else ""
        allowed = ", ".join(moves)
        raise RuleViolation(
            f"step lifecycle: cannot {operation} step {step_id} that is {step.status}{hint}; "
            f"{operation} applies to steps that are {allowed}"
        )
    phases = with_step_statuses(plan, {step_id: moves[step.status]})
    return transition(plan, operation, status, now, phases=phases, status=_progress_status(plan, phases))


def _progress_status(plan: Plan, phases: Sequence[Phase]) -> PlanStatus:
    steps = [step for phase in phases for step in phase.steps]
    to_carry_out = [s for s in steps if s.status not in (StepStatus.DECLINED, StepStatus.CANCELLED)]
    if not to_carry_out:
        raise RuleViolation(
            "step lifecycle: cannot cancel the last step to carry out; "
            "an accepted plan keeps at least one step"
        )
    if all(s.status is StepStatus.COMPLETED for s in to_carry_out):
        return PlanStatus.COMPLETED
    if any(s.status is StepStatus.COMPLETED for s in to_carry_out):
        return PlanStatus.IN_PROGRESS
    if any(s.status is StepStatus.SCHEDULED for s in to_carry_out):
        return PlanStatus.SCHEDULED
    accepted_all = plan.acceptance is not None and len(plan.acceptance.step_ids) == len(steps)
    return PlanStatus.ACCEPTED if accepted_all else PlanStatus.PARTIALLY_ACCEPTED


# ---- shared checks and helpers ----------------------------------------------------------------------


def _require_signature_covers(plan: Plan, signed_version: int) -> None:
    presented = plan.presented_version
    if presented != plan.version:
        if signed_version == plan.version:
            raise RuleViolation(
                f"quotes are frozen: version {plan.version} was edited after quote {plan.quotes[-1].number} "
                "and has not been presented; present it before it can be accepted"
            )
        raise StaleQuote(
            f"signature must cover the presented version: version {signed_version} was changed after it was "
            f"presented (the plan is now at version {plan.version} and must be presented again)"
        )
    if signed_version != presented:
        raise StaleQuote(
            f"signature must cover the presented version: signed version {signed_version}, "
            f"presented version {presented}"
        )


def _checked_step_ids(plan: Plan, step_ids: Sequence[str] | None) -> set[str]:
    if step_ids is None:
        return {s.id for s in plan.steps}
    known = {s.id for s in plan.steps}
    message = ""
    if isinstance(step_ids, str) or not isinstance(step_ids, Sequence) or not step_ids:
        message = "name at least one step"
    elif not all(isinstance(step_id, str) for step_id in step_ids):
        message = "step ids are strings"
    elif len(set(step_ids)) != len(step_ids):
        message = "a step is named more than once"
    elif unknown := [s for s in step_ids if s not in known]:
        message = f"not steps of this plan: {', '.join(map(str, unknown))}"
    if message:
        raise InvalidInput("invalid acceptance", [{"field": "step_ids", "message": message}])
    return set(step_ids)


def _checked_totals(plan: Plan, estimate: Mapping[str, Any]) -> dict[str, int]:
    """The estimate's totals, after checking that it is an estimate of exactly this plan. A mismatch is
    the composing service's bug, not the caller's, hence ValueError."""
    totals = estimate.get("totals") if isinstance(estimate, Mapping) else None
    if not isinstance(totals, Mapping):
        raise ValueError("estimate must be a mapping with totals")
    checked = {name: require_cents(totals.get(name), f"totals.{name}") for name in TOTAL_FIELDS}
    if "deductible_cents" in totals:
        checked["deductible_cents"] = require_cents(totals["deductible_cents"], "totals.deductible_cents")
    if checked["fee_cents"] != plan.fee_cents:
        raise ValueError(f"estimate fees {checked['fee_cents']} are not the plan's fees {plan.fee_cents}")
    parts = checked["writeoff_cents"] + checked["insurance_cents"] + checked["patient_cents"]
    if parts != checked["fee_cents"]:
        raise ValueError(f"estimate split {parts} does not sum to its fees {checked['fee_cents']}")
    lines = estimate.get("lines")
    if lines is not None and len(lines) != len(plan.procedures):
        raise ValueError(f"estimate has {len(lines)} lines for {len(plan.procedures)} procedures")
    return checked


def _declined(plan: Plan, operation: Operation, status: PlanStatus, record: Decline, now: datetime) -> Plan:
    phases = with_step_statuses(plan, {s.id: StepStatus.DECLINED for s in plan.steps})
    return transition(
        plan, operation, status, now, status=PlanStatus.DECLINED, phases=phases, decline=record
    )
