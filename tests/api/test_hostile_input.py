"""Input an attacker (or a broken client) sends: each gets a 4xx in the error shape, never a 500, and nothing
is stored. Every case here answered 500 or was accepted before the hardening of issue 12."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from shared.config import settings
from tests.factories import insured_patient, location_body, patient_body, quoted_plan


def _error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.data)
    assert set(response.data["error"]) == {"code", "message", "details", "request_id"}
    return response.data["error"]


def test_json_nested_a_thousand_deep_is_400(admin):
    deep = '{"name": ' + "[" * 1000 + "]" * 1000 + "}"
    _error(admin.call("POST", "/locations", raw=deep.encode()), 400)
    moderately = '{"name": "x", "fee_schedule": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"
    _error(admin.call("POST", "/locations", raw=moderately.encode()), 400)


def test_an_oversized_body_is_413(admin):
    body = json.dumps(location_body(name="x" * 300_000)).encode()
    assert _error(admin.call("POST", "/locations", raw=body), 413)["code"] == "payload_too_large"


def test_unpaired_surrogates_and_controls_are_refused_in_bodies_and_queries(admin):
    location = admin.post("/locations", location_body()).data
    raw = json.dumps(patient_body(location["id"])).replace('"Ana"', '"\\ud800Ana"').encode()
    _error(admin.call("POST", "/patients", raw=raw), 400)
    _error(admin.get(f"/patients?location_id={location['id']}&q=A%00"), 400)


@pytest.mark.parametrize("tag", ['"²"', '"٣"', '"３"', "W/\"1\u00b9\"", '"99999999999999999999"'])
def test_if_match_takes_ascii_digits_only(admin, tag):
    location = admin.post("/locations", location_body()).data
    _error(admin.patch(f"/locations/{location['id']}", {"name": "New"}, headers={"If-Match": tag}), 400)


def _signed_cursor(payload: bytes) -> str:
    signature = hmac.new(settings().cursor_secret, payload, hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return f"{b64(payload)}.{b64(signature)}"


def test_a_signed_cursor_with_a_malformed_payload_is_400(admin):
    for _ in range(3):
        admin.post("/locations", location_body())
    first = admin.get("/locations?limit=1").data
    payload = json.loads(base64.urlsafe_b64decode(first["next_cursor"].split(".")[0] + "=="))
    binding = payload["b"]
    other_org = {"pk": {"S": "org_someone_else#LOCATIONS"}, "sk": {"S": "loc_x"}}
    for bad in (b"not json", b"[1, 2]", json.dumps({"b": binding}).encode(),
                json.dumps({"b": binding, "k": "pk"}).encode(), json.dumps({"b": binding, "k": {"pk": 1}}).encode(),
                json.dumps({"b": binding, "k": {"pk": {"N": "1"}}}).encode(),
                json.dumps({"b": binding, "k": {"nope": {"S": "x"}}}).encode(),
                json.dumps({"b": binding, "k": other_org}).encode()):
        _error(admin.get(f"/locations?limit=1&cursor={_signed_cursor(bad)}"), 400)
    assert admin.get(f"/locations?limit=1&cursor={first['next_cursor']}").status_code == 200


@pytest.mark.parametrize("start", ["9999-12-31T00:00:00Z", "0001-01-01T00:00:00+05:00", "2300-01-01T09:00:00Z"])
def test_an_appointment_far_from_now_is_refused_and_not_stored(admin, start):
    _, patient = insured_patient(admin)
    _error(admin.post("/appointments", {"patient_id": patient["id"], "start": start}), 400)
    assert admin.get(f"/appointments?patient_id={patient['id']}").data["items"] == []


def test_dates_out_of_their_window_are_400(admin):
    location, patient = insured_patient(admin)
    plan = quoted_plan(admin, patient["id"], accept_steps=0)
    _error(admin.post(f"/plans/{plan['id']}/payment-plan", {"count": 6, "first_due": "9999-01-01"}), 400)
    _error(admin.post(f"/plans/{plan['id']}/claims", {"service_date": "0001-01-01"}), 400)
    _error(admin.get(f"/kpis?location_id={location['id']}&from=0001-01-01&to=0001-12-31"), 400)
    _error(admin.get(f"/messages?location_id={location['id']}&date=9999-12-31"), 400)
    assert admin.get(f"/plans/{plan['id']}/ledger").data["entries"] == []


@pytest.mark.parametrize("name", ["\x00\x00", "Ana\x1b[31m", "\u202eanA", "\u200b\u200b", "A\u200dna", "\u3164",
                                  "\u2800\u2800", " \u0301 "])
def test_names_of_control_format_or_invisible_characters_are_refused(admin, name):
    location = admin.post("/locations", location_body()).data
    _error(admin.post("/patients", patient_body(location["id"], first_name=name)), 400)
    _error(admin.post("/locations", location_body(name=name)), 400)


def test_text_is_stored_in_nfc_and_notes_keep_their_line_breaks(admin):
    location = admin.post("/locations", location_body()).data
    created = admin.post("/patients", patient_body(location["id"], first_name="Jose\u0301",
                                                   notes="first line\n\tsecond line"))
    assert created.status_code == 201, created.data
    stored = admin.get(f"/patients/{created.data['id']}").data
    assert stored["first_name"] == "Jos\u00e9" and stored["notes"] == "first line\n\tsecond line"
    _error(admin.post("/patients", patient_body(location["id"], notes="bell\x07")), 400)


@pytest.mark.parametrize("phone", ["+１５５５１２３４５６７", "+١٥٥٥١٢٣٤٥٦٧", "+1555123456\u0667"])
def test_phones_take_ascii_digits_only(admin, phone):
    location = admin.post("/locations", location_body()).data
    _error(admin.post("/patients", patient_body(location["id"], phone=phone)), 400)


def test_a_tooth_in_superscript_digits_is_400(admin):
    _, patient = insured_patient(admin)
    body = {"patient_id": patient["id"], "phases": [{"name": "P", "steps": [
        {"procedures": [{"code": "D2740", "tooth": "²"}]}]}]}
    _error(admin.post("/plans", body), 400)
    body["phases"][0]["steps"][0]["procedures"][0] = {"code": "D２７４０", "tooth": "3"}
    _error(admin.post("/plans", body), 400)
