"""Signing links: sent through the outbox with consent, signed once on the version shown, refused when
expired, reused or superseded (4xx in the error shape), and the signature kept with what was shown."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from shared import clock
from shared.domain.signing import PNG_MAGIC
from shared.domain.template_checks import CDT_CODE, CLINICAL_WORDS
from shared.domain.templates import gsm7_length
from shared.services import sender
from shared.store import plans as plan_store
from shared.store import signing as signing_store
from tests.factories import coverage_body, location_body, patient_body, plan_body
from tests.helpers import StubNotifier

PNG = "data:image/png;base64," + base64.b64encode(PNG_MAGIC + b"\x00" * 64).decode()
CONSENTED = {"email": {"appointment": True, "treatment": True}, "sms": {"appointment": True}}


def _presented(admin, consent: dict = CONSENTED) -> tuple[dict, dict]:
    location = admin.post("/locations", location_body(fee_schedule={"D0150": 12000, "D2740": 130000})).data
    patient = admin.post("/patients", patient_body(location["id"], consent=consent)).data
    admin.put(f"/patients/{patient['id']}/coverage", coverage_body())
    plan = admin.post("/plans", plan_body(patient["id"])).data
    return patient, admin.post(f"/plans/{plan['id']}/present", {}).data


def _token(link: dict) -> str:
    return link["url"].split("/s#", 1)[1]


def _public(http, method: str, token: str, body: dict | None = None):
    response = getattr(http.http, method)(f"/sign/{token}", headers={"Content-Type": "application/json",
                                                                      "User-Agent": "pytest-browser/1"},
                                          body=json.dumps(body) if body is not None else "")
    return response.status_code, json.loads(response.body)


def _signature(page: dict, **overrides) -> dict:
    body = {"signer_name": "Ana Núñez", "signature_png": PNG, "consent": True, "content_hash": page["content_hash"],
            "version": page["version"], "language": "es"}
    body.update(overrides)
    return body


def test_a_link_goes_through_the_outbox_and_the_patient_signs_the_version_shown(admin, http):
    patient, plan = _presented(admin)
    created = admin.post(f"/plans/{plan['id']}/signing-link", {"channel": "email"})
    assert created.status_code == 201, created.data
    link = created.data
    assert link["version"] == plan["version"] and "/console/s#" in link["url"]
    messages = admin.get(f"/messages?patient_id={patient['id']}").data["items"]
    assert [(m["kind"], m["channel"], m["status"]) for m in messages] == [("signing_link", "email", "planned")]
    assert "link" not in messages[0], "the link (a credential) is not shown in message lists"

    status, page = _public(http, "get", _token(link))
    assert status == 200, page
    assert page["version"] == plan["version"] and page["signed"] is None
    assert page["totals"]["patient_cents"] == plan["totals"]["patient_cents"]
    crown = next(line for phase in page["phases"] for line in phase["lines"] if line["code"] == "D2740")
    assert crown["description"]["es"] == "Corona" and crown["reasons"]["en"]
    assert set(page["consent_text"]) == {"en", "es"}

    status, signed = _public(http, "post", _token(link), _signature(page))
    assert status == 200, signed
    after = admin.get(f"/plans/{plan['id']}").data
    assert after["status"] == "accepted" and after["acceptance"]["signer_name"] == "Ana Núñez"
    assert after["acceptance"]["version"] == plan["version"]
    stored = signing_store.load_signature(plan_store.pk(admin.org, plan["id"]), plan["version"]).data()
    assert stored["content_hash"] == page["content_hash"] and stored["user_agent"] == "pytest-browser/1"
    assert base64.b64decode(stored["signature_png"]).startswith(PNG_MAGIC)
    assert stored["consent_text"] == page["consent_text"]["es"] and stored["signed_at"]

    status, again = _public(http, "post", _token(link), _signature(page))
    assert status == 409 and set(again["error"]) == {"code", "message", "details", "request_id"}
    status, shown = _public(http, "get", _token(link))
    assert status == 200 and shown["signed"]["signer_name"] == "Ana Núñez", "the page says it was signed"


def test_a_newer_version_voids_the_link(admin, http):
    _, plan = _presented(admin)
    link = admin.post(f"/plans/{plan['id']}/signing-link", {"channel": "email"}).data
    _, page = _public(http, "get", _token(link))
    phases = plan_body(plan["patient_id"])["phases"][:1]
    edited = admin.patch(f"/plans/{plan['id']}", {"phases": phases}, headers={"If-Match": f'"{plan["version"]}"'})
    assert edited.status_code == 200, edited.data
    admin.post(f"/plans/{plan['id']}/present", {})
    for method, body in (("get", None), ("post", _signature(page))):
        status, refused = _public(http, method, _token(link), body)
        assert status == 409 and "changed" in refused["error"]["message"]
    assert admin.get(f"/plans/{plan['id']}").data["status"] == "presented"


def test_an_expired_link_is_gone(admin, http):
    _, plan = _presented(admin)
    link = admin.post(f"/plans/{plan['id']}/signing-link", {"channel": "email"}).data
    with clock.frozen_at(clock.now() + timedelta(days=15)):
        status, refused = _public(http, "get", _token(link))
    assert status == 410 and refused["error"]["code"] == "gone"


def test_forged_tokens_and_changed_pages_are_refused(admin, http):
    _, plan = _presented(admin)
    link = admin.post(f"/plans/{plan['id']}/signing-link", {"channel": "email"}).data
    token = _token(link)
    assert _public(http, "get", token[:-2] + ("AA" if not token.endswith("AA") else "BB"))[0] == 404
    assert _public(http, "get", "nonsense")[0] == 404
    _, page = _public(http, "get", token)
    assert _public(http, "post", token, _signature(page, content_hash="0" * 64))[0] == 409
    assert _public(http, "post", token, _signature(page, version=page["version"] + 1))[0] == 409
    assert _public(http, "post", token, _signature(page, signature_png="data:image/png;base64,QUJD"))[0] == 400
    assert _public(http, "post", token, _signature(page, consent=False))[0] == 400
    assert admin.get(f"/plans/{plan['id']}").data["status"] == "presented"


def test_a_link_needs_a_presented_plan_and_email_consent(admin):
    location = admin.post("/locations", location_body()).data
    patient = admin.post("/patients", patient_body(location["id"])).data  # no consent to email about treatment
    plan = admin.post("/plans", plan_body(patient["id"])).data
    assert admin.post(f"/plans/{plan['id']}/signing-link", {"channel": "email"}).status_code == 422  # a draft
    admin.post(f"/plans/{plan['id']}/present", {})
    refused = admin.post(f"/plans/{plan['id']}/signing-link", {"channel": "email"})
    assert refused.status_code == 422 and "consent" in refused.data["error"]["message"]
    assert admin.post(f"/plans/{plan['id']}/signing-link", {"channel": "sms"}).status_code == 422


def test_a_link_by_sms_fits_one_segment_with_the_stop_line_and_opens_the_page(admin, http):
    noon_in_new_york = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # outside quiet hours, so the sender sends now
    stub = StubNotifier()
    with clock.frozen_at(noon_in_new_york):
        patient, plan = _presented(admin, consent={"sms": {"treatment": True}})
        created = admin.post(f"/plans/{plan['id']}/signing-link", {"channel": "sms"})
        assert created.status_code == 201, created.data
        assert sender.run(noon_in_new_york, stub, orgs=[admin.org]).sent == 1
        ((channel, to, text),) = stub.sent
        assert (channel, to) == ("sms", patient["phone"])
        assert gsm7_length(text) <= 160 and text.endswith("Responda STOP para darse de baja")  # her language: es
        assert text.startswith("Riverside Dental +15551230000: ") and created.data["url"] in text
        assert not CLINICAL_WORDS.search(text) and not CDT_CODE.search(text), "no clinical detail in an SMS"
        status, page = _public(http, "get", _token(created.data))
    assert status == 200 and page["version"] == plan["version"]
    message = admin.get(f"/messages?patient_id={patient['id']}").data["items"][0]
    assert (message["kind"], message["channel"], message["status"]) == ("signing_link", "sms", "sent")
