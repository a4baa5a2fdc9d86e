"""The money figures move with the money routes themselves, in the same transactions."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tests.factories import coverage_body, location_body, patient_body, plan_body


def _accepted_plan(admin):
    location = admin.post("/locations", location_body()).data
    patient = admin.post("/patients", patient_body(location["id"])).data
    admin.put(f"/patients/{patient['id']}/coverage", coverage_body())
    plan = admin.post("/plans", plan_body(patient["id"])).data
    presented = admin.post(f"/plans/{plan['id']}/present", {}).data
    admin.post(f"/plans/{plan['id']}/accept", {"signer_name": "Ana", "version": presented["version"]})
    return location, plan


def test_payments_refunds_financing_and_claims_feed_collections(admin):
    location, plan = _accepted_plan(admin)
    payment = admin.post("/payments", {"plan_id": plan["id"], "amount_cents": 30000, "method": "cash"},
                         headers={"Idempotency-Key": "kpi-pay-1"})
    assert payment.status_code == 201, payment.data
    replay = admin.post("/payments", {"plan_id": plan["id"], "amount_cents": 30000, "method": "cash"},
                        headers={"Idempotency-Key": "kpi-pay-1"})
    assert replay.headers.get("Idempotent-Replayed") == "true"
    refund = admin.post(f"/payments/{payment.data['id']}/refunds", {"amount_cents": 5000, "reason": "overpaid"},
                        headers={"Idempotency-Key": "kpi-refund-1"})
    assert refund.status_code == 201, refund.data
    financing = admin.post(f"/plans/{plan['id']}/financing",
                           {"provider": "carecredit", "amount_cents": 100000, "months": 12}).data
    funded = admin.patch(f"/financing/{financing['id']}", {"status": "funded"},
                         headers={"If-Match": f'"{financing["version"]}"'})
    assert funded.status_code == 200, funded.data

    today = datetime.now(UTC).astimezone(ZoneInfo(location["timezone"])).date().isoformat()
    report = admin.get(f"/kpis?location_id={location['id']}&from={today}&to={today}")
    assert report.status_code == 200, report.data
    figures = report.data["locations"][0]["figures"]
    assert figures["collections"] == {"value": 125000, "payments_cents": 130000, "refunds_cents": 5000}
    assert (figures["financing_uptake"]["numerator"], figures["financing_uptake"]["denominator"]) == (1, 1)
