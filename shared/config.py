"""Settings read from the environment once, at first use (never at import of the models)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    table_name: str
    region: str
    dynamodb_endpoint: str | None
    # Token verification: either a Cognito user pool (JWKS over HTTPS) or a local JWKS file.
    jwks_url: str | None
    jwks_file: str | None
    issuer: str
    audience: str
    cursor_secret: bytes
    service_name: str
    allowed_origin: str
    console_url: str  # where patients' signing links point (the console's static files)


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("CHAIRSIDE_TABLE", "chairside"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        dynamodb_endpoint=env.get("CHAIRSIDE_DYNAMODB_ENDPOINT") or None,
        jwks_url=env.get("CHAIRSIDE_JWKS_URL") or None,
        jwks_file=env.get("CHAIRSIDE_JWKS_FILE") or None,
        issuer=env.get("CHAIRSIDE_ISSUER", "chairside-local"),
        audience=env.get("CHAIRSIDE_AUDIENCE", "chairside-local"),
        cursor_secret=env.get("CHAIRSIDE_CURSOR_SECRET", "chairside-local-cursor-secret").encode(),
        service_name=env.get("POWERTOOLS_SERVICE_NAME", "chairside"),
        allowed_origin=env.get("CHAIRSIDE_ALLOWED_ORIGIN", "*"),
        console_url=env.get("CHAIRSIDE_CONSOLE_URL", "http://127.0.0.1:8000/console").rstrip("/"),
    )


def reload_settings() -> Settings:
    """Forget cached settings (tests and the local runner change the environment)."""
    settings.cache_clear()
    return settings()
