"""Commands of signing links and of the patient's signing page."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.commands.common import Language, Strict


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
