"""Bearer-token verification: one code path for Cognito (JWKS over HTTPS) and the local stack (JWKS file).

The verifier checks signature (RS256 only: `alg: none` and HMAC tricks are refused), issuer, audience
(or Cognito's `client_id` on access tokens), expiry and the Chairside claims, and returns a Principal.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.errors import Unauthenticated, Unavailable
from shared.logs import logger

ROLES = ("admin", "coordinator", "front_desk", "provider", "readonly")
ALL_LOCATIONS = "*"
_KEY_CACHE_SECONDS = 3600
_MIN_REFETCH_SECONDS = 60  # an unknown kid refetches the keys at most this often (one HTTPS call to Cognito)


@dataclass(frozen=True)
class Principal:
    sub: str
    org: str
    role: str
    locations: tuple[str, ...]

    @property
    def all_locations(self) -> bool:
        return ALL_LOCATIONS in self.locations

    def may_see(self, location_id: str) -> bool:
        return self.all_locations or location_id in self.locations


JwksLoader = Callable[[], dict[str, Any]]


def jwks_from_url(url: str) -> JwksLoader:
    def load() -> dict[str, Any]:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - fixed https URL from config
            return json.loads(response.read())

    return load


def jwks_from_file(path: str) -> JwksLoader:
    def load() -> dict[str, Any]:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)

    return load


class TokenVerifier:
    """Verifies tokens against a JWKS, caching keys by `kid`; an unknown `kid` refetches them at most once a
    minute (rotated keys are picked up, a flood of made-up kids costs one fetch), and keys that cannot be
    fetched answer 503 rather than 401 or 500."""

    def __init__(self, load_jwks: JwksLoader, issuer: str, audience: str, leeway_seconds: int = 30) -> None:
        self._load_jwks = load_jwks
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._keys: dict[str, Any] = {}
        self._loaded_at = float("-inf")
        self._attempted_at = float("-inf")
        self._fetch_failed = False
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        import jwt  # PyJWT and cryptography are local-only: in AWS the gateway verifies (infra/local_gateway.py)

        self._attempted_at = time.monotonic()
        try:
            keys = {jwk["kid"]: jwt.PyJWK(jwk, algorithm="RS256").key for jwk in self._load_jwks().get("keys", [])
                    if jwk.get("kty") == "RSA" and jwk.get("kid")}
        except Exception as exc:  # unreachable, unreadable or malformed: any of them means no keys now
            self._fetch_failed = True
            logger.warning("token keys could not be fetched", extra={"error": type(exc).__name__})
            return
        self._keys, self._loaded_at, self._fetch_failed = keys, self._attempted_at, False

    def _key_for(self, kid: str) -> Any:
        with self._lock:
            now = time.monotonic()
            wanted = kid not in self._keys or now - self._loaded_at > _KEY_CACHE_SECONDS
            if wanted and now - self._attempted_at >= _MIN_REFETCH_SECONDS:
                self._refresh()
            key, failed = self._keys.get(kid), self._fetch_failed
        if key is None and failed:
            raise Unavailable("the token signing keys could not be fetched; try again shortly")
        if key is None:
            raise Unauthenticated("token signed with an unknown key")
        return key

    def verified_claims(self, token: str) -> dict[str, Any]:
        """The token's claims once its signature, expiry, issuer and audience are checked (401 otherwise)."""
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("malformed bearer token") from exc
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise Unauthenticated("token must be signed with RS256")
        key = self._key_for(str(header["kid"]))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuer,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
                leeway=self._leeway,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid bearer token") from exc
        # Cognito ID tokens carry `aud`; its access tokens carry `client_id` instead.
        audience = claims.get("aud", claims.get("client_id"))
        audiences = audience if isinstance(audience, list) else [audience]
        if self._audience not in audiences:
            raise Unauthenticated("token is for another audience")
        return claims


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Chairside claims, accepting Cognito's `custom:` attribute spelling (strings, comma-separated lists)."""
    org = claims.get("org", claims.get("custom:org"))
    role = claims.get("role", claims.get("custom:role"))
    locations = claims.get("locations")
    if locations is None and isinstance(claims.get("custom:locations"), str):  # Cognito attributes are strings
        locations = [part.strip() for part in claims["custom:locations"].split(",") if part.strip()]
    if not isinstance(org, str) or not org or "#" in org:
        raise Unauthenticated("token has no valid org claim")
    if role not in ROLES:
        raise Unauthenticated("token has no valid role claim")
    if not isinstance(locations, list) or not all(isinstance(loc, str) and loc for loc in locations):
        raise Unauthenticated("token has no valid locations claim")
    return Principal(sub=str(claims["sub"]), org=org, role=role, locations=tuple(locations))


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("missing bearer token")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be 'Bearer <token>'")
    return token.strip()
