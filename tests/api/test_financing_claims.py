"""Financing applications and insurance claims over HTTP: their lifecycles, postings that happen exactly
once, the coverage's pending and used amounts, and completed steps charged once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.clock import now
from shared.errors import Conflict
from shared.services import ledger as ledger_service
from shared.store import plans as plan_store
from tests.factories import (  # noqa: F401  (int_cents_only is a fixture)
    commit,
    coverage_body,
    insured_patient,
    int_cents_only,
    location_body,
    patient_body,
    quoted_plan,
)

pytestmark = pytest.mark.usefixtures("int_cents_only")


@pytest.fixture
def plan(admin):
    _, patient = insured_patient(admin)
    return quoted_plan(admin, patient["id"], accept_steps=0)


def patch(caller, path, body, version):
    return caller.patch(path, body, headers={"If-Match": f'"{version}"'})


def entries(caller, plan):
    return caller.get(f"/plans/{plan['id']}/ledger").data["entries"]


def coverage(caller, plan):
    """This benefit year's usage of the primary coverage (carried-in figures plus claims)."""
    return caller.get(f"/patients/{plan['patient_id']}/coverage").data["usage"]


# --- financing --------------------------------------------------------------------------------------


def test_applications_name_an_offered_provider_and_label_deferred_interest(admin, plan):
    path = f"/plans/{plan['id']}/financing"
    assert admin.post(path, {"provider": "payday", "amount_cents": 50000}).status_code == 422
    assert admin.post(path, {"provider": "carecredit", "amount_cents": 50000}).status_code == 400  # two offers
    assert admin.post(path, {"provider": "carecredit", "amount_cents": 50000, "months": 7}).status_code == 422
    assert admin.post(path, {"provider": "carecredit", "amount_cents": 100, "months": 12}).status_code == 422
    created = admin.post(path, {"provider": "carecredit", "amount_cents": 150000, "months": 12})
    assert created.status_code == 201, created.data
    doc = created.data
    assert doc["status"] == "applied" and doc["id"].startswith("fin_") and created.headers["ETag"] == '"1"'
    assert doc["offer"]["deferred_interest"] is True and doc["offer"]["label"].startswith("Deferred interest")
    single_offer = admin.post(path, {"provider": "sunbit", "amount_cents": 50000})
    assert single_offer.status_code == 201 and single_offer.data["offer"]["months"] == 12


def test_approval_posts_the_provider_payment_once(admin, plan):
    doc = admin.post(f"/plans/{plan['id']}/financing", {"provider": "sunbit", "amount_cents": 150000}).data
    path = f"/financing/{doc['id']}"
    assert admin.patch(path, {"status": "approved"}).status_code == 428
    assert patch(admin, path, {"status": "approved", "approved_cents": 150001}, 1).status_code == 422
    approved = patch(admin, path, {"status": "approved", "approved_cents": 120000, "reference": "SB-9"}, 1)
    assert approved.status_code == 200, approved.data
    assert approved.data["status"] == "approved" and approved.data["approved_cents"] == 120000
    payment_id = approved.data["payment_id"]
    assert [(e["id"], e["kind"], e["amount_cents"], e["payment_id"]) for e in entries(admin, plan)] == [
        (f"led_{doc['id']}_payment", "payment", 120000, payment_id)]
    payment = admin.get(f"/payments/{payment_id}").data
    assert (payment["method"], payment["reference"], payment["amount_cents"]) == ("financing", "SB-9", 120000)

    again = patch(admin, path, {"status": "approved", "approved_cents": 120000, "reference": "SB-9"}, 1)
    assert again.status_code == 412
    funded = patch(admin, path, {"status": "funded"}, 2)
    assert funded.status_code == 200 and funded.data["status"] == "funded"
    assert [h["status"] for h in funded.data["history"]] == ["applied", "approved", "funded"]
    assert len(entries(admin, plan)) == 1
    assert patch(admin, path, {"status": "approved"}, 3).status_code == 422
    # Treatment called off: the financing payment is refunded like any other.
    refund = admin.post(f"/payments/{payment_id}/refunds", {"amount_cents": 120000, "reason": "treatment cancelled"},
                        headers={"Idempotency-Key": "fin-refund"})
    assert refund.status_code == 201 and refund.data["payment"]["status"] == "refunded"


