"""Schemathesis against the app in process: every operation of /openapi.json, as an admin, a coordinator (granted
one location) and a read-only user, with generated requests that use real ids half of the time, so bodies and
state machines are reached and not only 404s. Any 5xx, an undocumented status, content type or header, or a
body that breaks its response model fails the test. Generation is derandomised, so a run is reproducible."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import app
from infra.local_gateway import with_gateway
from shared import clock
from shared.clock import iso
from tests.contract.chalice_wsgi import wsgi
from tests.factories import insured_patient, quoted_plan

# Per operation and role: requests that fit the schema, and requests that break it (wrong types, missing or
# extra fields, malformed headers), which must be refused with a documented 4xx.
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 4}
MIN_CASES = 1500
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
ID_FIELDS = ("location_id", "patient_id", "plan_id", "appointment_id", "payment_id", "followup_id",
             "financing_id", "claim_id")


def seed(admin) -> dict[str, object]:
    """A location, an insured patient, an accepted plan, an appointment carrying one of its steps, a payment,
    a financing application, a claim and a follow-up (from a no-show): the ids generated requests may use."""
    location, patient = insured_patient(admin)
    plan = quoted_plan(admin, patient["id"], accept_steps=0)
    steps = [step["id"] for phase in plan["phases"] for step in phase["steps"]]
    soon = clock.now().replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(days=10)
    booked = admin.post("/appointments", {"patient_id": patient["id"], "start": iso(soon), "plan_id": plan["id"],
                                          "step_ids": steps[:1]}).data
    missed = admin.post("/appointments", {"patient_id": patient["id"], "start": iso(soon + timedelta(days=2))}).data
    with clock.frozen_at(soon + timedelta(days=2, hours=1)):
        admin.post(f"/appointments/{missed['id']}/no-show")
    followups = admin.get(f"/followups?location_id={location['id']}").data["items"]
    payment = admin.post("/payments", {"plan_id": plan["id"], "amount_cents": 1000, "method": "cash"},
                         headers={"Idempotency-Key": "contract-seed"}).data
    financing = admin.post(f"/plans/{plan['id']}/financing", {"provider": "sunbit", "amount_cents": 50000}).data
    claim = admin.post(f"/plans/{plan['id']}/claims", {}).data
    ids = {"location_id": location["id"], "patient_id": patient["id"], "plan_id": plan["id"],
           "appointment_id": booked["id"], "payment_id": payment["id"], "financing_id": financing["id"],
           "claim_id": claim["id"], "followup_id": followups[0]["id"] if followups else None, "step_ids": steps}
    assert all(ids.values()), ids
    return ids


def with_real_ids(case, ids: dict[str, object]) -> None:
    """Point the generated request at the seeded resources (path, query and body ids)."""
    for name in list(case.path_parameters or {}):
        if name in ids:
            case.path_parameters[name] = ids[name]
    for name in ID_FIELDS:
        if isinstance(case.query, dict) and name in case.query:
            case.query[name] = ids[name]
        if isinstance(case.body, dict) and name in case.body:
            case.body[name] = ids[name]
    if isinstance(case.body, dict) and isinstance(case.body.get("step_ids"), list):
        case.body["step_ids"] = ids["step_ids"][: max(1, len(case.body["step_ids"]))]


def fuzz(operation, mode: GenerationMode, role: str, token: str, ids: dict, cases: Counter,
         failures: list[str]) -> None:
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None, derandomize=True,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
    def run(case, real):
        if real:
            with_real_ids(case, ids)
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        cases[f"{mode.value} as {role}"] += 1
        if mode is GenerationMode.POSITIVE:
            cases[f"positive {response.status_code // 100}xx"] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # collect every failure, not only the first
            failures.append(f"{operation.label} {mode.value} as {role}: {response.status_code} {response.text[:300]}\n"
                            f"  request: {case.path_parameters} {case.query} {json.dumps(case.body)[:300]}\n"
                            f"  {str(exc)[:600]}")

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid (GET /health has no input)
        assert mode is GenerationMode.NEGATIVE, operation.label


@pytest.fixture(params=[pytest.param("ddblocal", marks=pytest.mark.ddblocal)])
def store(request):
    """On DynamoDB Local only: the fuzz is about our code's answers, which moto would only repeat (83 s of
    the suite's 2-core run); every other API test still runs on both."""
    yield request.getfixturevalue("ddblocal_store")


@pytest.fixture
def schema(http):
    return schemathesis.openapi.from_wsgi("/openapi.json", wsgi(with_gateway(app)))  # tokens verified as in AWS


def test_generated_requests_get_no_5xx_and_keep_to_the_contract(schema, admin):
    ids = seed(admin)
    tokens = {"admin": admin.token,
              "coordinator": admin.as_("coordinator", locations=(ids["location_id"],)).token,
              "readonly": admin.as_("readonly").token}
    cases: Counter[str] = Counter()
    failures: list[str] = []

    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for role, token in tokens.items():
            for mode in EXAMPLES:
                fuzz(operation, mode, role, token, ids, cases, failures)

    total = sum(count for name, count in cases.items() if " as " in name)
    successes, positive = cases["positive 2xx"], sum(cases[f"positive {n}xx"] for n in (2, 4, 5))
    print(f"schemathesis: {total} cases over {len(operations)} operations ({dict(cases)})")
    assert not failures, f"{len(failures)} failures, first ones:\n" + "\n".join(failures[:15])
    assert total >= MIN_CASES
    assert successes >= positive // 10, f"only {successes} of {positive} valid requests succeeded: is auth wired?"
