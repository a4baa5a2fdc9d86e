"""How a plan moves: edits, frozen quotes, signatures, expiry, alternatives, steps, the transition table."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.domain.lifecycle import IllegalTransition
from shared.domain.plan_codec import to_dict
from shared.domain.plan_lifecycle import (
    StaleQuote,
    accept,
    decline,
    decline_alternatives,
    edit,
    mark_step_completed,
    mark_step_scheduled,
    present,
)
from shared.domain.plans import (
    DeclineReason,
    Plan,
    PlanStatus,
    StepStatus,
    effective_status,
)
from shared.errors import InvalidInput, RuleViolation
from tests.factories import (
    DAY,
    S1,
    S2,
    S3,
    T0,
    accepted,
    estimate_for,
    make_plan,
    presented,
    proc,
    raw_phases,
    steps_status,
)

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
