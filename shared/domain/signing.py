"""Signing links: the token a patient's link carries, what it may still do, and the hash of what was shown.

A token is `<link id>.<mac>`: 9 random bytes naming the stored link and an HMAC-SHA256 (truncated to 8
bytes) of that id under the deployment's secret, both base64url: 24 characters, so that the link, the
practice's name and phone and the Spanish STOP line fit one 160-character SMS (signing_message.py).
Unguessable (72 random bits, and a link also expires and works once) and signed (64 bits), so a forged
or altered token is refused before any database read. What the
link may do (its plan version, expiry, use) lives in the stored link, so it can be used up or voided.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

_ID_BYTES = 9
_MAC_BYTES = 8


ID_CHARS = 12  # base64url of _ID_BYTES
TOKEN_CHARS = 24  # the id, a dot, the MAC in base64url (11)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _mac(secret: bytes, link_id: str) -> str:
    return _b64(hmac.new(secret, b"signing-link:" + link_id.encode(), hashlib.sha256).digest()[:_MAC_BYTES])


def new_token(secret: bytes) -> tuple[str, str]:
    """(link id, token) for a new link."""
    link_id = _b64(secrets.token_bytes(_ID_BYTES))
    return link_id, f"{link_id}.{_mac(secret, link_id)}"


def link_id_of(secret: bytes, token: str) -> str | None:
    """The link id a token names, or None when the token is malformed or its MAC is wrong."""
    if not isinstance(token, str) or len(token) > 64 or token.count(".") != 1:
        return None
    link_id, mac = token.split(".")
    if len(link_id) != ID_CHARS or not hmac.compare_digest(mac, _mac(secret, link_id)):
        return None
    return link_id


class LinkState(StrEnum):
    USABLE = "usable"
    EXPIRED = "expired"
    USED = "used"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class LinkFacts:
    version: int  # the plan version (quote) the link shows
    expires_at: datetime
    used_at: datetime | None


def link_state(link: LinkFacts, presented_version: int | None, plan_status: str, now: datetime) -> LinkState:
    """What a link may still do. Signed once per version; any newer version (an edit, a new presentation) or a
    plan no longer awaiting a signature voids it; past its expiry it is dead."""
    if link.used_at is not None:
        return LinkState.USED
    if presented_version != link.version or plan_status != "presented":
        return LinkState.SUPERSEDED
    if now >= link.expires_at:
        return LinkState.EXPIRED
    return LinkState.USABLE


def content_hash(shown: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of what the patient's page showed (the quote in plain language)."""
    canonical = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 150_000  # a drawn signature is a few KB; DynamoDB items stop at 400 KB


def signature_png(data_url: str) -> bytes | None:
    """The PNG bytes of a `data:image/png;base64,...` URL, or None when it is not a small PNG."""
    prefix = "data:image/png;base64,"
    if not isinstance(data_url, str) or not data_url.startswith(prefix):
        return None
    try:
        raw = base64.b64decode(data_url[len(prefix):], validate=True)
    except ValueError:
        return None
    if not raw.startswith(PNG_MAGIC) or len(raw) > MAX_SIGNATURE_BYTES:
        return None
    return raw
