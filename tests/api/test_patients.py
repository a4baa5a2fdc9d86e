import logging

import pytest

from infra.local_audit import by_actor, of_resource
from shared.store.audit import audit_of
from tests.factories import location_body, patient_body


@pytest.fixture
def location(admin):
    return admin.post("/locations", location_body()).data


def test_register_read_search_and_change_a_patient(admin, location):
    created = admin.post("/patients", patient_body(location["id"]))
    assert created.status_code == 201, created.data
    patient = created.data
    assert patient["id"].startswith("pat_") and patient["sms_opted_out"] is False
    assert patient["consent"]["sms"] == {"appointment": True, "billing": False, "treatment": False}

    admin.post("/patients", patient_body(location["id"], first_name="Bob", last_name="Smith"))
    found = admin.get(f"/patients?location_id={location['id']}&q=nun")
    assert [p["id"] for p in found.data["items"]] == [patient["id"]]
    assert len(admin.get(f"/patients?location_id={location['id']}").data["items"]) == 2

    changed = admin.patch(f"/patients/{patient['id']}", {"email": None, "language": "en"},
                          headers={"If-Match": created.headers["ETag"]})
    assert changed.status_code == 200, changed.data
    assert "email" not in changed.data and changed.data["language"] == "en"
    assert admin.get(f"/patients/{patient['id']}").data["version"] == 2


@pytest.mark.parametrize("field,value", [
    ("phone", "5551234"), ("email", "not-an-email"), ("date_of_birth", "2999-01-01"), ("date_of_birth", "12/01/1990"),
    ("language", "fr"), ("consent", {"fax": {"appointment": True}}), ("consent", {"sms": {"appointment": "yes"}}),
    ("first_name", ""), ("location_id", "nope"), ("sms_opted_out", True), ("email_suppressed", True),
])
def test_patient_validation(admin, location, field, value):
    response = admin.post("/patients", {**patient_body(location["id"]), field: value})
    assert response.status_code == 400, (field, value, response.data)
    assert response.data["error"]["details"]


def test_patient_in_unknown_or_ungranted_location(admin, location):
    other = admin.post("/locations", location_body(name="Other")).data
    limited = admin.as_(role="front_desk", locations=[location["id"]])
    assert limited.post("/patients", patient_body(other["id"])).status_code == 404
    assert admin.post("/patients", patient_body("loc_" + "0" * 26)).status_code == 404
    patient = admin.post("/patients", patient_body(other["id"])).data
    assert limited.get(f"/patients/{patient['id']}").status_code == 404
    assert limited.get(f"/patients?location_id={other['id']}").status_code == 404
    assert limited.patch(f"/patients/{patient['id']}", {"notes": "x"}, headers={"If-Match": '"1"'}).status_code == 404


def test_other_groups_never_see_a_patient(admin, location):
    patient = admin.post("/patients", patient_body(location["id"])).data
    stranger = admin.as_(org="org_stranger")
    assert stranger.get(f"/patients/{patient['id']}").status_code == 404
    assert stranger.get(f"/patients?location_id={location['id']}").status_code == 404
    assert stranger.patch(f"/patients/{patient['id']}", {"notes": "x"}, headers={"If-Match": '"1"'}).status_code == 404
    assert stranger.post("/patients", patient_body(location["id"])).status_code == 404


def test_roles(admin, location):
    readonly = admin.as_(role="readonly")
    assert readonly.post("/patients", patient_body(location["id"])).status_code == 403
    assert readonly.get(f"/patients?location_id={location['id']}").status_code == 200
    assert admin.as_(role="provider").post("/patients", patient_body(location["id"])).status_code == 403
    assert admin.as_(role="front_desk").post("/patients", patient_body(location["id"])).status_code == 201


def test_concurrent_patches_one_wins(admin, location):
    patient = admin.post("/patients", patient_body(location["id"])).data
    first = admin.patch(f"/patients/{patient['id']}", {"notes": "a"}, headers={"If-Match": '"1"'})
    second = admin.patch(f"/patients/{patient['id']}", {"notes": "b"}, headers={"If-Match": '"1"'})
    assert sorted([first.status_code, second.status_code]) == [200, 412]


