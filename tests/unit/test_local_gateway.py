"""The local stand-in for API Gateway's Cognito authorizer: what reaches the function is what AWS passes."""

from __future__ import annotations

import json

from infra.local_gateway import authorize
from infra.local_keys import mint_token


def _event(path: str, resource: str, token: str | None = None, **context) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return {"path": path, "headers": headers,
            "requestContext": {"resourcePath": resource, "httpMethod": "GET", "requestId": "r-1", **context}}


def test_a_verified_token_becomes_the_authorizers_claims(keys_dir) -> None:
    event = _event("/locations", "/locations", mint_token(keys_dir, org="org_a", role="coordinator",
                                                          locations=["loc_1"], sub="u-9"))
    assert authorize(event) is None
    claims = event["requestContext"]["authorizer"]["claims"]
    assert (claims["sub"], claims["org"], claims["role"], claims["locations"]) == ("u-9", "org_a", "coordinator",
                                                                                  ["loc_1"])


def test_claims_sent_by_a_client_are_dropped_and_a_missing_token_is_401() -> None:
    spoofed = {"claims": {"sub": "x", "org": "org_victim", "role": "admin", "locations": ["*"]}}
    event = _event("/locations", "/locations", authorizer=spoofed)
    denied = authorize(event)
    assert denied is not None and denied["statusCode"] == 401
    assert json.loads(denied["body"])["error"]["code"] == "unauthenticated"
    assert "authorizer" not in event["requestContext"]


def test_public_routes_pass_without_a_token() -> None:
    event = _event("/health", "/health")
    assert authorize(event) is None and "authorizer" not in event["requestContext"]
