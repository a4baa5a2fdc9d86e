import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from infra.local_keys import KEY_FILE


def _claims(**overrides):
    now = int(time.time())
    claims = {"sub": "u1", "org": "org_x", "role": "admin", "locations": ["*"], "iss": "chairside-local",
              "aud": "chairside-local", "iat": now, "exp": now + 600}
    claims.update(overrides)
    return claims


def _sign(keys_dir: Path, claims: dict, key: bytes | None = None, kid: str | None = None) -> str:
    jwks = json.loads((keys_dir / "jwks.json").read_text())
    private = key or (keys_dir / KEY_FILE).read_bytes()
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid or jwks["keys"][0]["kid"]})


def _other_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _none_token() -> str:
    import base64

    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(_claims())}."


@pytest.mark.parametrize("case", ["missing", "not-bearer", "garbage", "expired", "wrong-key", "unknown-kid",
                                  "other-issuer", "other-audience", "alg-none", "hs256", "no-org", "bad-role"])
def test_bad_tokens_get_401(http, keys_dir, case):
    tokens = {
        "missing": None,
        "not-bearer": "Basic abc",
        "garbage": "Bearer not.a.token",
        "expired": "Bearer " + _sign(keys_dir, _claims(exp=int(time.time()) - 3600)),
        "wrong-key": "Bearer " + _sign(keys_dir, _claims(), key=_other_key()),
        "unknown-kid": "Bearer " + _sign(keys_dir, _claims(), key=_other_key(), kid="other"),
        "other-issuer": "Bearer " + _sign(keys_dir, _claims(iss="https://evil.example")),
        "other-audience": "Bearer " + _sign(keys_dir, _claims(aud="someone-else")),
        "alg-none": "Bearer " + _none_token(),
        "hs256": "Bearer " + jwt.encode(_claims(), "a-shared-secret-of-at-least-32-bytes!", algorithm="HS256"),
        "no-org": "Bearer " + _sign(keys_dir, {k: v for k, v in _claims().items() if k != "org"}),
        "bad-role": "Bearer " + _sign(keys_dir, _claims(role="superuser")),
    }
    headers = {"Authorization": tokens[case]} if tokens[case] else {}
    for method, path in (("GET", "/locations"), ("GET", "/patients/pat_x"), ("POST", "/locations")):
        response = getattr(http.http, method.lower())(path, headers=headers, body="{}")
        assert response.status_code == 401, (case, path, response.body)
        error = json.loads(response.body)["error"]
        assert error["code"] == "unauthenticated" and error["request_id"]


def test_cognito_style_claims_are_accepted(http, keys_dir, store):
    claims = _claims()
    for name in ("org", "role", "locations"):
        claims.pop(name)
    claims.update({"custom:org": "org_cognito", "custom:role": "coordinator", "custom:locations": "*"})
    response = http.http.get("/locations", headers={"Authorization": "Bearer " + _sign(keys_dir, claims)})
    assert response.status_code == 200


def test_health_and_openapi_are_public(http):
    assert json.loads(http.http.get("/health").body) == {"status": "ok"}
    document = json.loads(http.http.get("/openapi.json").body)
    assert document["openapi"] == "3.1.0"
    assert "/patients/{patient_id}" in document["paths"]
    schema = document["components"]["schemas"]["PatientCreate"]
    assert schema["additionalProperties"] is False and "location_id" in schema["required"]


def test_responses_carry_cors_headers_for_front_ends(http):
    response = http.http.get("/health")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    denied = http.http.get("/locations")
    assert denied.status_code == 401 and denied.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("locations", ["*", "loc_a,loc_b", ["loc_a", 7], [""], {"*": True}])
def test_a_locations_claim_must_be_a_json_list_of_ids(http, keys_dir, store, locations):
    """A string is Cognito's spelling of `custom:locations` only: `"locations": "*"` granted every location."""
    token = _sign(keys_dir, _claims(locations=locations))
    response = http.http.get("/locations", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and json.loads(response.body)["error"]["code"] == "unauthenticated"


class _Keys:
    """A JWKS loader that counts its fetches and can fail like an unreachable Cognito."""

    def __init__(self, keys_dir: Path) -> None:
        self.document = json.loads((keys_dir / "jwks.json").read_text())
        self.fetches = 0
        self.down = False

    def __call__(self) -> dict:
        self.fetches += 1
        if self.down:
            raise OSError("connection refused")
        return self.document


@pytest.fixture
def clock_and_keys(monkeypatch, keys_dir):
    from infra import local_gateway
    from shared import auth

    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    keys = _Keys(keys_dir)
    monkeypatch.setattr(local_gateway, "_verifier", auth.TokenVerifier(keys, "chairside-local", "chairside-local"))
    return now, keys


def test_unknown_kids_refetch_the_keys_at_most_once_a_minute(http, keys_dir, store, clock_and_keys):
    now, keys = clock_and_keys
    good = {"Authorization": "Bearer " + _sign(keys_dir, _claims())}
    assert http.http.get("/locations", headers=good).status_code == 200 and keys.fetches == 1
    for n in range(20):
        stranger = {"Authorization": "Bearer " + _sign(keys_dir, _claims(), kid=f"made-up-{n}")}
        assert http.http.get("/locations", headers=stranger).status_code == 401
    assert keys.fetches == 1
    now[0] += 61
    assert http.http.get("/locations", headers=stranger).status_code == 401 and keys.fetches == 2
    assert http.http.get("/locations", headers=good).status_code == 200 and keys.fetches == 2


def test_keys_that_cannot_be_fetched_answer_503_in_the_error_shape(http, keys_dir, store, clock_and_keys):
    now, keys = clock_and_keys
    keys.down = True
    token = {"Authorization": "Bearer " + _sign(keys_dir, _claims())}
    for _ in range(3):
        response = http.http.get("/locations", headers=token)
        assert response.status_code == 503, response.body
        assert json.loads(response.body)["error"]["code"] == "service_unavailable"
    assert keys.fetches == 1  # no fetch storm while Cognito is down
    keys.down = False
    now[0] += 61
    assert http.http.get("/locations", headers=token).status_code == 200
