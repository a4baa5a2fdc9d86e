"""The tenancy boundary over EVERY route of the route table: another group's ids, and the ids of a location
the caller was not granted, are not found (404), exactly as ids that do not exist. Each route is called
with a valid request about real resources of one location, so nothing but visibility can refuse it."""

from datetime import UTC, datetime, timedelta

from functions.routes import all_routes
from tests.factories import coverage_body, insured_patient, location_body, patient_body, plan_body, quoted_plan

MATCH = {"If-Match": '"1"'}
EXEMPT = {("POST", "/locations"),  # names no existing resource: creating one is not seeing one
          ("GET", "/settings"), ("PATCH", "/settings")}  # the caller's own group's defaults


def _world(admin) -> dict:
    """One location with a resource of every kind (ids by placeholder name)."""
    location, patient = insured_patient(admin)
    plan = quoted_plan(admin, patient["id"], accept_steps=0)
    soon = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    appointment = admin.post("/appointments", {"patient_id": patient["id"], "start": soon}).data
    assert admin.post(f"/appointments/{appointment['id']}/cancel", {}).status_code == 200  # late: a follow-up
    (followup,) = admin.get(f"/followups?location_id={location['id']}").data["items"]
    payment = admin.post("/payments", {"plan_id": plan["id"], "amount_cents": 5000, "method": "cash"},
                         headers={"Idempotency-Key": "tenancy-pay"}).data
    financing = admin.post(f"/plans/{plan['id']}/financing", {"provider": "sunbit", "amount_cents": 50000}).data
    claim = admin.post(f"/plans/{plan['id']}/claims", {}).data
    return {"L": location["id"], "P": patient["id"], "PL": plan["id"], "A": appointment["id"],
            "F": followup["id"], "PAY": payment["id"], "FIN": financing["id"], "C": claim["id"]}


