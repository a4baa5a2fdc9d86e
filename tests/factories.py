"""Valid request bodies for tests, so each test states only what it is about."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.domain.plan_building import new_plan
from shared.domain.plan_lifecycle import (
    accept,
    cancel_step,
    mark_step_completed,
    mark_step_scheduled,
    present,
    unschedule_step,
)
from shared.domain.plan_transitions import Operation
from shared.domain.plans import Plan, StepStatus


def location_body(**overrides) -> dict:
    body = {"name": "Riverside Dental", "timezone": "America/New_York", "phone": "+15551230000",
            "email": "front@riverside.example", "languages": ["en", "es"]}
    body.update(overrides)
    return body


def patient_body(location_id: str, **overrides) -> dict:
    body = {"location_id": location_id, "first_name": "Ana", "last_name": "Núñez", "date_of_birth": "1985-04-12",
            "phone": "+15557654321", "email": "ana.nunez@example.com", "language": "es",
            "consent": {"sms": {"appointment": True}, "email": {"appointment": True, "billing": True}}}
    body.update(overrides)
    return body


def plan_body(patient_id: str, **overrides) -> dict:
    """Exam, cleaning, a crown on #3 and a root canal on #14, in two phases."""
    body = {"patient_id": patient_id, "phases": [
        {"name": "Phase 1: diagnose and clean", "steps": [
            {"procedures": [{"code": "D0150"}, {"code": "D1110"}]}]},
        {"name": "Phase 2: restore", "steps": [
            {"procedures": [{"code": "D3330", "tooth": "14"}]},
            {"procedures": [{"code": "D2740", "tooth": 3}]}]},
    ]}
    body.update(overrides)
    return body


def coverage_body(**overrides) -> dict:
    body = {"carrier": "Delta Dental", "member_id": "DD-1", "renewal_month": 1, "annual_max_cents": 150000,
            "used_cents": 90000, "deductible_cents": 5000,
            "coverage_pct": {"diagnostic": 100, "xray": 100, "preventive": 100, "restorative": 80,
                             "endodontics": 80, "periodontics": 80, "crowns": 50, "prosthodontics": 50}}
    body.update(overrides)
    return body


# --- payments: a presented (or accepted) plan, and the integer-cents guard on responses ---------------------

PAYMENT_FEES = {"D0150": 12000, "D1110": 10000, "D3330": 110000, "D2740": 130000}


def insured_patient(caller, **location_overrides) -> tuple[dict, dict]:
    """(location, patient): the plan_body fees at the location, coverage_body on file."""
    location = caller.post("/locations", location_body(fee_schedule=PAYMENT_FEES, **location_overrides)).data
    patient = caller.post("/patients", patient_body(location["id"])).data
    assert caller.put(f"/patients/{patient['id']}/coverage", coverage_body()).status_code == 200
    return location, patient


def quoted_plan(caller, patient_id: str, accept_steps: int | None = None) -> dict:
    """plan_body presented (patient portion 202000, insurance 60000); accepted when `accept_steps` is given
    (0 = every step, n = the first n steps)."""
    plan = caller.post("/plans", plan_body(patient_id)).data
    plan = caller.post(f"/plans/{plan['id']}/present", {}).data
    if accept_steps is not None:
        steps = [s["id"] for phase in plan["phases"] for s in phase["steps"]]
        body = {"signer_name": "Ana Núñez", "version": plan["version"]}
        if accept_steps:
            body["step_ids"] = steps[:accept_steps]
        plan = caller.post(f"/plans/{plan['id']}/accept", body).data
    return plan


def cents_problems(data, path: str = "$") -> list[str]:
    """Paths of every `*_cents` value in a response that is not integer cents (null is allowed)."""
    problems = []
    if isinstance(data, dict):
        for key, value in data.items():
            here = f"{path}.{key}"
            if key.endswith("_cents") and value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                problems.append(f"{here} = {value!r}")
            problems += cents_problems(value, here)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            problems += cents_problems(item, f"{path}[{index}]")
    return problems