def test_declined_and_direct_funding(admin, plan):
    path = f"/plans/{plan['id']}/financing"
    declined = admin.post(path, {"provider": "sunbit", "amount_cents": 50000}).data
    result = patch(admin, f"/financing/{declined['id']}", {"status": "declined", "approved_cents": 100}, 1)
    assert result.status_code == 422
    assert patch(admin, f"/financing/{declined['id']}", {"status": "declined"}, 1).data["payment_id"] is None
    funded = admin.post(path, {"provider": "sunbit", "amount_cents": 50000}).data
    assert patch(admin, f"/financing/{funded['id']}", {"status": "funded"}, 1).status_code == 200
    assert [e["amount_cents"] for e in entries(admin, plan)] == [50000]


# --- claims -----------------------------------------------------------------------------------------


def test_a_claim_holds_pending_and_its_payment_posts_once_with_the_shortfall(admin, plan):
    created = admin.post(f"/plans/{plan['id']}/claims", {"reference": "CLM-1"})
    assert created.status_code == 201, created.data
    claim = created.data
    assert claim["expected_cents"] == 60000 and claim["status"] == "submitted" and claim["kind"] == "claim"
    assert coverage(admin, plan)["pending_cents"] == 60000

    path = f"/claims/{claim['id']}"
    assert patch(admin, path, {"status": "paid"}, 1).status_code == 422
    assert patch(admin, path, {"status": "denied", "paid_cents": 5}, 1).status_code == 422
    paid = patch(admin, path, {"status": "paid", "paid_cents": 50000}, 1)
    assert paid.status_code == 200, paid.data
    assert paid.data["paid_cents"] == 50000 and paid.data["pending_held_cents"] == 0
    book = admin.get(f"/plans/{plan['id']}/ledger").data
    assert sorted((e["kind"], e["subtype"], e["party"], e["amount_cents"]) for e in book["entries"]) == [
        ("adjustment", "insurance_shortfall", "patient", 10000), ("insurance_payment", None, "insurance", 50000)]
    assert book["balances"]["insurance_paid_cents"] == 50000 and book["balances"]["shortfall_cents"] == 10000
    after = coverage(admin, plan)
    assert after["used_cents"] == 90000 + 50000 and after["pending_cents"] == 0

    assert patch(admin, path, {"status": "paid", "paid_cents": 50000}, 1).status_code == 412
    assert len(entries(admin, plan)) == 2 and coverage(admin, plan)["used_cents"] == 140000
    insurer_payment = paid.data["payment_id"]
    assert admin.get(f"/payments/{insurer_payment}").data["method"] == "insurance"
    refused = admin.post(f"/payments/{insurer_payment}/refunds", {"amount_cents": 100, "reason": "recoup"},
                         headers={"Idempotency-Key": "ins-refund"})
    assert refused.status_code == 422


def test_denial_appeal_and_closing_move_the_amount_to_the_patient(admin, plan):
    steps = plan["acceptance"]["step_ids"]
    claim = admin.post(f"/plans/{plan['id']}/claims", {"step_ids": steps[1:2], "expected_cents": 30000}).data
    assert claim["step_ids"] == steps[1:2] and coverage(admin, plan)["pending_cents"] == 30000
    path = f"/claims/{claim['id']}"
    assert patch(admin, path, {"status": "denied"}, 1).status_code == 200
    assert coverage(admin, plan)["pending_cents"] == 0
    assert patch(admin, path, {"status": "submitted"}, 2).status_code == 200  # appealed
    assert coverage(admin, plan)["pending_cents"] == 30000
    assert patch(admin, path, {"status": "denied"}, 3).status_code == 200
    closed = patch(admin, path, {"status": "closed"}, 4)
    assert closed.status_code == 200
    assert [(e["subtype"], e["amount_cents"]) for e in entries(admin, plan)] == [("insurance_shortfall", 30000)]
    assert patch(admin, path, {"status": "submitted"}, 5).status_code == 422


