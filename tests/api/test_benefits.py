"""The benefits engine over HTTP: two coverages, history, estimates with per-coverage figures and reasons,
benefit years, claims that move the right usage, and acceptance of some steps. The arithmetic is in each
docstring; each of the six defects of issue 10 has its test here (they failed before the engine)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.clock import frozen_at
from tests.factories import coverage_body, int_cents_only, location_body, patient_body  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("int_cents_only")

NOV = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
JAN = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)
FEES = {"D0150": 12000, "D1110": 10000, "D2391": 20000, "D2740": 120000, "D8080": 500000, "D3330": 110000}
PRIMARY = coverage_body(used_cents=0, deductible_cents=0)


@pytest.fixture
def patient(admin):
    location = admin.post("/locations", location_body(fee_schedule=FEES)).data
    return admin.post("/patients", patient_body(location["id"])).data


def put(caller, patient, rank, body, **headers):
    return caller.put(f"/patients/{patient['id']}/coverages/{rank}", body, headers=headers or None)


def plan_of(caller, patient, *steps, urgent=()):
    """A plan with one phase per step, each step the given codes ("D2391@30@O": tooth 30, surface O)."""
    phases = []
    for index, codes in enumerate(steps):
        procedures = [dict(zip(("code", "tooth", "surfaces"), code.split("@"), strict=False)) for code in codes.split()]
        step = {"procedures": procedures, **({"urgent": True} if index in urgent else {})}
        phases.append({"name": f"Phase {index + 1}", "steps": [step]})
    response = caller.post("/plans", {"patient_id": patient["id"], "phases": phases})
    assert response.status_code == 201, response.data
    return response.data


def estimate(caller, plan):
    response = caller.get(f"/plans/{plan['id']}/estimate")
    assert response.status_code == 200, response.data
    return response.data


def split(line):
    return line["writeoff_cents"], line["insurance_cents"], line["patient_cents"]


def step_ids(plan):
    return [step["id"] for phase in plan["phases"] for step in phase["steps"]]


# --- coverages --------------------------------------------------------------------------------------


def test_two_coverages_by_rank_and_the_legacy_route_is_rank_1(admin, patient):
    assert put(admin, patient, 2, PRIMARY).status_code == 422  # a secondary needs a primary
    first = admin.put(f"/patients/{patient['id']}/coverage", PRIMARY)
    assert first.status_code == 200, first.data
    assert (first.data["rank"], first.data["cob_method"], first.data["version"]) == (1, "standard", 1)
    second = put(admin, patient, 2, coverage_body(carrier="Aetna", cob_method="carve_out"))
    assert second.status_code == 200 and second.data["rank"] == 2
    listed = admin.get(f"/patients/{patient['id']}/coverages").data["items"]
    assert [(c["rank"], c["carrier"]) for c in listed] == [(1, "Delta Dental"), (2, "Aetna")]
    assert put(admin, patient, 1, PRIMARY, **{"If-Match": '"9"'}).status_code == 412
    assert put(admin, patient, 1, PRIMARY, **{"If-Match": '"1"'}).data["version"] == 2
    path = f"/patients/{patient['id']}/coverages"
    assert admin.call("DELETE", f"{path}/1").status_code == 422  # the secondary depends on it
    assert admin.call("DELETE", f"{path}/2").status_code == 200
    assert admin.call("DELETE", f"{path}/1").status_code == 200
    assert admin.get(path).data["items"] == []


@pytest.mark.parametrize(("rank", "body", "field"), [
    (3, PRIMARY, "rank"),
    (1, coverage_body(coverage_pct={"crowns": 101}), "coverage_pct.crowns"),
    (1, coverage_body(frequency_limits=[{"codes": ["D1110"], "count": 0, "period": "benefit_year"}]),
     "frequency_limits.0.count"),
    (1, coverage_body(coverage_pct={"veneers": 50}), "coverage_pct.veneers"),
    (1, coverage_body(rank=2), "rank"),
])
def test_bad_coverages_are_400_in_the_error_shape(admin, patient, rank, body, field):
    response = put(admin, patient, rank, body)
    assert response.status_code == 400, response.data
    error = response.data["error"]
    assert error["code"] == "validation_error" and field in [d["field"] for d in error["details"]]


# --- the estimate -----------------------------------------------------------------------------------


def test_standard_and_carve_out_on_the_same_crown(admin, patient):
    """Crown fee 1,200.00, both 50% with nothing used. Primary 600.00. Carve-out secondary: 600.00 - 600.00
    = 0, patient 600.00; standard: min(600.00, 600.00 left) = 600.00, patient 0."""
    put(admin, patient, 1, PRIMARY)
    put(admin, patient, 2, coverage_body(carrier="Aetna", used_cents=0, deductible_cents=0, cob_method="carve_out"))
    plan = plan_of(admin, patient, "D2740@3")
    line = estimate(admin, plan)["lines"][0]
    assert split(line) == (0, 60000, 60000)
    assert [(c["rank"], c["insurance_cents"], c["limits"]) for c in line["by_coverage"]] == [
        (1, 60000, []), (2, 0, ["cob"])]
    assert any("carve-out" in reason for reason in line["reasons"])
    put(admin, patient, 2, coverage_body(carrier="Aetna", used_cents=0, deductible_cents=0))
    assert split(estimate(admin, plan)["lines"][0]) == (0, 120000, 0)


def test_frequency_denial_from_imported_history_and_completed_steps(admin, patient):
    """Cleanings 2 per benefit year; two imported this year -> a third pays 0 and says why."""
    put(admin, patient, 1, PRIMARY | {"frequency_limits": [{"codes": ["D1110"], "count": 2,
                                                            "period": "benefit_year"}]})
    with frozen_at(NOV):
        items = [{"code": "D1110", "date": "2026-03-02"}, {"code": "d1110", "date": "2026-09-14"}]
        history = admin.post(f"/patients/{patient['id']}/history", {"items": items})
        assert history.status_code == 201, history.data
        assert admin.post(f"/patients/{patient['id']}/history",
                          {"items": [{"code": "D1110", "date": "2026-12-01"}]}).status_code == 400  # future
        line = estimate(admin, plan_of(admin, patient, "D1110"))["lines"][0]
    assert split(line) == (0, 0, 10000) and line["limits"] == ["frequency"]
    assert line["reasons"] == ["Cleanings: 2 per benefit year, used 2 (2026-03-02, 2026-09-14)."]
    listed = admin.get(f"/patients/{patient['id']}/history").data["items"]
    assert [item["date"] for item in listed] == ["2026-09-14", "2026-03-02"]


def test_copay_only_codes_are_not_also_coinsured(admin, patient):
    """Defect: copay and coinsurance both applied. Crown allowed 900.00 (write-off 300.00), copay 300.00:
    insurance 900.00 - 300.00 = 600.00 and the patient pays the copay, 300.00 (not 300.00 + 50%)."""
    put(admin, patient, 1, PRIMARY | {"allowed_fees": {"D2740": 90000}, "copays": {"D2740": 30000}})
    line = estimate(admin, plan_of(admin, patient, "D2740@3"))["lines"][0]
    assert split(line) == (30000, 60000, 30000) and line["limits"] == ["copay"]


def test_renewal_resets_usage(admin, patient):
    """Defect: nothing reset at the renewal month. Reported in November: 1,500.00 used of 1,500.00. A
    filling (200.00, 80%) pays 0 in November; in January the new benefit year pays 160.00."""
    with frozen_at(NOV):
        put(admin, patient, 1, PRIMARY | {"used_cents": 150000})
        plan = plan_of(admin, patient, "D2391@30@O")
        assert split(estimate(admin, plan)["lines"][0]) == (0, 0, 20000)
    with frozen_at(JAN):
        assert split(estimate(admin, plan)["lines"][0]) == (0, 16000, 4000)


def test_a_waiting_period_that_ends_before_the_scheduled_step(admin, patient):
    """Effective 2026-02-15, crowns wait 12 months (until 2027-02-15). Unscheduled, the crown is estimated
    today (2026-11-20): 0. Booked for 2027-03-01 it pays 1,200.00 x 50% = 600.00."""
    with frozen_at(NOV):
        put(admin, patient, 1, PRIMARY | {"effective_date": "2026-02-15", "waiting_periods": {"crowns": 12}})
        plan = plan_of(admin, patient, "D2740@3")
        line = estimate(admin, plan)["lines"][0]
        assert split(line) == (0, 0, 120000) and line["limits"] == ["waiting_period"]
        plan = admin.post(f"/plans/{plan['id']}/present", {}).data
        admin.post(f"/plans/{plan['id']}/accept", {"signer_name": "Ana", "version": plan["version"]})
        booked = admin.post("/appointments", {"patient_id": patient["id"], "plan_id": plan["id"],
                                              "step_ids": step_ids(plan), "start": "2027-03-01T10:00:00-05:00",
                                              "duration_minutes": 60})
        assert booked.status_code == 201, booked.data
        fresh = admin.get(f"/plans/{plan['id']}/estimate?fresh=true")
        assert fresh.status_code == 200, fresh.data
        line = fresh.data["lines"][0]
    assert line["service_date"] == "2027-03-01" and split(line) == (0, 60000, 60000)


# --- acceptance, claims and the ledger ---------------------------------------------------------------


def test_accepting_some_steps_re_estimates_exactly_those(admin, patient):
    """Defect: partial acceptance used the whole-plan splits. 500.00 of the maximum left. Whole plan, crown
    first: 50% of 1,200.00 = 600.00 capped at 500.00; the cleaning then finds 0 left (patient 100.00).
    Accepting only the cleaning: preventive 100% -> insurance 100.00, patient 0, and that is what the
    completed step charges."""
    put(admin, patient, 1, PRIMARY | {"used_cents": 100000})
    plan = plan_of(admin, patient, "D2740@3", "D1110")
    presented = admin.post(f"/plans/{plan['id']}/present", {}).data
    assert [split(line) for line in estimate(admin, presented)["lines"]] == [(0, 50000, 70000), (0, 0, 10000)]
    cleaning = step_ids(plan)[1]
    accepted = admin.post(f"/plans/{plan['id']}/accept", {"signer_name": "Ana", "version": presented["version"],
                                                          "step_ids": [cleaning]})
    assert accepted.status_code == 200, accepted.data
    assert accepted.data["totals"] == {"fee_cents": 10000, "writeoff_cents": 0, "insurance_cents": 10000,
                                       "patient_cents": 0}
    options = admin.get(f"/plans/{plan['id']}/payment-options").data
    assert (options["patient_portion_cents"], options["insurance_estimate_cents"]) == (0, 10000)
    soon = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    booked = admin.post("/appointments", {"patient_id": patient["id"], "plan_id": plan["id"], "step_ids": [cleaning],
                                          "start": soon, "duration_minutes": 30}).data
    assert admin.post(f"/appointments/{booked['id']}/complete", {}).status_code == 200
    charges = admin.get(f"/plans/{plan['id']}/ledger").data["entries"]
    assert sorted((e["party"], e["amount_cents"]) for e in charges) == [("insurance", 10000)]


def claim_paid(caller, plan, paid_cents, **body):
    claim = caller.post(f"/plans/{plan['id']}/claims", body)
    assert claim.status_code == 201, claim.data
    paid = caller.patch(f"/claims/{claim.data['id']}", {"status": "paid", "paid_cents": paid_cents},
                        headers={"If-Match": '"1"'})
    assert paid.status_code == 200, paid.data
    return paid.data


def accepted_plan(caller, patient, *steps):
    plan = plan_of(caller, patient, *steps)
    presented = caller.post(f"/plans/{plan['id']}/present", {}).data
    return caller.post(f"/plans/{plan['id']}/accept", {"signer_name": "Ana", "version": presented["version"]}).data


def test_a_paid_claim_moves_the_deductible_met(admin, patient):
    """Defect: a paid claim never moved the deductible. $50.00 deductible: a filling (200.00, 80%) takes it,
    80% of 150.00 = 120.00. Once that claim is paid, the next filling pays 80% of 200.00 = 160.00."""
    put(admin, patient, 1, PRIMARY | {"deductible_cents": 5000})
    first = accepted_plan(admin, patient, "D2391@30@O")
    assert first["totals"]["insurance_cents"] == 12000
    claim_paid(admin, first, 12000)
    coverage = admin.get(f"/patients/{patient['id']}/coverages").data["items"][0]
    assert coverage["usage"]["deductible_met_cents"] == 5000 and coverage["usage"]["used_cents"] == 12000
    line = estimate(admin, plan_of(admin, patient, "D2391@31@O"))["lines"][0]
    assert split(line) == (0, 16000, 4000) and line["deductible_cents"] == 0


def test_an_ortho_claim_uses_the_ortho_lifetime_maximum_not_the_annual_one(admin, patient):
    """Defect: ortho ate the general maximum and paid the general deductible. Ortho lifetime 1,500.00,
    general deductible 50.00 (not for ortho). D8080 fee 5,000.00 x 50% = 2,500.00 capped at 1,500.00. Paid:
    the ortho maximum is used up, the annual maximum (1,500.00) untouched: a crown still pays 600.00."""
    put(admin, patient, 1, PRIMARY | {"deductible_cents": 5000, "ortho_lifetime_max_cents": 150000,
                                      "coverage_pct": {"orthodontics": 50, "crowns": 50}})
    ortho = accepted_plan(admin, patient, "D8080")
    assert ortho["totals"]["insurance_cents"] == 150000
    claim_paid(admin, ortho, 150000)
    usage = admin.get(f"/patients/{patient['id']}/coverages").data["items"][0]["usage"]
    assert (usage["ortho_used_cents"], usage["used_cents"], usage["deductible_met_cents"]) == (150000, 0, 0)
    later = estimate(admin, plan_of(admin, patient, "D8080", "D2740@3"))
    assert [line["insurance_cents"] for line in later["lines"]] == [0, 60000 - 2500]  # crown takes the deductible
    assert later["lines"][0]["limits"] == ["ortho_max"]


def test_pay_in_full_only_on_the_remaining_balance_and_never_beside_a_signed_in_house_plan(admin, patient):
    """Defect: after a down payment on a signed in-house plan, pay in full still gave 5% of the whole
    portion. Crown 1,200.00, no coverage share (0%): portion 1,200.00. 200.00 paid: 5% of 1,000.00 = 50.00.
    With a signed in-house plan there is no pay-in-full discount at all."""
    put(admin, patient, 1, PRIMARY | {"coverage_pct": {"crowns": 0}})
    plan = accepted_plan(admin, patient, "D2740@3")
    paid = admin.post("/payments", {"plan_id": plan["id"], "amount_cents": 20000, "method": "card_terminal",
                                    "reference": "ch_1"}, headers={"Idempotency-Key": "down-1"})
    assert paid.status_code == 201, paid.data
    offer = admin.get(f"/plans/{plan['id']}/payment-options").data["pay_in_full"]
    assert (offer["remaining_cents"], offer["discount_cents"], offer["amount_cents"]) == (100000, 5000, 95000)
    signed = admin.post(f"/plans/{plan['id']}/payment-plan", {"count": 6, "frequency": "monthly", "apr_bps": 0,
                                                               "down_payment_cents": 20000, "signer_name": "Ana"})
    assert signed.status_code in (200, 201), signed.data
    assert admin.get(f"/plans/{plan['id']}/payment-options").data["pay_in_full"]["available"] is False
    refused = admin.post("/payments", {"plan_id": plan["id"], "amount_cents": 95000, "method": "card_terminal",
                                       "reference": "ch_2", "pay_in_full": True},
                         headers={"Idempotency-Key": "full-1"})
    assert refused.status_code == 422 and "in-house" in refused.data["error"]["message"]


# --- phasing ----------------------------------------------------------------------------------------


def test_phasing_saves_when_this_years_maximum_is_used_up(admin, patient):
    """1,400.00 of 1,500.00 used. Phase 1 (urgent) root canal 1,100.00 x 80% = 880.00 capped at 100.00;
    phase 2 crown: 0 now, 600.00 from 2027-01-01. Applying it makes a new version whose phase 2 waits."""
    with frozen_at(NOV):
        put(admin, patient, 1, PRIMARY | {"used_cents": 140000})
        plan = plan_of(admin, patient, "D3330@14", "D2740@3", urgent=(0,))
        proposal = admin.get(f"/plans/{plan['id']}/phasing")
        assert proposal.status_code == 200, proposal.data
        body = proposal.data
        assert (body["all_now"]["insurance_cents"], body["phased"]["insurance_cents"], body["saving_cents"]) == (
            10000, 70000, 60000)
        assert [(p["earliest_date"], p["benefit_year_start"]) for p in body["phased"]["phases"]] == [
            ("2026-11-20", "2026-01-01"), ("2027-01-01", "2027-01-01")]
        applied = admin.post(f"/plans/{plan['id']}/phasing", {"version": plan["version"]})
        assert applied.status_code == 200, applied.data
        assert applied.data["version"] == plan["version"] + 1
        assert [phase.get("not_before") for phase in applied.data["phases"]] == [None, "2027-01-01"]
        assert estimate(admin, applied.data)["totals"]["insurance_cents"] == 70000
        stale = admin.post(f"/plans/{plan['id']}/phasing", {"version": plan["version"]})
        assert stale.status_code == 412
