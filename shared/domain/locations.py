"""A location (a clinic of the group): its zone, contact details and the policies it was created with.

The fields are the keys of the stored document. `quiet_hours`, the SMS caps, `pay_in_full_discount_pct`
and, on documents written before settings existed, `in_house_terms` and `financing_providers` are the
location's own policy layer: what it runs on is worked out with the settings layers
(shared/services/settings.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.domain.codec import JsonValue


@dataclass(frozen=True)
class Address(JsonValue):
    line1: str
    city: str
    postal_code: str
    line2: str | None = None
    region: str | None = None
    country: str = "US"


@dataclass(frozen=True)
class LocalHours(JsonValue):
    """Messages go out only between `start` (inclusive) and `end` (exclusive), location time, "HH:MM"."""

    start: str = "08:00"
    end: str = "21:00"


@dataclass(frozen=True)
class Location(JsonValue):
    id: str
    name: str
    timezone: str  # IANA
    phone: str
    created_at: datetime
    updated_at: datetime
    email: str | None = None
    address: Address | None = None
    languages: tuple[str, ...] = ("en",)
    quiet_hours: LocalHours | None = None
    sms_daily_cap: int | None = None
    sms_weekly_cap: int | None = None
    fee_schedule: dict[str, int] = field(default_factory=dict)  # CDT code -> fee in cents
    pay_in_full_discount_pct: int | None = None
    in_house_terms: tuple[Any, ...] | None = None  # legacy policy documents, read as they were accepted
    financing_providers: tuple[Any, ...] | None = None
    version: int = 0

    def speaks(self, language: str | None) -> str:
        """The language a message to someone preferring `language` is written in here (English otherwise)."""
        return language if language and language in (self.languages or ("en",)) else "en"
