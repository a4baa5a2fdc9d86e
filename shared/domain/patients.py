"""A patient's profile: identity, contact details, consent per channel and purpose, and what the
messaging side recorded (an SMS opt-out, a bounced or complaining email address).

The fields are the keys of the stored document. The messaging flags are set by inbound STOP replies and
bounces, never through the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from shared.domain.codec import JsonValue


@dataclass(frozen=True)
class PurposeConsent(JsonValue):
    """Consent for one channel, per purpose. Absent means no consent."""

    appointment: bool = False
    billing: bool = False
    treatment: bool = False

    def allows(self, purpose: str) -> bool:
        return bool(getattr(self, purpose, False))


@dataclass(frozen=True)
class Consent(JsonValue):
    email: PurposeConsent = field(default_factory=PurposeConsent)
    sms: PurposeConsent = field(default_factory=PurposeConsent)

    def of(self, channel: str) -> PurposeConsent:
        return self.email if channel == "email" else self.sms


@dataclass(frozen=True)
class Patient(JsonValue):
    id: str
    location_id: str
    first_name: str
    last_name: str
    date_of_birth: date
    created_at: datetime
    updated_at: datetime
    language: str = "en"
    consent: Consent = field(default_factory=Consent)
    phone: str | None = None
    email: str | None = None
    notes: str | None = None
    sms_opted_out: bool = False
    sms_opted_out_phone: str | None = None  # the number that sent STOP
    sms_opted_out_at: datetime | None = None
    email_suppressed: bool = False
    email_suppressed_address: str | None = None  # the address that bounced or complained
    email_suppressed_reason: str | None = None
    email_suppressed_at: datetime | None = None
    version: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def sms_is_opted_out(self) -> bool:
        """Opted out of SMS at the current number (a STOP from a number the patient no longer has does
        not stop messages to the new one; an opt-out recorded without its number applies to any)."""
        return self.sms_opted_out and self.sms_opted_out_phone in (None, self.phone)

    @property
    def email_is_suppressed(self) -> bool:
        """The current address bounced or complained (a new address is written to again)."""
        if not self.email_suppressed:
            return False
        bounced = self.email_suppressed_address
        return bounced is None or bounced.lower() == (self.email or "").lower()
