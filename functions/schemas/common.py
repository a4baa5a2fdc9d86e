"""Shared pieces of the request models. Every model forbids unknown fields (no mass assignment)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.domain import contact


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


def _birth_date(value: date) -> date:
    return contact.check_birth_date(value, datetime.now(UTC).date())


def _local_time(value: str) -> str:
    contact.check_local_time(value)
    return value


TimeZone = Annotated[str, AfterValidator(contact.check_timezone), Field(examples=["America/New_York"])]
Phone = Annotated[str, AfterValidator(contact.check_phone), Field(examples=["+15551234567"])]
Email = Annotated[str, Field(max_length=254), AfterValidator(contact.check_email)]
BirthDate = Annotated[date, AfterValidator(_birth_date)]
LocalTime = Annotated[str, AfterValidator(_local_time), Field(examples=["08:00"])]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Cents = Annotated[int, Field(ge=0, le=100_000_000, strict=True)]
Percent = Annotated[int, Field(ge=0, le=100, strict=True)]
Limit = Annotated[int, Field(ge=1, le=100)]
Language = Annotated[str, Field(pattern="^(en|es)$")]


class PageQuery(Strict):
    limit: Limit = 50
    cursor: str | None = None