def test_every_read_and_write_of_a_patient_is_audited(admin, location, audit_events):
    patient = admin.post("/patients", patient_body(location["id"])).data
    admin.get(f"/patients/{patient['id']}")
    admin.patch(f"/patients/{patient['id']}", {"notes": "x"}, headers={"If-Match": '"9"'})
    admin.as_(org="org_other").get(f"/patients/{patient['id']}")
    trail = of_resource(audit_events.events, admin.org, patient["id"])
    assert [(a["action"], a["outcome"]) for a in trail] == [
        ("patient.create", "ok"), ("patient.read", "ok"), ("patient.update", "precondition_failed")]
    fields = {"audit", "actor", "action", "resource_ids", "outcome", "request_id", "at", "org"}
    assert all(set(a) == fields for a in trail)
    assert of_resource(audit_events.events, "org_other", patient["id"])[0]["outcome"] == "not_found"
    assert [a["action"] for a in by_actor(audit_events.events, admin.org, admin.sub)
            if patient["id"] in a["resource_ids"]] == ["patient.create", "patient.read", "patient.update"]
    # Writes also keep their audit item in the table; reads wait for no database write.
    assert [(a["action"], a["outcome"]) for a in audit_of(admin.org, patient["id"])] == [
        ("patient.create", "ok"), ("patient.update", "precondition_failed")]


def test_no_patient_data_in_logs(admin, location, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    body = patient_body(location["id"], first_name="Zebulon", last_name="Quixote", phone="+15559870123",
                        email="zebulon.quixote@example.com", notes="allergic to latex")
    patient = admin.post("/patients", body).data
    admin.get(f"/patients/{patient['id']}")
    admin.get(f"/patients?location_id={location['id']}&q=quix")
    admin.patch(f"/patients/{patient['id']}", {"phone": "bad"}, headers={"If-Match": '"1"'})
    admin.post("/patients", {**body, "email": "zebulon@@bad"})
    logged = caplog.text + capsys.readouterr().out
    assert "request" in logged
    for secret in ("Zebulon", "Quixote", "5559870123", "zebulon.quixote", "latex", "quix"):
        assert secret.lower() not in logged.lower(), secret


COVERAGE = {"carrier": "Delta Dental", "member_id": "DD123", "renewal_month": 1, "annual_max_cents": 150000,
            "used_cents": 40000, "deductible_cents": 5000, "coverage_pct": {"diagnostic": 100, "preventive": 100,
                                                                            "restorative": 80, "crowns": 50},
            "allowed_fees": {"D2740": 95000}, "excluded_codes": ["D9972"]}


def test_coverage_put_get_and_replace(admin, location):
    patient = admin.post("/patients", patient_body(location["id"])).data
    assert admin.get(f"/patients/{patient['id']}/coverage").status_code == 404
    put = admin.put(f"/patients/{patient['id']}/coverage", COVERAGE)
    assert put.status_code == 200, put.data
    assert put.data["annual_max_cents"] == 150000 and put.data["ortho_used_cents"] == 0
    again = admin.put(f"/patients/{patient['id']}/coverage", {**COVERAGE, "used_cents": 50000},
                      headers={"If-Match": put.headers["ETag"]})
    assert again.status_code == 200 and again.data["version"] == 2
    stale = admin.put(f"/patients/{patient['id']}/coverage", COVERAGE, headers={"If-Match": put.headers["ETag"]})
    assert stale.status_code == 412
    assert admin.get(f"/patients/{patient['id']}/coverage").data["used_cents"] == 50000


@pytest.mark.parametrize("change", [
    {"annual_max_cents": 1500.5}, {"annual_max_cents": "150000"}, {"annual_max_cents": -1},
    {"coverage_pct": {"crowns": 101}}, {"coverage_pct": {"cosmetic": 50}}, {"renewal_month": 13},
    {"allowed_fees": {"2740": 100}}, {"excluded_codes": ["X1234"]}, {"used_cents": True}, {"unknown": 1},
])
def test_coverage_validation(admin, location, change):
    patient = admin.post("/patients", patient_body(location["id"])).data
    response = admin.put(f"/patients/{patient['id']}/coverage", {**COVERAGE, **change})
    assert response.status_code == 400, (change, response.data)


def test_coverage_of_other_groups_and_locations(admin, location):
    patient = admin.post("/patients", patient_body(location["id"])).data
    admin.put(f"/patients/{patient['id']}/coverage", COVERAGE)
    stranger = admin.as_(org="org_else")
    assert stranger.get(f"/patients/{patient['id']}/coverage").status_code == 404
    assert stranger.put(f"/patients/{patient['id']}/coverage", COVERAGE).status_code == 404
    elsewhere = admin.as_(locations=["loc_" + "1" * 26])
    assert elsewhere.get(f"/patients/{patient['id']}/coverage").status_code == 404


def test_pages_end_without_an_empty_trailing_page(admin, location):
    for i in range(4):
        admin.post("/patients", patient_body(location["id"], first_name=f"P{i}", last_name=f"Page{i}"))
    first = admin.get(f"/patients?location_id={location['id']}&limit=2").data
    second = admin.get(f"/patients?location_id={location['id']}&limit=2&cursor={first['next_cursor']}").data
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert second["next_cursor"] is None
    names = [p["last_name"] for p in first["items"] + second["items"]]
    assert names == ["Page0", "Page1", "Page2", "Page3"]