@pytest.fixture
def int_cents_only(monkeypatch, admin):
    """Every response a test's callers get is checked: each `*_cents` value is an int."""
    caller = type(admin)  # the callers' class (every caller is made from `admin`)
    original = caller.call

    def checked(self, *args, **kwargs):
        response = original(self, *args, **kwargs)
        assert cents_problems(response.data) == [], f"non-integer cents in {args[:2]}"
        return response

    monkeypatch.setattr(caller, "call", checked)


def commit(*writes) -> None:
    """Run writes (callables taking a unit of work, as the services build them) as one unit of work."""
    from shared.store.unit_of_work import UnitOfWork

    uow = UnitOfWork()
    for write in writes:
        write(uow)
    uow.commit()


# --- plans in the domain (no store): procedures, phases, a plan, an estimate of it ---------------------

T0 = datetime(2025, 3, 1, 15, 0, tzinfo=UTC)


def proc(
    code: str = "D2391",
    fee: int = 15000,
    category: str = "restorative",
    tooth: str | None = "30",
    surfaces: str | None = "MO",
) -> dict[str, Any]:
    return {"code": code, "tooth": tooth, "surfaces": surfaces, "fee_cents": fee, "category": category}


def raw_phases() -> list[dict[str, Any]]:
    """Two phases, three steps, four procedures (fees 1500.00 in all)."""
    return [
        {
            "name": "Phase 1: urgent",
            "steps": [
                {"procedures": [proc(), proc("D0220", 3000, "xray", None, None)]},
                {"procedures": [proc("D2740", 123000, "crowns", "19", None)]},
            ],
        },
        {
            "name": "Phase 2: hygiene",
            "steps": [{"procedures": [proc("D1110", 9000, "preventive", None, None)]}],
        },
    ]


def step_id_factory() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"stp_{next(counter):04d}"


def make_plan(
    phases: list[dict[str, Any]] | None = None, plan_id: str = "pln_0001", now: datetime = T0, **extra: Any
) -> Plan:
    return new_plan(
        plan_id=plan_id,
        patient_id="pat_0001",
        location_id="loc_0001",
        coordinator_id="user-coordinator-1",
        phases=raw_phases() if phases is None else phases,
        now=now,
        id_factory=step_id_factory(),
        **extra,
    )


def estimate_for(plan: Plan) -> dict[str, Any]:
    """An estimate of exactly this plan's procedures: 10% write-off, half the rest paid by insurance."""
    lines = []
    for item in plan.procedures:
        writeoff = item.fee_cents // 10
        insurance = (item.fee_cents - writeoff) // 2
        lines.append(
            {
                "code": item.code,
                "fee_cents": item.fee_cents,
                "writeoff_cents": writeoff,
                "deductible_cents": 0,
                "insurance_cents": insurance,
                "patient_cents": item.fee_cents - writeoff - insurance,
                "limits": [],
            }
        )
    fields = ("fee_cents", "writeoff_cents", "deductible_cents", "insurance_cents", "patient_cents")
    return {"lines": lines, "totals": {name: sum(line[name] for line in lines) for name in fields}}


# --- plans moved along their lifecycle (shared/domain/plan_lifecycle.py) ----------------------------

DAY = timedelta(days=1)
S1, S2, S3 = "stp_0001", "stp_0002", "stp_0003"  # the step ids make_plan gives its three steps


def presented(plan: Plan | None = None, at: datetime = T0, **kwargs: Any) -> Plan:
    plan = plan or make_plan()
    return present(plan, estimate=estimate_for(plan), now=at, **kwargs)


def accepted(step_ids: list[str] | None = None, at: datetime = T0 + DAY) -> Plan:
    plan = presented()
    return accept(plan, signer_name="Ann Patient", signed_version=plan.version, now=at, step_ids=step_ids)


def steps_status(plan: Plan) -> dict[str, StepStatus]:
    return {step.id: step.status for step in plan.steps}


# The plan operations on one step, by the transition table's name for them.
STEP_OPERATIONS: dict[Operation, Callable[..., Plan]] = {
    Operation.SCHEDULE_STEP: mark_step_scheduled,
    Operation.UNSCHEDULE_STEP: unschedule_step,
    Operation.COMPLETE_STEP: mark_step_completed,
    Operation.CANCEL_STEP: cancel_step,
}
