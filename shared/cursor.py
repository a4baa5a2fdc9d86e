"""Opaque, tamper-proof list cursors, bound to the caller and the query they continue.

A cursor is base64url(JSON payload) + "." + base64url(HMAC-SHA256). The payload carries the
DynamoDB LastEvaluatedKey and a digest of (org, sub, query); a cursor replayed by someone else or
for another query, or edited, is refused as a 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

from shared.errors import InvalidInput
from shared.store.start_keys import is_group_start_key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _binding(org: str, sub: str, query: Mapping[str, Any]) -> str:
    canonical = json.dumps([org, sub, dict(sorted(query.items()))], separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def encode_cursor(secret: bytes, org: str, sub: str, query: Mapping[str, Any], last_key: dict | None) -> str | None:
    if not last_key:
        return None
    payload = json.dumps({"k": last_key, "b": _binding(org, sub, query)}, separators=(",", ":")).encode()
    signature = hmac.new(secret, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def decode_cursor(secret: bytes | Sequence[bytes], org: str, sub: str, query: Mapping[str, Any],
                  cursor: str | None) -> dict | None:
    """`secret`: the key, or every key a valid cursor may be signed with (a rotated secret's previous one)."""
    if not cursor:
        return None
    invalid = InvalidInput("cursor is invalid for this query", [{"field": "cursor", "message": "invalid cursor"}])
    try:
        payload_part, signature_part = cursor.split(".", 1)
        payload = _unb64(payload_part)
        signature = _unb64(signature_part)
    except (ValueError, TypeError) as exc:
        raise invalid from exc
    keys = (secret,) if isinstance(secret, bytes) else tuple(secret)
    if not any(hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), signature) for key in keys):
        raise invalid
    try:
        data = json.loads(payload)
    except ValueError as exc:  # signed, so ours or made with our key: still never trusted blindly
        raise invalid from exc
    if not isinstance(data, dict) or data.get("b") != _binding(org, sub, query):
        raise invalid
    if not is_group_start_key(data.get("k"), org):
        raise invalid
    return data["k"]