def _requests(ids: dict) -> list[tuple[str, str, str, dict | None, dict]]:
    """(method, route path, request path, body, headers) for every route that names a resource."""
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    L, P, PL, A, F, PAY, FIN, C = (ids[k] for k in ("L", "P", "PL", "A", "F", "PAY", "FIN", "C"))  # noqa: N806
    return [
        ("GET", "/locations/{location_id}", f"/locations/{L}", None, {}),
        ("PATCH", "/locations/{location_id}", f"/locations/{L}", {"name": "Elsewhere"}, MATCH),
        ("GET", "/locations/{location_id}/settings", f"/locations/{L}/settings", None, {}),
        ("PATCH", "/locations/{location_id}/settings", f"/locations/{L}/settings", {"sms_daily_cap": 0}, MATCH),
        ("POST", "/patients", "/patients", patient_body(L), {}),
        ("GET", "/patients", f"/patients?location_id={L}", None, {}),
        ("GET", "/patients/{patient_id}", f"/patients/{P}", None, {}),
        ("PATCH", "/patients/{patient_id}", f"/patients/{P}", {"first_name": "Eve"}, MATCH),
        ("PUT", "/patients/{patient_id}/coverage", f"/patients/{P}/coverage", coverage_body(), {}),
        ("GET", "/patients/{patient_id}/coverage", f"/patients/{P}/coverage", None, {}),
        ("GET", "/patients/{patient_id}/coverages", f"/patients/{P}/coverages", None, {}),
        ("PUT", "/patients/{patient_id}/coverages/{rank}", f"/patients/{P}/coverages/2", coverage_body(), {}),
        ("DELETE", "/patients/{patient_id}/coverages/{rank}", f"/patients/{P}/coverages/1", None, {}),
        ("POST", "/patients/{patient_id}/history", f"/patients/{P}/history",
         {"items": [{"code": "D1110", "date": "2026-01-05"}]}, {}),
        ("GET", "/patients/{patient_id}/history", f"/patients/{P}/history", None, {}),
        ("GET", "/plans/{plan_id}/phasing", f"/plans/{PL}/phasing", None, {}),
        ("POST", "/plans/{plan_id}/phasing", f"/plans/{PL}/phasing", {"version": 1}, {}),
        ("GET", "/procedures", f"/procedures?q=crown&location_id={L}", None, {}),
        ("POST", "/plans", "/plans", plan_body(P), {}),
        ("GET", "/plans", f"/plans?patient_id={P}", None, {}),
        ("GET", "/plans", f"/plans?location_id={L}", None, {}),
        ("GET", "/plans/{plan_id}", f"/plans/{PL}", None, {}),
        ("PATCH", "/plans/{plan_id}", f"/plans/{PL}", {"notes": "x"}, MATCH),
        ("GET", "/plans/{plan_id}/estimate", f"/plans/{PL}/estimate", None, {}),
        ("POST", "/plans/{plan_id}/present", f"/plans/{PL}/present", {}, {}),
        ("POST", "/plans/{plan_id}/signing-link", f"/plans/{PL}/signing-link", {"channel": "email"}, {}),
        ("POST", "/plans/{plan_id}/accept", f"/plans/{PL}/accept", {"signer_name": "Eve", "version": 1}, {}),
        ("POST", "/plans/{plan_id}/decline", f"/plans/{PL}/decline", {"reason": "cost"}, {}),
        ("POST", "/appointments", "/appointments", {"patient_id": P, "start": later}, {}),
        ("GET", "/appointments", f"/appointments?location_id={L}", None, {}),
        ("GET", "/appointments", f"/appointments?patient_id={P}", None, {}),
        ("GET", "/appointments/{appointment_id}", f"/appointments/{A}", None, {}),
        ("PATCH", "/appointments/{appointment_id}", f"/appointments/{A}", {"notes": "x"}, MATCH),
        ("POST", "/appointments/{appointment_id}/confirm", f"/appointments/{A}/confirm", None, {}),
        ("POST", "/appointments/{appointment_id}/arrive", f"/appointments/{A}/arrive", None, {}),
        ("POST", "/appointments/{appointment_id}/complete", f"/appointments/{A}/complete", None, {}),
        ("POST", "/appointments/{appointment_id}/cancel", f"/appointments/{A}/cancel", {}, {}),
        ("POST", "/appointments/{appointment_id}/no-show", f"/appointments/{A}/no-show", None, {}),
        ("GET", "/followups", f"/followups?location_id={L}", None, {}),
        ("POST", "/followups/{followup_id}/resolve", f"/followups/{F}/resolve", {"outcome": "contacted"}, {}),
        ("PATCH", "/followups/{followup_id}", f"/followups/{F}", {"owner": "someone"}, MATCH),
        ("GET", "/opportunities", f"/opportunities?location_id={L}", None, {}),
        ("GET", "/messages", f"/messages?patient_id={P}", None, {}),
        ("GET", "/messages", f"/messages?appointment_id={A}", None, {}),
        ("GET", "/messages", f"/messages?location_id={L}", None, {}),
        ("GET", "/kpis", f"/kpis?location_id={L}&from=2026-01-01&to=2026-01-31", None, {}),
        ("GET", "/plans/{plan_id}/payment-options", f"/plans/{PL}/payment-options", None, {}),
        ("POST", "/plans/{plan_id}/payment-plan", f"/plans/{PL}/payment-plan", {"count": 3}, {}),
        ("GET", "/plans/{plan_id}/ledger", f"/plans/{PL}/ledger", None, {}),
        ("POST", "/plans/{plan_id}/financing", f"/plans/{PL}/financing", {"provider": "sunbit", "amount_cents": 50000},
         {}),
        ("PATCH", "/financing/{financing_id}", f"/financing/{FIN}", {"status": "approved"}, MATCH),
        ("POST", "/plans/{plan_id}/claims", f"/plans/{PL}/claims", {}, {}),
        ("PATCH", "/claims/{claim_id}", f"/claims/{C}", {"note": "x"}, MATCH),
        ("POST", "/payments", "/payments", {"plan_id": PL, "amount_cents": 100, "method": "cash"},
         {"Idempotency-Key": "tenancy-other"}),
        ("GET", "/payments", f"/payments?plan_id={PL}", None, {}),
        ("GET", "/payments", f"/payments?patient_id={P}", None, {}),
        ("GET", "/payments/{payment_id}", f"/payments/{PAY}", None, {}),
        ("POST", "/payments/{payment_id}/refunds", f"/payments/{PAY}/refunds", {"amount_cents": 100, "reason": "x"},
         {"Idempotency-Key": "tenancy-refund"}),
    ]


def test_every_route_hides_another_groups_and_an_ungranted_locations_resources(admin):
    ids = _world(admin)
    other_location = admin.post("/locations", location_body(name="Hillside")).data["id"]
    outsiders = {"another group": admin.as_(org="org_elsewhere"),
                 "an ungranted location": admin.as_(locations=[other_location])}
    requests = _requests(ids)
    named = {(method, route) for method, route, *_ in requests}
    protected = {(spec.method, spec.path) for spec in all_routes() if spec.permission is not None}
    assert protected - named - EXEMPT == {("GET", "/locations")}  # the list is checked below
    for who, caller in outsiders.items():
        for method, _, path, body, headers in requests:
            response = caller.call(method, path, body, headers=headers)
            assert response.status_code == 404, (who, method, path, response.data)
            assert response.data["error"]["code"] == "not_found"
        listed = caller.get("/locations")
        assert listed.status_code == 200 and ids["L"] not in [item["id"] for item in listed.data["items"]], who
    # and the owner still sees all of it, untouched
    assert admin.get(f"/patients/{ids['P']}").data["first_name"] == "Ana"
    assert admin.get(f"/plans/{ids['PL']}").data["status"] == "accepted"

