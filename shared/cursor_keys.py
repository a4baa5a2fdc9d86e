"""The keys that sign list cursors: a Secrets Manager secret in AWS, a local secret elsewhere.

In AWS, CHAIRSIDE_CURSOR_SECRET_ARN names the secret (the template sets it on the functions that page).
New cursors are signed with its AWSCURRENT value; cursors signed with its AWSPREVIOUS value are still
accepted, so a rotation (docs/RUNBOOK.md: put a new value) invalidates no open cursor: the grace period
lasts until the next rotation. Values are read through powertools' parameters utility and cached for
CACHE_SECONDS: after a rotation a warm function may sign with the old key that long, which every function
still accepts. Locally (no ARN) the key is CHAIRSIDE_CURSOR_SECRET, or the local default.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from shared.config import settings

SECRET_ARN_ENV = "CHAIRSIDE_CURSOR_SECRET_ARN"
CACHE_SECONDS = 300
CURRENT, PREVIOUS = "AWSCURRENT", "AWSPREVIOUS"

_providers: dict[str, Any] = {}
_no_previous_until: dict[str, float] = {}  # before the first rotation there is no AWSPREVIOUS: ask again later
_lock = threading.Lock()


def _provider(stage: str) -> Any:
    """One powertools provider per version stage: its cache is keyed by name, not by stage."""
    with _lock:
        if stage not in _providers:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider

            _providers[stage] = SecretsProvider()
        return _providers[stage]


def _previous(arn: str) -> bytes | None:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    if _no_previous_until.get(arn, 0.0) > time.monotonic():
        return None
    try:
        return str(_provider(PREVIOUS).get(arn, max_age=CACHE_SECONDS, VersionStage=PREVIOUS)).encode()
    except GetParameterError:
        _no_previous_until[arn] = time.monotonic() + CACHE_SECONDS
        return None


def signing_keys() -> tuple[bytes, ...]:
    """The key to sign with first, then any other key a cursor may still be signed with."""
    arn = os.environ.get(SECRET_ARN_ENV)
    if not arn:
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and not os.environ.get("CHAIRSIDE_CURSOR_SECRET"):
            raise RuntimeError(f"{SECRET_ARN_ENV} is not set: refusing to sign cursors with the local secret")
        return (settings().cursor_secret,)
    current = str(_provider(CURRENT).get(arn, max_age=CACHE_SECONDS, VersionStage=CURRENT)).encode()
    previous = _previous(arn)
    return (current,) if previous is None or previous == current else (current, previous)


def forget() -> None:
    """Drop cached keys and clients (tests, and after the environment changes)."""
    with _lock:
        _providers.clear()
        _no_previous_until.clear()