def test_predeterminations_never_move_money(admin, plan):
    pre = admin.post(f"/plans/{plan['id']}/claims", {"kind": "predetermination"}).data
    assert coverage(admin, plan)["pending_cents"] == 0
    path = f"/claims/{pre['id']}"
    assert patch(admin, path, {"status": "paid", "paid_cents": 100}, 1).status_code == 422
    approved = patch(admin, path, {"status": "approved", "expected_cents": 55000}, 1)
    assert approved.status_code == 200 and approved.data["expected_cents"] == 55000
    assert patch(admin, path, {"status": "closed"}, 2).status_code == 200
    assert entries(admin, plan) == [] and coverage(admin, plan)["pending_cents"] == 0


def test_a_claim_from_an_earlier_benefit_year_leaves_this_year_alone(admin, plan):
    this_year = now().year
    claim = admin.post(f"/plans/{plan['id']}/claims", {"service_date": f"{this_year - 1}-06-15"}).data
    assert coverage(admin, plan)["pending_cents"] == 0  # booked to last year's benefit year
    assert patch(admin, f"/claims/{claim['id']}", {"status": "paid", "paid_cents": 60000}, 1).status_code == 200
    assert coverage(admin, plan)["used_cents"] == 90000
    assert admin.post(f"/plans/{plan['id']}/claims", {"service_date": f"{this_year + 1}-01-01"}).status_code == 400


def test_claims_need_coverage_and_known_steps(admin, plan):
    location = admin.post("/locations", location_body()).data
    uninsured = admin.post("/patients", patient_body(location["id"])).data
    other = quoted_plan(admin, uninsured["id"], accept_steps=0)
    refused = admin.post(f"/plans/{other['id']}/claims", {})
    assert refused.status_code == 422 and "no coverage" in refused.data["error"]["message"]
    unknown = admin.post(f"/plans/{plan['id']}/claims", {"step_ids": ["stp_" + "0" * 26]})
    assert unknown.status_code == 400
    assert admin.post(f"/plans/{plan['id']}/claims", {"kind": "bill"}).status_code == 400
    assert admin.post(f"/plans/{plan['id']}/claims", {"expected_cents": 1.5}).status_code == 400


def test_a_claim_patch_null_removes_the_reference_and_is_refused_for_the_expected_amount(admin, plan):
    claim = admin.post(f"/plans/{plan['id']}/claims", {"reference": "CLM-1", "note": "sent"}).data
    cleared = patch(admin, f"/claims/{claim['id']}", {"reference": None, "note": None}, 1)
    assert cleared.status_code == 200 and (cleared.data["reference"], cleared.data["note"]) == (None, "")
    refused = patch(admin, f"/claims/{claim['id']}", {"expected_cents": None}, 2)
    assert refused.status_code == 400 and refused.data["error"]["details"][0]["field"] == "expected_cents"


def test_other_groups_and_ungranted_locations_get_404(admin, plan):
    fin = admin.post(f"/plans/{plan['id']}/financing", {"provider": "sunbit", "amount_cents": 50000}).data
    claim = admin.post(f"/plans/{plan['id']}/claims", {}).data
    for caller in (admin.as_(org="org_nobody"), admin.as_(role="coordinator", locations=["loc_" + "3" * 26])):
        assert caller.post(f"/plans/{plan['id']}/financing", {"provider": "sunbit", "amount_cents": 50000}
                           ).status_code == 404
        assert caller.post(f"/plans/{plan['id']}/claims", {}).status_code == 404
        assert patch(caller, f"/financing/{fin['id']}", {"status": "approved"}, 1).status_code == 404
        assert patch(caller, f"/claims/{claim['id']}", {"status": "paid", "paid_cents": 1}, 1).status_code == 404
    assert patch(admin.as_(role="provider"), f"/claims/{claim['id']}", {"status": "denied"}, 1).status_code == 403


# --- charges of completed steps ---------------------------------------------------------------------


