"""Properties every route of the route table must have, whatever area it belongs to."""

import json
import re

import pytest

from functions.routes import all_routes

PROTECTED = [spec for spec in all_routes() if spec.permission is not None]
FAKE_IDS = {"location_id": "loc_", "patient_id": "pat_", "plan_id": "pln_", "payment_id": "pay_",
            "appointment_id": "apt_", "followup_id": "fup_", "financing_id": "fin_", "claim_id": "clm_"}


def _path(spec) -> str:
    return re.sub(r"{(\w+)}", lambda m: FAKE_IDS.get(m.group(1), "x_") + "0" * 26, spec.path)


@pytest.mark.parametrize("spec", PROTECTED, ids=lambda s: f"{s.method} {s.path}")
def test_every_protected_route_needs_a_token(http, spec):
    response = getattr(http.http, spec.method.lower())(_path(spec), headers={}, body="{}")
    assert response.status_code == 401
    assert json.loads(response.body)["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("spec", [s for s in PROTECTED if "{" in s.path], ids=lambda s: f"{s.method} {s.path}")
def test_unknown_ids_are_404_in_the_error_shape(admin, spec):
    headers = {"If-Match": '"1"', "Idempotency-Key": "k-every-route-1"}
    response = admin.call(spec.method, _path(spec), {}, headers=headers)
    expected = (404,) if spec.body is None else (400, 404)  # 400 when the empty body is refused first
    assert response.status_code in expected, response.data
    assert set(response.data["error"]) == {"code", "message", "details", "request_id"}


def test_every_route_is_in_the_openapi_document(http):
    document = json.loads(http.http.get("/openapi.json").body)
    for spec in all_routes():
        assert spec.method.lower() in document["paths"][spec.path], spec.path


def test_money_moving_posts_document_their_idempotency_key(http):
    document = json.loads(http.http.get("/openapi.json").body)
    for path in ("/payments", "/payments/{payment_id}/refunds"):
        parameters = {p["name"] for p in document["paths"][path]["post"]["parameters"]}
        assert "Idempotency-Key" in parameters, path
