import pytest

from shared.clock import frozen_at
from tests.factories import coverage_body, location_body, patient_body, plan_body

FEES = {"D0150": 12000, "D1110": 10000, "D3330": 110000, "D2740": 130000}


@pytest.fixture
def patient(admin):
    location = admin.post("/locations", location_body(fee_schedule=FEES)).data
    patient = admin.post("/patients", patient_body(location["id"])).data
    assert admin.put(f"/patients/{patient['id']}/coverage", coverage_body()).status_code == 200
    return patient


def test_estimate_matches_the_rule_by_hand(admin, patient):
    """Coverage: $50 deductible, 100% diagnostic/preventive, 80% endo, 50% crowns, $1,500 max with $900 used.

    D0150 exam      $120: diagnostic, no deductible, 100%            -> insurance $120,  patient $0
    D1110 cleaning  $100: preventive, no deductible, 100%            -> insurance $100,  patient $0
        remaining maximum: 1500 - 900 - 120 - 100 = $380
    D3330 molar RCT $1,100: deductible $50 first -> 1050 x 80% = $840, capped at the $380 left
                                                                     -> insurance $380,  patient $720
    D2740 crown     $1,300: deductible already met; 1300 x 50% = $650, nothing left of the maximum
                                                                     -> insurance $0,    patient $1,300
    Totals: fee $2,620, insurance $600, patient $2,020, write-off $0.
    """
    plan = admin.post("/plans", plan_body(patient["id"]))
    assert plan.status_code == 201, plan.data
    estimate = admin.get(f"/plans/{plan.data['id']}/estimate").data
    lines = {line["code"]: line for line in estimate["lines"]}
    assert [(lines[c]["insurance_cents"], lines[c]["patient_cents"]) for c in FEES] == [
        (12000, 0), (10000, 0), (38000, 72000), (0, 130000)]
    assert lines["D3330"]["deductible_cents"] == 5000
    assert "annual_max" in lines["D3330"]["limits"] and "annual_max" in lines["D2740"]["limits"]
    assert {k: estimate["totals"][k] for k in ("fee_cents", "insurance_cents", "patient_cents", "writeoff_cents")} == {
        "fee_cents": 262000, "insurance_cents": 60000, "patient_cents": 202000, "writeoff_cents": 0}
    assert plan.data["totals"] == {"fee_cents": 262000, "writeoff_cents": 0, "insurance_cents": 60000,
                                   "patient_cents": 202000}
    assert estimate["frozen"] is False


def test_lifecycle_present_accept_part_and_frozen_quote(admin, patient):
    plan = admin.post("/plans", plan_body(patient["id"])).data
    assert plan["status"] == "draft" and plan["version"] == 1
    presented = admin.post(f"/plans/{plan['id']}/present", {})
    assert presented.status_code == 200, presented.data
    assert presented.data["status"] == "presented" and presented.data["version"] == 2

    # The quote is frozen: later coverage changes do not move it.
    admin.put(f"/patients/{patient['id']}/coverage", coverage_body(used_cents=0))
    assert admin.get(f"/plans/{plan['id']}/estimate").data["totals"]["insurance_cents"] == 60000

    steps = [s["id"] for phase in presented.data["phases"] for s in phase["steps"]]
    accepted = admin.post(f"/plans/{plan['id']}/accept",
                          {"signer_name": "Ana Núñez", "version": 2, "step_ids": steps[:2]})
    assert accepted.status_code == 200, accepted.data
    assert accepted.data["status"] == "partially_accepted"
    assert accepted.data["acceptance"]["step_ids"] == steps[:2] and accepted.data["acceptance"]["version"] == 2
    again = admin.post(f"/plans/{plan['id']}/accept", {"signer_name": "Ana", "version": 3})
    assert again.status_code == 422 and "plan lifecycle" in again.data["error"]["message"]


