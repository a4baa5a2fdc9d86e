"""The plan model: building and validating a new plan, effective status, and the JSON form."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.clock import iso, parse_instant
from shared.domain.plan_building import new_plan
from shared.domain.plan_codec import from_dict, to_dict
from shared.domain.plans import (
    MAX_PROCEDURES_PER_PLAN,
    PlannedProcedure,
    PlanStatus,
    StepStatus,
    effective_status,
)
from shared.errors import InvalidInput
from tests.factories import T0, estimate_for, make_plan, proc, raw_phases


def fields_of(error: InvalidInput) -> list[str]:
    return [detail["field"] for detail in error.details]


# ---- building a new plan ----------------------------------------------------------------------------


def test_new_plan_is_a_draft_at_version_1_with_pending_steps_in_plan_order() -> None:
    plan = make_plan(option_group="grp-molar-19", option_label="Crown", notes="patient anxious")

    assert plan.status is PlanStatus.DRAFT
    assert plan.version == 1
    assert plan.created_at == plan.updated_at == T0
    assert [step.id for step in plan.steps] == ["stp_0001", "stp_0002", "stp_0003"]
    assert {step.status for step in plan.steps} == {StepStatus.PENDING}
    assert [phase.name for phase in plan.phases] == ["Phase 1: urgent", "Phase 2: hygiene"]
    assert [p.code for p in plan.procedures] == ["D2391", "D0220", "D2740", "D1110"]
    assert plan.fee_cents == 150000
    assert (plan.option_group, plan.option_label, plan.notes) == ("grp-molar-19", "Crown", "patient anxious")
    assert plan.quotes == () and plan.acceptance is None and plan.decline is None
    assert plan.presented_version is None and plan.covering_quote() is None


def test_procedures_may_be_given_as_planned_procedures() -> None:
    crown = PlannedProcedure(code="D2740", tooth="19", surfaces=None, fee_cents=123000, category="crowns")
    plan = make_plan([{"name": "Only", "steps": [{"procedures": [crown]}]}])
    assert plan.procedures == (crown,)


def _without_steps(phases: list[dict[str, Any]]) -> None:
    phases[0]["steps"] = []


def _second_step_without_procedures(phases: list[dict[str, Any]]) -> None:
    phases[0]["steps"][1]["procedures"] = []


def _proc(phases: list[dict[str, Any]], p: int, s: int, i: int) -> dict[str, Any]:
    return phases[p]["steps"][s]["procedures"][i]


FIRST_PROC = "phases[0].steps[0].procedures[0]"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda phases: phases.clear(), "phases"),
        (_without_steps, "phases[0].steps"),
        (_second_step_without_procedures, "phases[0].steps[1].procedures"),
        (lambda phases: phases[1].update(name="  "), "phases[1].name"),
        (lambda phases: phases[1].pop("name"), "phases[1].name"),
        (lambda phases: phases.__setitem__(0, "Phase 1"), "phases[0]"),
        (lambda phases: phases[0]["steps"].__setitem__(0, ["D2391"]), "phases[0].steps[0]"),
        (
            lambda phases: _proc(phases, 0, 0, 1).update(fee_cents=30.5),
            "phases[0].steps[0].procedures[1].fee_cents",
        ),
        (lambda phases: _proc(phases, 0, 0, 0).update(fee_cents=-1), f"{FIRST_PROC}.fee_cents"),
        (lambda phases: _proc(phases, 0, 0, 0).update(fee_cents=True), f"{FIRST_PROC}.fee_cents"),
        (lambda phases: _proc(phases, 0, 0, 0).pop("code"), f"{FIRST_PROC}.code"),
        (lambda phases: _proc(phases, 0, 0, 0).update(tooth=""), f"{FIRST_PROC}.tooth"),
        (
            lambda phases: _proc(phases, 1, 0, 0).update(category=""),
            "phases[1].steps[0].procedures[0].category",
        ),
        (lambda phases: phases[1]["steps"][0]["procedures"].append(7), "phases[1].steps[0].procedures[1]"),
        (lambda phases: phases[0]["steps"][0].update(id="stp_9999"), "phases[0].steps[0].id"),
        (lambda phases: phases[0]["steps"][0].update(id=["stp_0001"]), "phases[0].steps[0].id"),
    ],
)
def test_a_malformed_plan_is_refused_with_the_field_path(mutate: Callable[[list], Any], field: str) -> None:
    phases = raw_phases()
    mutate(phases)
    with pytest.raises(InvalidInput) as caught:
        make_plan(phases)
    assert fields_of(caught.value) == [field]


def test_every_problem_is_reported_at_once() -> None:
    phases = raw_phases()
    phases[0]["name"] = ""
    phases[0]["steps"][1]["procedures"] = []
    phases[1]["steps"][0]["procedures"][0]["fee_cents"] = 90.0
    with pytest.raises(InvalidInput) as caught:
        make_plan(phases, notes=12, option_group=" ")
    assert fields_of(caught.value) == [
        "option_group",
        "notes",
        "phases[0].name",
        "phases[0].steps[1].procedures",
        "phases[1].steps[0].procedures[0].fee_cents",
    ]


def test_a_plan_holds_a_bounded_number_of_procedures() -> None:
    steps = [{"procedures": [proc()]} for _ in range(MAX_PROCEDURES_PER_PLAN + 1)]
    with pytest.raises(InvalidInput) as caught:
        make_plan([{"name": "Everything", "steps": steps}])
    assert fields_of(caught.value) == ["phases"]


@pytest.mark.parametrize("ids", [["pln_0001"], ["stp_0001", "stp_0001"]])
def test_step_ids_come_fresh_from_the_factory(ids: list[str]) -> None:
    given_ids = iter(ids)
    with pytest.raises(ValueError, match="stp_"):
        new_plan(
            plan_id="pln_0001",
            patient_id="pat_0001",
            location_id="loc_0001",
            coordinator_id="u",
            phases=[{"name": "P", "steps": [{"procedures": [proc()]}, {"procedures": [proc()]}]}],
            now=T0,
            id_factory=lambda: next(given_ids),
        )


def test_instants_must_be_timezone_aware() -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        make_plan(now=datetime(2025, 3, 1, 15, 0))


def test_unknown_step_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        make_plan().step("stp_9999")
    assert fields_of(caught.value) == ["step_id"]


# ---- effective status -------------------------------------------------------------------------------


def test_a_presented_plan_reads_as_expired_from_its_expiry_instant() -> None:
    expires_at = T0 + timedelta(days=90)
    presented = replace(make_plan(), status=PlanStatus.PRESENTED, expires_at=expires_at)
    assert effective_status(presented, expires_at - timedelta(microseconds=1)) is PlanStatus.PRESENTED
    assert effective_status(presented, expires_at) is PlanStatus.EXPIRED
    assert effective_status(make_plan(), T0 + timedelta(days=3650)) is PlanStatus.DRAFT


# ---- JSON form --------------------------------------------------------------------------------------


def test_to_dict_has_the_contract_shape() -> None:
    data = to_dict(make_plan())

    contract = {"id", "patient_id", "location_id", "status", "version", "phases", "totals"}
    assert contract <= data.keys()
    assert data["status"] == "draft" and data["version"] == 1
    step = data["phases"][0]["steps"][0]
    assert step.keys() == {"id", "status", "procedures", "urgent"} and step["urgent"] is False
    assert data["phases"][0]["not_before"] is None
    assert step["status"] == "pending"
    assert step["procedures"][0] == {
        "code": "D2391",
        "tooth": "30",
        "surfaces": "MO",
        "fee_cents": 15000,
        "category": "restorative",
    }
    assert data["created_at"] == "2025-03-01T15:00:00.000Z"
    assert data["coordinator_id"] == "user-coordinator-1"
    json.dumps(data)  # JSON-ready: no datetimes, enums or tuples left


def test_a_draft_knows_only_its_fees_unless_totals_are_given() -> None:
    plan = make_plan()
    assert to_dict(plan)["totals"] == {
        "fee_cents": 150000,
        "writeoff_cents": None,
        "insurance_cents": None,
        "patient_cents": None,
    }
    fresh = estimate_for(plan)["totals"]
    assert to_dict(plan, totals=fresh)["totals"] == fresh


def test_instants_are_written_in_utc_with_z_and_read_back_from_any_offset() -> None:
    local = datetime(2025, 3, 1, 10, 0, 0, 250000, tzinfo=timezone(timedelta(hours=-5)))
    assert iso(local) == "2025-03-01T15:00:00.250Z"
    assert iso(local + timedelta(microseconds=999)) == "2025-03-01T15:00:00.250Z"  # truncated, never rounded up
    assert parse_instant("2025-03-01T10:00:00-05:00") == T0
    assert parse_instant("2025-03-01T15:00:00Z").tzinfo is UTC


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12).filter(
    str.strip
)
procedures = st.builds(
    proc,
    code=st.from_regex(r"D\d{4}", fullmatch=True),
    fee=st.integers(0, 5_000_000),
    category=st.sampled_from(["diagnostic", "restorative", "crowns", "implants"]),
    tooth=st.none() | st.sampled_from(["1", "19", "32", "A", "T"]),
    surfaces=st.none() | st.sampled_from(["", "M", "MOD", "BL"]),
)
steps = st.fixed_dictionaries({"procedures": st.lists(procedures, min_size=1, max_size=3)})
phase_lists = st.lists(
    st.fixed_dictionaries({"name": texts, "steps": st.lists(steps, min_size=1, max_size=3)}),
    min_size=1,
    max_size=3,
)


@settings(max_examples=100, deadline=None)
@given(
    phases=phase_lists,
    notes=st.text(max_size=40),
    group=st.none() | texts,
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_any_new_plan_survives_a_json_round_trip(
    phases: list[dict[str, Any]], notes: str, group: str | None, moment: datetime
) -> None:
    plan = make_plan(phases, notes=notes, option_group=group, now=moment)
    assert from_dict(json.loads(json.dumps(to_dict(plan)))) == plan
