"""Response models of signing links and the patient's signing page."""

from __future__ import annotations

from typing import Any

from functions.schemas.out import Out


class SigningLinkOut(Out):
    url: str
    channel: str
    expires_at: str
    plan_id: str
    version: int
    message_id: str


class SignPageOut(Out):
    plan_id: str
    version: int
    quote_number: int
    language: str
    expires_at: str
    timezone: str
    practice: dict[str, Any]
    phases: list[dict[str, Any]]
    totals: dict[str, int]
    options: dict[str, Any]
    consent_text: dict[str, str]
    content_hash: str
    signed: dict[str, Any] | None


class SignedOut(Out):
    plan_id: str
    version: int
    signed_at: str
    signer_name: str
    content_hash: str
