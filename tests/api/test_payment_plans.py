"""Payment options and in-house payment plans over HTTP: the quoted patient portion of the payable steps,
the location's policy, schedules that sum exactly, due dates in the location's time zone, and signatures
that new terms void."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.clock import frozen_at
from tests.factories import insured_patient, int_cents_only, plan_body, quoted_plan  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("int_cents_only")


@pytest.fixture
def patient(admin):
    return insured_patient(admin)[1]


def options(caller, plan):
    return caller.get(f"/plans/{plan['id']}/payment-options")


def put_plan(caller, plan, **terms):
    return caller.post(f"/plans/{plan['id']}/payment-plan", {"count": 12, **terms})


def test_options_for_the_whole_quote_before_acceptance(admin, patient):
    plan = quoted_plan(admin, patient["id"])
    response = options(admin, plan)
    assert response.status_code == 200, response.data
    body = response.data
    assert body["patient_portion_cents"] == 202000 and body["insurance_estimate_cents"] == 60000
    assert body["pay_in_full"] == {"available": True, "discount_pct": 5, "remaining_cents": 202000,
                                   "discount_cents": 10100, "amount_cents": 191900}
    assert len(body["step_ids"]) == 3 and body["quote_number"] == 1 and body["payment_plan"] is None
    for option in body["in_house"]:
        assert option["down_payment_cents"] + option["financed_cents"] == 202000
        assert option["total_cost_cents"] == 202000 + option["interest_cents"]
        assert {"count", "frequency", "apr_bps", "installment_cents", "first_due_date"} <= set(option)
    assert [o["count"] for o in body["in_house"]] == [6, 12, 24]
    deferred = [o for o in body["financing"] if o["deferred_interest"]]
    assert deferred and all(o["label"].startswith("Deferred interest") for o in deferred)


def test_options_count_only_the_accepted_steps(admin, patient):
    plan = quoted_plan(admin, patient["id"], accept_steps=2)
    body = options(admin, plan).data
    assert body["patient_portion_cents"] == 72000 and body["insurance_estimate_cents"] == 60000
    assert body["step_ids"] == plan["acceptance"]["step_ids"]


def test_the_location_sets_the_discount(admin):
    _, patient = insured_patient(admin, pay_in_full_discount_pct=0)
    body = options(admin, quoted_plan(admin, patient["id"])).data
    assert body["pay_in_full"] == {"available": False, "discount_pct": 0, "remaining_cents": 202000,
                                   "discount_cents": 0, "amount_cents": 202000}


def test_no_quote_no_options_and_no_payment_plan(admin, patient):
    draft = admin.post("/plans", plan_body(patient["id"])).data
    refused = options(admin, draft)
    assert refused.status_code == 422 and "no quote" in refused.data["error"]["message"]
    assert put_plan(admin, draft).status_code == 422
    declined = quoted_plan(admin, patient["id"])
    admin.post(f"/plans/{declined['id']}/decline", {"reason": "cost"})
    assert put_plan(admin, declined).status_code == 422


def test_a_payment_plan_sums_exactly_and_falls_due_in_the_location_time_zone(admin, patient):
    # 03:00 UTC on 1 March is still 28 February in New York: the first installment is due a month after that.
    with frozen_at(datetime(2026, 3, 1, 3, 0, tzinfo=UTC)):
        plan = quoted_plan(admin, patient["id"], accept_steps=0)
        created = put_plan(admin, plan, down_payment_cents=2000, apr_bps=0)
    assert created.status_code == 201, created.data
    doc = created.data
    schedule = doc["schedule"]
    amounts = [i["amount_cents"] for i in schedule["installments"]]
    assert schedule["financed_cents"] == 200000 and sum(amounts) == schedule["total_cents"] == 200000
    assert len(amounts) == 12 and set(amounts) == {16666, 16667}  # at 0% APR no two differ by more than a cent
    assert [i["due_date"] for i in schedule["installments"][:3]] == ["2026-03-28", "2026-04-28", "2026-05-28"]
    assert doc["terms"]["first_due"] == "2026-03-28" and doc["signature"] is None and doc["terms_version"] == 1

    with_interest = put_plan(admin, plan, apr_bps=1299, frequency="biweekly", first_due="2030-01-15").data
    schedule = with_interest["schedule"]
    assert schedule["interest_cents"] > 0
    assert sum(i["amount_cents"] for i in schedule["installments"]) == 202000 + schedule["interest_cents"]
    assert schedule["installments"][1]["due_date"] == "2030-01-29"


def test_new_terms_void_the_signature(admin, patient):
    plan = quoted_plan(admin, patient["id"], accept_steps=0)
    first = put_plan(admin, plan, down_payment_cents=2000)
    assert first.status_code == 201
    same = put_plan(admin, plan, down_payment_cents=2000, first_due=first.data["terms"]["first_due"])
    assert same.status_code == 200 and same.data["version"] == first.data["version"]
    signed = put_plan(admin, plan, down_payment_cents=2000, first_due=first.data["terms"]["first_due"],
                      signer_name="Ana Núñez")
    assert signed.status_code == 200 and signed.data["signature"]["signer_name"] == "Ana Núñez"
    assert signed.data["signature"]["terms_version"] == 1 and signed.data["terms_version"] == 1

    changed = put_plan(admin, plan, count=6, down_payment_cents=2000)
    assert changed.status_code == 200
    assert changed.data["signature"] is None and changed.data["terms_version"] == 2
    assert changed.data["voided_signature"]["signer_name"] == "Ana Núñez"
    assert changed.data["voided_signature"]["terms_version"] == 1 and changed.data["voided_signature"]["voided_at"]

    resigned = put_plan(admin, plan, count=24, signer_name="Ana Núñez").data
    assert resigned["signature"]["terms_version"] == resigned["terms_version"] == 3
    shown = options(admin, plan).data["payment_plan"]
    assert shown["terms"]["count"] == 24 and shown["signature"]["terms_version"] == 3


BAD_TERMS = [
    {"count": 0}, {"count": 73}, {"apr_bps": 3601}, {"apr_bps": 9.5}, {"frequency": "weekly"},
    {"down_payment_cents": -1}, {"down_payment_cents": 202001}, {"first_due": "2000-01-01"}, {"first_due": "soon"},
    {"extra": True},
]


def test_bad_terms_are_400(admin, patient):
    plan = quoted_plan(admin, patient["id"], accept_steps=0)
    for terms in BAD_TERMS:
        response = put_plan(admin, plan, **terms)
        assert response.status_code == 400, (terms, response.data)
    assert options(admin, plan).data["payment_plan"] is None


def test_financing_the_whole_portion_with_the_down_payment_is_refused(admin, patient):
    plan = quoted_plan(admin, patient["id"], accept_steps=0)
    response = put_plan(admin, plan, down_payment_cents=202000)
    assert response.status_code == 422 and "nothing to finance" in response.data["error"]["message"]


def test_other_groups_ungranted_locations_and_roles(admin, patient):
    plan = quoted_plan(admin, patient["id"], accept_steps=0)
    for caller in (admin.as_(org="org_elsewhere"), admin.as_(role="coordinator", locations=["loc_" + "2" * 26])):
        assert options(caller, plan).status_code == 404
        assert put_plan(caller, plan).status_code == 404
    assert options(admin.as_(role="readonly"), plan).status_code == 200
    assert put_plan(admin.as_(role="readonly"), plan).status_code == 403
    assert admin.get("/plans/pln_notanid/payment-options").status_code == 404
