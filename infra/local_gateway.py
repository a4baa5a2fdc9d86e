"""The local stack's stand-in for API Gateway's Cognito authorizer: verifies bearer tokens, hands on claims.

In AWS the API's Cognito authorizer verifies the token (signature, expiry, issuer) before the function
runs and passes the token's claims in `requestContext.authorizer.claims`; the function only maps them to
a Principal (shared.auth.principal_from_claims). Locally, Chalice's server and test client have no
authorizer, so `with_gateway(app)` wraps the app: for every route that is not public it verifies the token
against the local JWKS and puts the claims where API Gateway would, or answers 401 in the API's error
shape itself, as the template's gateway response does. The function's code path is the same in both.
This module (and PyJWT with cryptography) stays out of the Lambda package.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from functions.route_index import ROUTES
from shared.auth import TokenVerifier, bearer_token, jwks_from_file, jwks_from_url
from shared.config import settings
from shared.errors import ChairsideError, Unauthenticated, Unavailable

PUBLIC = frozenset((path, method) for method, path, _name, _module, public in ROUTES if public)

_verifier: TokenVerifier | None = None


def verifier() -> TokenVerifier:
    global _verifier
    if _verifier is None:
        current = settings()
        if current.jwks_file:
            loader = jwks_from_file(current.jwks_file)
        elif current.jwks_url:
            loader = jwks_from_url(current.jwks_url)
        else:
            raise Unauthenticated("token verification is not configured (CHAIRSIDE_JWKS_FILE)")
        _verifier = TokenVerifier(loader, current.issuer, current.audience)
    return _verifier


def reset_verifier() -> None:
    """Forget the keys (tests and benchmarks that make new ones)."""
    global _verifier
    _verifier = None


def _refused(error: ChairsideError, request_id: str) -> dict[str, Any]:
    """401 for a token that is not good, 503 when the keys to check it could not be fetched."""
    body = {"error": {"code": error.code, "message": error.message, "details": [], "request_id": request_id}}
    status = 503 if isinstance(error, Unavailable) else 401
    return {"statusCode": status, "body": json.dumps(body), "isBase64Encoded": False, "multiValueHeaders": {},
            "headers": {"Content-Type": "application/json",
                        "Access-Control-Allow-Origin": settings().allowed_origin}}


def authorize(event: dict[str, Any]) -> dict[str, Any] | None:
    """Put the verified token's claims in `event` (None), or the 401 answer API Gateway would give."""
    context = event.setdefault("requestContext", {})
    context.pop("authorizer", None)  # only this layer sets it, as only the authorizer does in AWS
    route = (context.get("resourcePath"), context.get("httpMethod"))
    if route in PUBLIC or context.get("httpMethod") == "OPTIONS":
        return None
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    try:
        claims = verifier().verified_claims(bearer_token(headers.get("authorization")))
    except (Unauthenticated, Unavailable) as exc:
        return _refused(exc, context.get("requestId") or str(uuid.uuid4()))
    context["authorizer"] = {"claims": claims}  # decoded once, by the verification
    return None


class GatewayApp:
    """The Chalice app behind the local authorizer: everything else is the app's own."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        if "httpMethod" in event.get("requestContext", {}):
            denied = authorize(event)
            if denied is not None:
                return denied
        return self._app(event, context)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


def with_gateway(app: Any) -> GatewayApp:
    return GatewayApp(app)