def test_editing_a_presented_plan_voids_the_signature_it_did_not_see(admin, patient):
    plan = admin.post("/plans", plan_body(patient["id"])).data
    presented = admin.post(f"/plans/{plan['id']}/present", {}).data
    edited = admin.patch(f"/plans/{plan['id']}", {"notes": "added a note"},
                         headers={"If-Match": f'"{presented["version"]}"'})
    assert edited.status_code == 200 and edited.data["version"] == presented["version"] + 1
    stale = admin.post(f"/plans/{plan['id']}/accept", {"signer_name": "Ana", "version": presented["version"]})
    assert stale.status_code == 412
    unpresented = admin.post(f"/plans/{plan['id']}/accept", {"signer_name": "Ana", "version": edited.data["version"]})
    assert unpresented.status_code == 422
    re_presented = admin.post(f"/plans/{plan['id']}/present", {}).data
    ok = admin.post(f"/plans/{plan['id']}/accept", {"signer_name": "Ana", "version": re_presented["version"]})
    assert ok.status_code == 200 and ok.data["status"] == "accepted"
    assert len(ok.data["quotes"]) == 2


def test_two_edits_of_one_version_one_wins(admin, patient):
    plan = admin.post("/plans", plan_body(patient["id"])).data
    first = admin.patch(f"/plans/{plan['id']}", {"notes": "a"}, headers={"If-Match": '"1"'})
    second = admin.patch(f"/plans/{plan['id']}", {"notes": "b"}, headers={"If-Match": '"1"'})
    assert (first.status_code, second.status_code) == (200, 412)
    assert admin.patch(f"/plans/{plan['id']}", {"notes": "c"}).status_code == 428


