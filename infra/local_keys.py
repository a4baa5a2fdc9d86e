"""The local stack's signing key: `chairside token` signs with it, the local API verifies its JWKS.

Only the local runner and tests use this; in AWS tokens come from Cognito.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"


def ensure_local_keys(directory: Path) -> Path:
    """Create the key pair and its JWKS once; return the JWKS path."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path, jwks_path = directory / KEY_FILE, directory / JWKS_FILE
    if not key_path.exists() or not jwks_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": uuid.uuid4().hex, "alg": "RS256", "use": "sig"})
        key_path.write_bytes(pem)
        key_path.chmod(0o600)
        jwks_path.write_text(json.dumps({"keys": [jwk]}), encoding="utf-8")
    return jwks_path


def mint_token(
    directory: Path,
    *,
    org: str,
    role: str,
    locations: list[str],
    sub: str = "local-user",
    issuer: str = "chairside-local",
    audience: str = "chairside-local",
    ttl_seconds: int = 12 * 3600,
) -> str:
    jwks_path = ensure_local_keys(directory)
    kid = json.loads(jwks_path.read_text(encoding="utf-8"))["keys"][0]["kid"]
    private_key = (directory / KEY_FILE).read_bytes()
    now = int(time.time())
    claims = {
        "sub": sub,
        "org": org,
        "role": role,
        "locations": locations,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})
