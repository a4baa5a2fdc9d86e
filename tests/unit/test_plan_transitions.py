"""Steps after acceptance and the plan transition table, walked whole: every status and operation, in the
table or refused, a JSON round trip in every state, and any random sequence of operations keeping a plan
consistent."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.lifecycle import IllegalTransition
from shared.domain.plan_codec import from_dict, to_dict
from shared.domain.plan_lifecycle import (
    accept,
    cancel_step,
    decline,
    decline_as_alternative,
    edit,
    mark_step_completed,
    mark_step_scheduled,
    present,
    unschedule_step,
)
from shared.domain.plan_transitions import ALLOWED_TRANSITIONS, STEP_TRANSITIONS, Operation
from shared.domain.plans import (
    COMMITTED_STATUSES,
    Plan,
    PlanStatus,
    StepStatus,
    effective_status,
)
from shared.errors import ChairsideError, InvalidInput, RuleViolation
from tests.factories import (
    DAY,
    S1,
    S2,
    S3,
    STEP_OPERATIONS,
    T0,
    accepted,
    estimate_for,
    make_plan,
    presented,
    proc,
    steps_status,
)

# ---- steps after acceptance -------------------------------------------------------------------------


def test_unscheduling_the_only_scheduled_step_returns_the_plan_to_accepted() -> None:
    plan = mark_step_scheduled(accepted(step_ids=[S1, S2]), S1, now=T0 + 2 * DAY)
    assert plan.status is PlanStatus.SCHEDULED
    back = unschedule_step(plan, S1, now=T0 + 3 * DAY)
    assert back.status is PlanStatus.PARTIALLY_ACCEPTED
    assert steps_status(back)[S1] is StepStatus.PENDING


def test_cancelling_the_last_unfinished_step_completes_the_plan() -> None:
    plan = mark_step_scheduled(accepted(), S1, now=T0 + 2 * DAY)
    plan = mark_step_completed(plan, S1, now=T0 + 3 * DAY)
    plan = cancel_step(plan, S2, now=T0 + 4 * DAY)
    assert plan.status is PlanStatus.IN_PROGRESS
    plan = cancel_step(plan, S3, now=T0 + 4 * DAY)
    assert plan.status is PlanStatus.COMPLETED
    assert [p.code for p in plan.accepted_procedures()] == ["D2391", "D0220"]


def test_the_last_step_to_carry_out_cannot_be_cancelled() -> None:
    plan = accepted(step_ids=[S1])
    with pytest.raises(RuleViolation, match="last step to carry out"):
        cancel_step(plan, S1, now=T0 + 2 * DAY)


def test_a_step_operation_names_a_step_of_the_plan() -> None:
    with pytest.raises(InvalidInput):
        mark_step_scheduled(accepted(), "stp_9999", now=T0)


def _plan_with_every_step_status() -> Plan:
    """In progress, with steps completed, scheduled, cancelled, declined and pending (in that order)."""
    phases = [{"name": "All", "steps": [{"procedures": [proc()]} for _ in range(5)]}]
    plan = presented(make_plan(phases))
    ids = [step.id for step in plan.steps]
    plan = accept(plan, signer_name="Ann", signed_version=plan.version, now=T0, step_ids=[*ids[:3], ids[4]])
    plan = mark_step_scheduled(plan, ids[0], now=T0)
    plan = mark_step_scheduled(plan, ids[1], now=T0)
    plan = mark_step_completed(plan, ids[0], now=T0)
    return cancel_step(plan, ids[2], now=T0)


@pytest.mark.parametrize("operation", list(STEP_OPERATIONS))
@pytest.mark.parametrize("step_status", list(StepStatus))
def test_every_step_transition_follows_the_step_table(operation: Operation, step_status: StepStatus) -> None:
    plan = _plan_with_every_step_status()
    assert plan.status is PlanStatus.IN_PROGRESS
    step_id = next(step.id for step in plan.steps if step.status is step_status)
    allowed = STEP_TRANSITIONS[operation]
    if step_status in allowed:
        after = STEP_OPERATIONS[operation](plan, step_id, now=T0 + DAY)
        assert steps_status(after)[step_id] is allowed[step_status]
        assert after.version == plan.version + 1
    else:
        with pytest.raises(RuleViolation, match=f"step lifecycle: cannot {operation} step {step_id}"):
            STEP_OPERATIONS[operation](plan, step_id, now=T0 + DAY)


# ---- the transition table ---------------------------------------------------------------------------

LATER = T0 + 2 * DAY


def plan_in(state: str) -> Plan:
    """A plan that reads as `state` at LATER ("expired_by_clock" is stored presented but overdue)."""
    if state == "draft":
        return make_plan()
    if state == "presented":
        return presented()
    if state == "expired_by_clock":
        return presented(validity_days=1)
    if state == "declined":
        return decline(presented(), reason="fear", now=T0)
    if state == "accepted":
        return accepted()
    if state == "partially_accepted":
        return accepted(step_ids=[S1, S2])
    plan = mark_step_scheduled(mark_step_scheduled(accepted(), S1, now=T0), S2, now=T0)
    if state == "scheduled":
        return plan
    plan = mark_step_completed(plan, S1, now=T0)
    if state == "in_progress":
        return plan
    plan = mark_step_scheduled(plan, S3, now=T0)
    return mark_step_completed(mark_step_completed(plan, S2, now=T0), S3, now=T0)  # completed


STATES = [
    "draft",
    "presented",
    "expired_by_clock",
    "declined",
    "accepted",
    "partially_accepted",
    "scheduled",
    "in_progress",
    "completed",
]


def _first_step(plan: Plan, *statuses: StepStatus) -> str:
    return next((s.id for s in plan.steps if s.status in statuses), plan.steps[0].id)


OPERATIONS: dict[Operation, Callable[[Plan], Plan]] = {
    Operation.EDIT: lambda plan: edit(plan, now=LATER, notes="a change"),
    Operation.PRESENT: lambda plan: present(plan, estimate=estimate_for(plan), now=LATER),
    Operation.ACCEPT: lambda plan: accept(
        plan, signer_name="Ann", signed_version=plan.presented_version or plan.version, now=LATER
    ),
    Operation.DECLINE: lambda plan: decline(plan, reason="insurance", now=LATER),
    Operation.DECLINE_AS_ALTERNATIVE: lambda plan: decline_as_alternative(
        plan, accepted_plan_id="pln_x", now=LATER
    ),
    Operation.SCHEDULE_STEP: lambda plan: mark_step_scheduled(
        plan, _first_step(plan, StepStatus.PENDING), now=LATER
    ),
    Operation.UNSCHEDULE_STEP: lambda plan: unschedule_step(
        plan, _first_step(plan, StepStatus.SCHEDULED), now=LATER
    ),
    Operation.COMPLETE_STEP: lambda plan: mark_step_completed(
        plan, _first_step(plan, StepStatus.SCHEDULED), now=LATER
    ),
    Operation.CANCEL_STEP: lambda plan: cancel_step(
        plan, _first_step(plan, StepStatus.PENDING, StepStatus.SCHEDULED), now=LATER
    ),
}


def test_every_status_and_operation_is_covered() -> None:
    assert {effective_status(plan_in(state), LATER) for state in STATES} == set(PlanStatus)
    assert set(OPERATIONS) == set(Operation) == set(ALLOWED_TRANSITIONS)


@pytest.mark.parametrize("operation", list(Operation))
@pytest.mark.parametrize("state", STATES)
def test_every_transition_outside_the_table_is_refused(state: str, operation: Operation) -> None:
    plan = plan_in(state)
    status = effective_status(plan, LATER)
    if status in ALLOWED_TRANSITIONS[operation]:
        return  # the allowed side is the next test's
    with pytest.raises(IllegalTransition) as refused:
        OPERATIONS[operation](plan)
    assert isinstance(refused.value, RuleViolation)
    assert f"plan lifecycle: cannot {operation} a plan that is {status}" in refused.value.message


# Allowed by status, refused by another rule: an unchanged presented plan already has its quote.
REFUSED_BY_ANOTHER_RULE = {("presented", Operation.PRESENT)}


@pytest.mark.parametrize("operation", list(Operation))
@pytest.mark.parametrize("state", STATES)
def test_every_transition_in_the_table_lands_where_the_table_says(state: str, operation: Operation) -> None:
    plan = plan_in(state)
    status = effective_status(plan, LATER)
    if status not in ALLOWED_TRANSITIONS[operation]:
        return  # the refused side is the previous test's
    if (state, operation) in REFUSED_BY_ANOTHER_RULE:
        with pytest.raises(RuleViolation) as refused:
            OPERATIONS[operation](plan)
        assert not isinstance(refused.value, IllegalTransition)
        return
    after = OPERATIONS[operation](plan)
    assert after.status in ALLOWED_TRANSITIONS[operation][status]
    assert from_dict(json.loads(json.dumps(to_dict(after)))) == after


@pytest.mark.parametrize("state", STATES)
def test_a_plan_in_any_state_survives_a_json_round_trip(state: str) -> None:
    plan = plan_in(state)
    assert from_dict(json.loads(json.dumps(to_dict(plan)))) == plan


# ---- any sequence of operations ---------------------------------------------------------------------


def _random_edit(plan: Plan, kind: int, now: datetime) -> Plan:
    phases = [
        {"name": phase.name, "steps": [{"id": s.id, "procedures": list(s.procedures)} for s in phase.steps]}
        for phase in plan.phases
    ]
    if kind == 0:
        phases[-1]["steps"].append({"procedures": [proc("D2150", 18000)]})
    elif kind == 1 and len(phases[0]["steps"]) > 1:
        phases[0]["steps"].pop()
    else:
        phases[0]["steps"][0]["procedures"][0] = proc(fee=plan.version * 1000)
    counter = iter(range(1000))
    return edit(
        plan, now=now, phases=phases, id_factory=lambda: f"stp_e{plan.version:03d}{next(counter):03d}"
    )


# Weighted towards the operations that move a plan forward, so that walks reach its later statuses.
WALK_OPERATIONS = [
    *[Operation.EDIT, Operation.PRESENT, Operation.ACCEPT] * 2,
    *[Operation.SCHEDULE_STEP, Operation.COMPLETE_STEP] * 3,
    Operation.UNSCHEDULE_STEP,
    Operation.CANCEL_STEP,
    Operation.DECLINE,
    Operation.DECLINE_AS_ALTERNATIVE,
]
actions = st.tuples(
    st.sampled_from(WALK_OPERATIONS),
    st.integers(0, 4),  # which step, which kind of edit, which signed version
    st.sampled_from([0, 1, 2, 10, 45, 95]),  # days that pass before it
)


def _apply(plan: Plan, operation: Operation, pick: int, now: datetime) -> Plan:
    """Run one operation with arguments chosen by `pick` (some valid, some not)."""
    if operation in STEP_OPERATIONS:
        return STEP_OPERATIONS[operation](plan, plan.steps[pick % len(plan.steps)].id, now=now)
    if operation is Operation.EDIT:
        return _random_edit(plan, pick % 3, now)
    if operation is Operation.PRESENT:
        return present(plan, estimate=estimate_for(plan), now=now)
    if operation is Operation.ACCEPT:
        signed = [plan.presented_version, plan.version, plan.version - 1, plan.version + 1, 1][pick]
        return accept(plan, signer_name="Ann", signed_version=signed, now=now)
    if operation is Operation.DECLINE:
        return decline(plan, reason="time", now=now)
    return decline_as_alternative(plan, accepted_plan_id="pln_other", now=now)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(STATES), st.lists(actions, max_size=25))
def test_any_sequence_of_operations_keeps_the_plan_consistent(
    start: str, sequence: list[tuple[Operation, int, int]]
) -> None:
    plan, now = plan_in(start), LATER
    for operation, pick, days in sequence:
        now += timedelta(days=days)
        before = effective_status(plan, now)
        try:
            after = _apply(plan, operation, pick, now)
        except ChairsideError:
            continue  # refused: the plan is as it was
        if after is not plan:
            assert after.status in ALLOWED_TRANSITIONS[operation][before]
            assert after.version == plan.version + 1
        if operation is Operation.ACCEPT:
            # Only a signature of the presented, unedited version is ever taken.
            assert after.acceptance is not None
            assert after.acceptance.version == plan.presented_version == plan.version
        plan = after
        _assert_consistent(plan)


def _assert_consistent(plan: Plan) -> None:
    assert [q.number for q in plan.quotes] == list(range(1, len(plan.quotes) + 1))
    if plan.status in COMMITTED_STATUSES:
        assert plan.acceptance is not None
        signed_quote = plan.quotes[plan.acceptance.quote_number - 1]
        # What was signed is exactly what is being carried out: same version, same procedures.
        assert signed_quote.plan_version == plan.acceptance.version
        assert signed_quote.phases == tuple(
            replace(phase, steps=tuple(replace(s, status=StepStatus.PENDING) for s in phase.steps))
            for phase in plan.phases
        )
    assert from_dict(json.loads(json.dumps(to_dict(plan)))) == plan