def test_edit_keeps_steps_by_id_and_prices_new_ones(admin, patient):
    plan = admin.post("/plans", plan_body(patient["id"])).data
    first_step = plan["phases"][0]["steps"][0]["id"]
    phases = [{"name": "Only phase", "steps": [
        {"id": first_step, "procedures": [{"code": "D0150"}]},
        {"procedures": [{"code": "D2391", "tooth": "30", "surfaces": "o", "fee_cents": 18000}]}]}]
    edited = admin.patch(f"/plans/{plan['id']}", {"phases": phases}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200, edited.data
    steps = edited.data["phases"][0]["steps"]
    assert steps[0]["id"] == first_step and steps[1]["id"].startswith("stp_")
    assert steps[1]["procedures"][0] == {"code": "D2391", "tooth": "30", "surfaces": "O", "fee_cents": 18000,
                                         "category": "restorative"}


def test_alternatives_accepting_one_declines_the_other(admin, patient):
    crown = admin.post("/plans", plan_body(patient["id"], option_label="Crown")).data
    bridge = admin.post("/plans", plan_body(patient["id"], alternative_to=crown["id"], option_label="Implant",
                                            phases=[{"name": "Implant", "steps": [
                                                {"procedures": [{"code": "D6010", "tooth": "3"}]}]}])).data
    assert bridge["option_group"] == crown["id"]
    for plan in (crown, bridge):
        admin.post(f"/plans/{plan['id']}/present", {})
    accepted = admin.post(f"/plans/{bridge['id']}/accept", {"signer_name": "Ana", "version": 2})
    assert accepted.status_code == 200, accepted.data
    other = admin.get(f"/plans/{crown['id']}").data
    assert other["status"] == "declined" and other["decline"]["reason"] == "alternative_accepted"


def test_decline_with_a_reason(admin, patient):
    plan = admin.post("/plans", plan_body(patient["id"])).data
    assert admin.post(f"/plans/{plan['id']}/decline", {"reason": "cost"}).status_code == 422  # still a draft
    admin.post(f"/plans/{plan['id']}/present", {})
    assert admin.post(f"/plans/{plan['id']}/decline", {"reason": "too_expensive"}).status_code == 400
    declined = admin.post(f"/plans/{plan['id']}/decline", {"reason": "insurance", "note": "waiting for benefits"})
    assert declined.status_code == 200 and declined.data["status"] == "declined"
    assert declined.data["decline"]["reason"] == "insurance"


def test_presented_plan_expires(admin, patient):
    from datetime import UTC, datetime, timedelta

    plan = admin.post("/plans", plan_body(patient["id"])).data
    admin.post(f"/plans/{plan['id']}/present", {"validity_days": 30})
    with frozen_at(datetime.now(UTC) + timedelta(days=31)):
        read = admin.get(f"/plans/{plan['id']}").data
        assert read["status"] == "expired"
        late = admin.post(f"/plans/{plan['id']}/accept", {"signer_name": "Ana", "version": 2})
        assert late.status_code == 422
        expired = admin.get(f"/plans?location_id={patient['location_id']}&status=expired").data["items"]
        assert [p["id"] for p in expired] == [plan["id"]]
        assert admin.get(f"/plans?location_id={patient['location_id']}&status=presented").data["items"] == []


def test_lists_by_patient_and_by_location_status(admin, patient):
    first = admin.post("/plans", plan_body(patient["id"])).data
    second = admin.post("/plans", plan_body(patient["id"])).data
    admin.post(f"/plans/{second['id']}/present", {})
    by_patient = admin.get(f"/plans?patient_id={patient['id']}").data["items"]
    assert {p["id"] for p in by_patient} == {first["id"], second["id"]}
    drafts = admin.get(f"/plans?location_id={patient['location_id']}&status=draft").data["items"]
    assert [p["id"] for p in drafts] == [first["id"]]
    assert admin.get("/plans").status_code == 400
    assert admin.get(f"/plans?location_id={patient['location_id']}&status=bogus").status_code == 400


@pytest.mark.parametrize("procedure,field", [
    ({"code": "D2740"}, "tooth"), ({"code": "D2391", "tooth": "3"}, "surfaces"),
    ({"code": "D2740", "tooth": "33"}, "tooth"), ({"code": "D2392", "tooth": "3", "surfaces": "MOX"}, "surfaces"),
    ({"code": "D1110", "tooth": "3"}, "tooth"), ({"code": "X1234"}, "code"), ({"code": "D2740", "tooth": "3",
                                                                               "fee_cents": 12.5}, "fee_cents"),
])
def test_bad_procedures_are_400_with_the_path(admin, patient, procedure, field):
    body = plan_body(patient["id"], phases=[{"name": "P", "steps": [{"procedures": [procedure]}]}])
    response = admin.post("/plans", body)
    assert response.status_code == 400, response.data
    assert any(d["field"].endswith(field) for d in response.data["error"]["details"]), response.data


def test_every_plan_route_refuses_other_groups_and_ungranted_locations(admin, patient):
    plan = admin.post("/plans", plan_body(patient["id"])).data
    for caller in (admin.as_(org="org_intruder"), admin.as_(locations=["loc_" + "2" * 26])):
        assert caller.post("/plans", plan_body(patient["id"])).status_code == 404
        assert caller.get(f"/plans/{plan['id']}").status_code == 404
        assert caller.get(f"/plans/{plan['id']}/estimate").status_code == 404
        assert caller.patch(f"/plans/{plan['id']}", {"notes": "x"}, headers={"If-Match": '"1"'}).status_code == 404
        assert caller.post(f"/plans/{plan['id']}/present", {}).status_code == 404
        assert caller.post(f"/plans/{plan['id']}/accept", {"signer_name": "x", "version": 2}).status_code == 404
        assert caller.post(f"/plans/{plan['id']}/decline", {"reason": "cost"}).status_code == 404
        assert caller.get(f"/plans?patient_id={patient['id']}").status_code == 404
        assert caller.get(f"/plans?location_id={patient['location_id']}").status_code == 404
    assert admin.as_(role="front_desk").post("/plans", plan_body(patient["id"])).status_code == 403
    assert admin.as_(role="readonly").get(f"/plans/{plan['id']}").status_code == 200


def test_procedure_catalog_search_with_the_location_fee(admin, patient):
    found = admin.get(f"/procedures?q=crown&location_id={patient['location_id']}").data["items"]
    crown = next(item for item in found if item["code"] == "D2740")
    assert crown["fee_cents"] == 130000 and crown["category"] == "crowns"
    assert admin.get("/procedures?q=D11").data["items"][0]["code"].startswith("D11")