def test_completed_steps_are_charged_once_with_the_ppo_writeoff(admin):
    _, patient = insured_patient(admin)
    admin.put(f"/patients/{patient['id']}/coverage", coverage_body(allowed_fees={"D3330": 100000}))
    plan = quoted_plan(admin, patient["id"], accept_steps=0)
    step = plan["acceptance"]["step_ids"][1]  # the root canal: fee 110000, allowed 100000
    loaded = plan_store.load(admin.org, plan["id"])

    commit(lambda uow: ledger_service.add_step_charges(uow, admin.org, loaded, [step], now()))
    with pytest.raises(Conflict, match="already posted"):
        commit(lambda uow: ledger_service.add_step_charges(uow, admin.org, loaded, [step], now()))

    book = admin.get(f"/plans/{plan['id']}/ledger").data
    charged = {e["id"]: (e["kind"], e["party"], e["amount_cents"]) for e in book["entries"]}
    line = next(li for li in admin.get(f"/plans/{plan['id']}/estimate").data["lines"] if li["line_id"] == step)
    assert charged == {
        f"led_{step}_0_patient": ("charge", "patient", line["patient_cents"]),
        f"led_{step}_0_insurance": ("charge", "insurance", line["insurance_cents"] + 10000),
        f"led_{step}_0_writeoff": ("adjustment", "insurance", 10000),
    }
    assert book["balances"]["charged_cents"] == 110000 and book["balances"]["writeoff_cents"] == 10000
    assert book["balances"]["patient_balance_cents"] == line["patient_cents"]
    assert book["balances"]["insurance_balance_cents"] == line["insurance_cents"]


def test_a_completed_visit_its_claim_and_the_patient_payment_settle_both_balances(admin):
    from datetime import UTC, datetime

    from shared.clock import frozen_at

    with frozen_at(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)):
        _, patient = insured_patient(admin)
        plan = quoted_plan(admin, patient["id"], accept_steps=0)
        root_canal = plan["acceptance"]["step_ids"][1]  # fee 110000: insurance 38000, patient 72000
        visit = admin.post("/appointments", {"patient_id": patient["id"], "start": "2026-03-10T09:30:00-04:00",
                                             "duration_minutes": 60, "plan_id": plan["id"], "step_ids": [root_canal]})
        assert visit.status_code == 201, visit.data
    with frozen_at(datetime(2026, 3, 10, 15, 0, tzinfo=UTC)):
        assert admin.post(f"/appointments/{visit.data['id']}/complete").status_code == 200
        charged = admin.get(f"/plans/{plan['id']}/ledger").data["balances"]
        assert (charged["patient_balance_cents"], charged["insurance_balance_cents"]) == (72000, 38000)

        claim = admin.post(f"/plans/{plan['id']}/claims", {"step_ids": [root_canal]}).data
        assert claim["expected_cents"] == 38000
        assert patch(admin, f"/claims/{claim['id']}", {"status": "paid", "paid_cents": 38000}, 1).status_code == 200
        paid = admin.post("/payments", {"plan_id": plan["id"], "amount_cents": 72000, "method": "cash"},
                          headers={"Idempotency-Key": "visit-settle"})
        assert paid.status_code == 201
    settled = admin.get(f"/plans/{plan['id']}/ledger").data["balances"]
    assert (settled["patient_balance_cents"], settled["insurance_balance_cents"]) == (0, 0)
    assert settled["charged_cents"] == 110000 and settled["total_balance_cents"] == 0


def test_the_ledger_refuses_a_second_posting_even_past_the_version_check(admin, plan):
    """Were an approved application ever read back as applied (a restored backup, a bug), approving it
    again would meet its deterministic ledger entry: the whole transaction fails, nothing posts twice."""
    from shared.domain.financing_lifecycle import FinancingStatus
    from shared.store import financing as financing_store

    doc = admin.post(f"/plans/{plan['id']}/financing", {"provider": "sunbit", "amount_cents": 50000}).data
    approved = patch(admin, f"/financing/{doc['id']}", {"status": "approved"}, 1).data
    stored = financing_store.load_financing(admin.org, doc["id"])
    rewound = replace(stored, status=FinancingStatus.APPLIED, payment_id=None)
    financing_store.financing_record(admin.org, rewound).save()

    again = patch(admin, f"/financing/{doc['id']}", {"status": "approved"}, approved["version"])
    assert again.status_code == 409 and "already posted" in again.data["error"]["message"]
    assert [p["id"] for p in admin.get(f"/payments?plan_id={plan['id']}").data["items"]] == [approved["payment_id"]]
    assert len(entries(admin, plan)) == 1
