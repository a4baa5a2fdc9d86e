"""Request model for a patient's insurance coverage (DESIGN.md §3's coverage shape)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from functions.schemas.common import Cents, Line, Percent, Strict
from shared.domain.catalog import CATEGORIES

CoverageCategory = StrEnum("CoverageCategory", {name: name for name in CATEGORIES})  # type: ignore[misc]
CdtCode = Annotated[str, Field(pattern=r"^D[0-9]{4}$")]


class CoverageIn(Strict):
    carrier: Line(100, min_length=1)
    member_id: Line(50, min_length=1)
    renewal_month: Annotated[int, Field(ge=1, le=12, strict=True)] = 1
    annual_max_cents: Cents
    used_cents: Cents = 0
    pending_cents: Cents = 0
    deductible_cents: Cents = 0
    deductible_met_cents: Cents = 0
    coverage_pct: dict[CoverageCategory, Percent]
    ortho_lifetime_max_cents: Cents = 0
    ortho_used_cents: Cents = 0
    allowed_fees: dict[CdtCode, Cents] = {}
    copays: dict[CdtCode, Cents] = {}
    excluded_codes: Annotated[list[CdtCode], Field(max_length=500)] = []
