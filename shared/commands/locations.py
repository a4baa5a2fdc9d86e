"""Request models for locations."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from shared.commands.common import (
    Cents,
    Email,
    Language,
    Line,
    LocalTime,
    Name,
    PageQuery,
    Patch,
    Phone,
    Strict,
    TimeZone,
)


class Address(Strict):
    line1: Line(200, min_length=1)
    line2: Line(200) | None = None
    city: Line(100, min_length=1)
    region: Line(100) | None = None
    postal_code: Line(20, min_length=1)
    country: Annotated[str, Field(pattern="^[A-Z]{2}$")] = "US"


class QuietHours(Strict):
    """Messages go out only between `start` (inclusive) and `end` (exclusive), location time."""

    start: LocalTime = "08:00"
    end: LocalTime = "21:00"

    @model_validator(mode="after")
    def _ordered(self) -> QuietHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


FeeSchedule = dict[Annotated[str, Field(pattern=r"^D[0-9]{4}$")], Cents]


class LocationCreate(Strict):
    name: Name
    timezone: TimeZone
    phone: Phone
    email: Email | None = None
    address: Address | None = None
    languages: Annotated[list[Language], Field(min_length=1)] = ["en"]
    quiet_hours: QuietHours = QuietHours()
    sms_daily_cap: Annotated[int, Field(ge=0, le=5)] = 1
    sms_weekly_cap: Annotated[int, Field(ge=0, le=10)] = 3
    fee_schedule: FeeSchedule = {}
    pay_in_full_discount_pct: Annotated[int, Field(ge=0, le=50)] = 5


class LocationPatch(Patch):
    name: Name | None = None
    timezone: TimeZone | None = None
    phone: Phone | None = None
    email: Email | None = None
    address: Address | None = None
    languages: Annotated[list[Language], Field(min_length=1)] | None = None
    quiet_hours: QuietHours | None = None
    sms_daily_cap: Annotated[int, Field(ge=0, le=5)] | None = None
    sms_weekly_cap: Annotated[int, Field(ge=0, le=10)] | None = None
    fee_schedule: FeeSchedule | None = None
    pay_in_full_discount_pct: Annotated[int, Field(ge=0, le=50)] | None = None


class LocationList(PageQuery):
    pass
