"""How a plan moves: edits, frozen quotes, signatures, expiry, alternatives, steps, the transition table."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.lifecycle import IllegalTransition
from shared.domain.plan_codec import from_dict, to_dict
from shared.domain.plan_lifecycle import (
    StaleQuote,
    accept,
    cancel_step,
    decline,
    decline_alternatives,
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
    DeclineReason,
    Plan,
    PlanStatus,
    StepStatus,
    effective_status,
)
from shared.errors import ChairsideError, InvalidInput, RuleViolation
from tests.factories import T0, estimate_for, make_plan, proc, raw_phases

DAY = timedelta(days=1)
S1, S2, S3 = "stp_0001", "stp_0002", "stp_0003"


def presented(plan: Plan | None = None, at: datetime = T0, **kwargs: Any) -> Plan:
    plan = plan or make_plan()
    return present(plan, estimate=estimate_for(plan), now=at, **kwargs)


def accepted(step_ids: list[str] | None = None, at: datetime = T0 + DAY) -> Plan:
    plan = presented()
    return accept(plan, signer_name="Ann Patient", signed_version=plan.version, now=at, step_ids=step_ids)


def steps_status(plan: Plan) -> dict[str, StepStatus]:
    return {step.id: step.status for step in plan.steps}


# ---- the whole way ----------------------------------------------------------------------------------


def test_full_lifecycle_from_draft_to_completed() -> None:
    draft = make_plan()
    edited = edit(draft, now=T0, notes="discussed at the chair")
    quoted = presented(edited, at=T0 + timedelta(hours=1))
    signed = accept(quoted, signer_name=" Ann Patient ", signed_version=quoted.version, now=T0 + 2 * DAY)
    booked = mark_step_scheduled(signed, S1, now=T0 + 3 * DAY)
    booked = mark_step_scheduled(booked, S2, now=T0 + 3 * DAY)
    started = mark_step_completed(booked, S1, now=T0 + 10 * DAY)
    booked_last = mark_step_scheduled(started, S3, now=T0 + 11 * DAY)
    almost = mark_step_completed(booked_last, S2, now=T0 + 20 * DAY)
    done = mark_step_completed(almost, S3, now=T0 + 30 * DAY)

    journey = [draft, edited, quoted, signed, booked, started, booked_last, almost, done]
    assert [p.status for p in journey] == [
        "draft",
        "draft",
        "presented",
        "accepted",
        "scheduled",
        "in_progress",
        "in_progress",
        "in_progress",
        "completed",
    ]
    assert [p.version for p in journey] == [1, 2, 3, 4, 6, 7, 8, 9, 10]
    assert done.updated_at == T0 + 30 * DAY
    assert set(steps_status(done).values()) == {StepStatus.COMPLETED}
    assert done.acceptance is not None
    assert done.acceptance.signer_name == "Ann Patient"
    assert done.acceptance.step_ids == (S1, S2, S3)
    assert done.acceptance.version == 3 and done.acceptance.quote_number == 1
    assert to_dict(done)["totals"] == estimate_for(done)["totals"] | {"deductible_cents": 0}


def test_operations_leave_their_input_unchanged() -> None:
    plan = presented()
    snapshot = to_dict(plan)
    accept(plan, signer_name="Ann", signed_version=plan.version, now=T0, step_ids=[S1])
    edit(plan, now=T0, notes="x")
    assert to_dict(plan) == snapshot


# ---- editing and versions ---------------------------------------------------------------------------


def test_editing_a_draft_bumps_the_version_keeps_step_ids_and_numbers_new_steps() -> None:
    plan = make_plan()
    phases = raw_phases()
    phases[0]["steps"][0]["id"] = S1
    phases[0]["steps"][1] = {"procedures": [proc("D2950", 25000, "restorative", "19", None)]}
    phases[1]["steps"][0]["id"] = S3
    edited = edit(plan, now=T0 + DAY, phases=phases, id_factory=lambda: "stp_0100")

    assert edited.status is PlanStatus.DRAFT
    assert edited.version == 2 and edited.updated_at == T0 + DAY
    assert [s.id for s in edited.steps] == [S1, "stp_0100", S3]  # S2 was removed
    assert edited.steps[1].procedures[0].code == "D2950"


def test_a_removed_step_id_is_never_given_to_a_new_step() -> None:
    phases = raw_phases()
    phases[0]["steps"][0]["id"] = S1
    phases[1]["steps"][0]["id"] = S3  # S2 is dropped, and the factory offers its id again
    with pytest.raises(ValueError, match="fresh"):
        edit(make_plan(), now=T0, phases=phases, id_factory=lambda: S2)


def test_an_edit_that_changes_nothing_is_not_a_new_version() -> None:
    plan = presented()
    same_phases = [
        {
            "name": phase.name,
            "steps": [{"id": step.id, "procedures": list(step.procedures)} for step in phase.steps],
        }
        for phase in plan.phases
    ]
    assert edit(plan, now=T0 + DAY, phases=same_phases, notes=plan.notes) is plan
    assert edit(plan, now=T0 + DAY) is plan


def test_edit_refuses_unknown_step_ids_and_bad_text() -> None:
    plan = make_plan()
    phases = raw_phases()
    phases[1]["steps"][0]["id"] = "stp_9999"
    with pytest.raises(InvalidInput) as caught:
        edit(plan, now=T0, phases=phases, notes=5)
    assert [d["field"] for d in caught.value.details] == ["notes"]
    with pytest.raises(InvalidInput) as caught:
        edit(plan, now=T0, phases=phases)
    assert [d["field"] for d in caught.value.details] == ["phases[1].steps[0].id"]
    phases[1]["steps"][0]["id"] = S1
    phases[0]["steps"][0]["id"] = S1
    with pytest.raises(InvalidInput) as caught:
        edit(plan, now=T0, phases=phases)
    assert caught.value.details == [{"field": "phases[1].steps[0].id", "message": "appears more than once"}]


def test_an_empty_option_label_clears_it() -> None:
    plan = make_plan(option_group="grp", option_label="Bridge")
    assert edit(plan, now=T0, option_label="").option_label is None


def test_editing_a_presented_plan_versions_it_and_its_quote_no_longer_covers_it() -> None:
    plan = presented()
    edited = edit(plan, now=T0 + DAY, notes="patient asked about a bridge instead")

    assert edited.status is PlanStatus.PRESENTED
    assert edited.version == plan.version + 1
    assert edited.presented_version == plan.version
    assert edited.quotes == plan.quotes  # history stays
    assert plan.covering_quote() is plan.quotes[0]
    assert edited.covering_quote() is None
    assert to_dict(edited)["totals"]["insurance_cents"] is None


def test_a_quote_is_frozen_against_later_edits_and_the_estimate_it_was_given() -> None:
    plan = make_plan()
    estimate = estimate_for(plan)
    quoted = present(plan, estimate=estimate, now=T0)
    estimate["totals"]["patient_cents"] = 1
    estimate["lines"][0]["insurance_cents"] = 1
    phases = raw_phases()
    phases[0]["steps"][0] = {"id": S1, "procedures": [proc(fee=99999)]}
    phases[0]["steps"][1]["id"] = S2
    phases[1]["steps"][0]["id"] = S3
    edited = edit(quoted, now=T0 + DAY, phases=phases)

    quote = edited.quotes[0]
    assert quote.phases == plan.phases
    assert quote.estimate == estimate_for(plan)
    assert quote.totals == estimate_for(plan)["totals"]
    assert (quote.number, quote.plan_version, quote.presented_at) == (1, 2, T0)


def test_a_presented_version_cannot_be_presented_again_unchanged() -> None:
    plan = presented()
    with pytest.raises(RuleViolation, match="quotes are frozen"):
        presented(plan, at=T0 + DAY)


def test_present_takes_only_an_estimate_of_this_very_plan() -> None:
    plan = make_plan()
    wrong_fee = estimate_for(plan)
    wrong_fee["totals"]["fee_cents"] += 1
    wrong_split = estimate_for(plan)
    wrong_split["totals"]["patient_cents"] += 1
    short = estimate_for(plan)
    short["lines"].pop()
    for estimate, problem in [(wrong_fee, "fees"), (wrong_split, "sum"), (short, "lines")]:
        with pytest.raises(ValueError, match=problem):
            present(plan, estimate=estimate, now=T0)
    with pytest.raises(ValueError, match="totals"):
        present(plan, estimate={"lines": []}, now=T0)


# ---- signatures -------------------------------------------------------------------------------------


def test_a_signature_never_covers_a_version_it_did_not_see() -> None:
    first = presented()  # version 2, quote 1
    edited = edit(first, now=T0 + DAY, notes="changed after presenting")  # version 3, no quote

    with pytest.raises(StaleQuote, match="signature must cover the presented version") as stale:
        accept(edited, signer_name="Ann", signed_version=first.version, now=T0 + DAY)
    assert stale.value.code == "stale_quote" and isinstance(stale.value, RuleViolation)
    with pytest.raises(RuleViolation, match="has not been presented") as unpresented:
        accept(edited, signer_name="Ann", signed_version=edited.version, now=T0 + DAY)
    assert not isinstance(unpresented.value, StaleQuote)

    second = presented(edited, at=T0 + 2 * DAY)  # version 4, quote 2
    assert [(q.number, q.plan_version) for q in second.quotes] == [(1, 2), (2, 4)]
    for old in (first.version, edited.version, 99):
        with pytest.raises(StaleQuote):
            accept(second, signer_name="Ann", signed_version=old, now=T0 + 2 * DAY)
    signed = accept(second, signer_name="Ann", signed_version=second.version, now=T0 + 2 * DAY)
    assert signed.acceptance is not None
    assert (signed.acceptance.version, signed.acceptance.quote_number) == (4, 2)
    assert signed.covering_quote() is second.quotes[1]


def test_acceptance_needs_a_signer_name() -> None:
    plan = presented()
    with pytest.raises(InvalidInput) as caught:
        accept(plan, signer_name="   ", signed_version=plan.version, now=T0)
    assert caught.value.details[0]["field"] == "signer_name"


# ---- partial acceptance -----------------------------------------------------------------------------


def test_accepting_some_steps_declines_the_others() -> None:
    plan = accepted(step_ids=[S3, S1])

    assert plan.status is PlanStatus.PARTIALLY_ACCEPTED
    assert steps_status(plan) == {S1: "pending", S2: "declined", S3: "pending"}
    assert plan.acceptance is not None and plan.acceptance.step_ids == (S1, S3)  # plan order
    assert [p.code for p in plan.accepted_procedures()] == ["D2391", "D0220", "D1110"]
    assert accepted(step_ids=[S1, S2, S3]).status is PlanStatus.ACCEPTED


def test_a_step_that_was_not_accepted_cannot_be_scheduled() -> None:
    plan = accepted(step_ids=[S1])
    with pytest.raises(RuleViolation, match="not accepted"):
        mark_step_scheduled(plan, S2, now=T0 + 2 * DAY)


def test_a_partially_accepted_plan_completes_when_its_accepted_steps_do() -> None:
    plan = accepted(step_ids=[S1, S3])
    plan = mark_step_scheduled(plan, S1, now=T0 + 2 * DAY)
    plan = mark_step_scheduled(plan, S3, now=T0 + 2 * DAY)
    plan = mark_step_completed(plan, S1, now=T0 + 3 * DAY)
    assert plan.status is PlanStatus.IN_PROGRESS
    plan = mark_step_completed(plan, S3, now=T0 + 4 * DAY)
    assert plan.status is PlanStatus.COMPLETED
    assert steps_status(plan)[S2] is StepStatus.DECLINED


@pytest.mark.parametrize("step_ids", [[], [S1, S1], [S1, "stp_9999"], S1, [[S1]]])
def test_accept_refuses_bad_step_selections(step_ids: Any) -> None:
    plan = presented()
    with pytest.raises(InvalidInput) as caught:
        accept(plan, signer_name="Ann", signed_version=plan.version, now=T0, step_ids=step_ids)
    assert caught.value.details[0]["field"] == "step_ids"


# ---- declining and alternatives ---------------------------------------------------------------------


def test_declining_records_the_reason_and_declines_every_step() -> None:
    plan = decline(presented(), reason="cost", note="will wait for next year's benefits", now=T0 + DAY)

    assert plan.status is PlanStatus.DECLINED
    assert set(steps_status(plan).values()) == {StepStatus.DECLINED}
    assert plan.decline is not None
    assert (plan.decline.reason, plan.decline.declined_at) == (DeclineReason.COST, T0 + DAY)
    assert to_dict(plan)["decline"]["reason"] == "cost"


@pytest.mark.parametrize(
    ("reason", "note"), [("price", ""), ("alternative_accepted", ""), (["cost"], ""), ("cost", "x" * 1001)]
)
def test_decline_refuses_unknown_reasons_and_overlong_notes(reason: str, note: str) -> None:
    with pytest.raises(InvalidInput):
        decline(presented(), reason=reason, note=note, now=T0)


def _option(plan_id: str, label: str) -> Plan:
    return make_plan(plan_id=plan_id, option_group="grp-tooth-19", option_label=label)


def test_accepting_one_option_declines_the_others_of_its_group() -> None:
    implant = presented(_option("pln_a", "Implant"))
    bridge = presented(_option("pln_b", "Bridge"))
    partial = _option("pln_c", "Partial denture")  # never presented
    nothing = decline(presented(_option("pln_d", "No treatment")), reason="other", now=T0)
    chosen = accept(bridge, signer_name="Ann", signed_version=bridge.version, now=T0 + DAY)

    changed = decline_alternatives([implant, chosen, partial, nothing], "pln_b", now=T0 + DAY)

    assert [p.id for p in changed] == ["pln_a", "pln_c"]
    for plan in changed:
        assert plan.status is PlanStatus.DECLINED
        assert plan.decline is not None
        assert plan.decline.reason is DeclineReason.ALTERNATIVE_ACCEPTED
        assert "pln_b" in plan.decline.note


def test_only_one_option_of_a_group_can_be_accepted() -> None:
    implant = presented(_option("pln_a", "Implant"))
    bridge = presented(_option("pln_b", "Bridge"))
    both = [accept(p, signer_name="Ann", signed_version=p.version, now=T0) for p in (implant, bridge)]
    with pytest.raises(RuleViolation, match="only one option"):
        decline_alternatives(both, "pln_b", now=T0)
    with pytest.raises(RuleViolation, match="once one is accepted"):
        decline_alternatives([implant, bridge], "pln_b", now=T0)


def test_decline_alternatives_needs_one_group_that_holds_the_accepted_plan() -> None:
    chosen = accepted()  # no option group
    with pytest.raises(ValueError, match="option group"):
        decline_alternatives([chosen], chosen.id, now=T0)
    with pytest.raises(ValueError, match="not among"):
        decline_alternatives([chosen], "pln_other", now=T0)


# ---- expiry -----------------------------------------------------------------------------------------


def test_a_presented_plan_expires_after_90_days() -> None:
    plan = presented()
    deadline = T0 + timedelta(days=90)
    assert plan.expires_at == deadline and plan.quotes[0].expires_at == deadline

    just_in_time = accept(
        plan, signer_name="Ann", signed_version=plan.version, now=deadline - timedelta(seconds=1)
    )
    assert just_in_time.status is PlanStatus.ACCEPTED
    with pytest.raises(
        IllegalTransition, match="cannot accept a plan that is expired.*expired at 2025-05-30"
    ):
        accept(plan, signer_name="Ann", signed_version=plan.version, now=deadline)
    with pytest.raises(IllegalTransition, match="cannot edit"):
        edit(plan, now=deadline, notes="too late")
    assert decline(plan, reason="time", now=deadline).status is PlanStatus.DECLINED
    assert to_dict(plan, now=deadline)["status"] == "expired"


def test_validity_is_per_location_configuration() -> None:
    plan = presented(validity_days=30)
    assert effective_status(plan, T0 + timedelta(days=30)) is PlanStatus.EXPIRED
    with pytest.raises(ValueError, match="validity_days"):
        presented(validity_days=0)


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


STEP_OPERATIONS: dict[Operation, Callable[..., Plan]] = {
    Operation.SCHEDULE_STEP: mark_step_scheduled,
    Operation.UNSCHEDULE_STEP: unschedule_step,
    Operation.COMPLETE_STEP: mark_step_completed,
    Operation.CANCEL_STEP: cancel_step,
}


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
