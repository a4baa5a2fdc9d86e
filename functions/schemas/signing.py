"""Request and response models of signing links and the patient's signing page."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from functions.schemas.common import Language, Strict
from functions.schemas.out import Out


class SigningLinkIn(Strict):
    channel: Literal["email", "sms"] = Field(description="Sent through the outbox; needs the patient's consent to "
                                                        "this channel for their treatment. SMS is refused (422): "
                                                        "one segment cannot hold the link")


class SignIn(Strict):
    signer_name: Annotated[str, Field(min_length=1, max_length=200)]
    signature_png: Annotated[str, Field(max_length=210_000, description="data:image/png;base64,... (drawn)")]
    consent: Literal[True] = Field(description="The patient ticked the consent shown")
    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="content_hash of the page signed")]
    version: Annotated[int, Field(ge=1, strict=True)]
    language: Language = "en"
    consent_text: Annotated[str, Field(max_length=2000)] | None = None


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
