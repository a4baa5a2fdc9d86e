"""Request model for the KPI report."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, Field

from shared.commands.common import CALENDAR_WINDOW, Strict

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date_text(value: object) -> object:
    """Only YYYY-MM-DD: pydantic alone would also take a Unix timestamp or a date-time."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


LocalDate = Annotated[date, BeforeValidator(_iso_date_text), CALENDAR_WINDOW,
                      Field(examples=["2025-03-01"])]


class KpiQuery(Strict):
    location_id: Annotated[str, Field(pattern=r"^loc_[0-9a-z]{26}$")] | None = Field(
        None, description="One location; omit for every location you may see and a group total")
    from_: LocalDate = Field(alias="from", description="First local date of the range (each location's own)")
    to: LocalDate = Field(description="Last local date of the range, included; at most 366 days after from")
