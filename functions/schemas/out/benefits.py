"""Response models of the benefits engine: coverages (their fields are the domain's, from the same table
that checks a request), procedure history, and phasing proposals."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from functions.schemas.out import Out, Versioned
from shared.domain.benefits.coverage import json_schema


class CoverageUsageOut(Out):
    """This benefit year's usage, derived from the usage ledger (carried-in figures plus claims)."""

    benefit_year_start: str
    used_cents: int
    pending_cents: int
    deductible_met_cents: int
    remaining_annual_max_cents: int
    ortho_used_cents: int
    ortho_deductible_met_cents: int


class CoverageOut(Versioned):
    """A stored coverage: every field of the coverage body (see CoverageIn) plus these."""

    rank: int = Field(description="1 primary, 2 secondary")
    patient_id: str
    updated_at: str | None = None
    usage: CoverageUsageOut | None = None

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        domain = json_schema()
        target["properties"] = {**domain["properties"], **target["properties"]}
        target["required"] = sorted(set(target.get("required", [])) | set(domain["required"]))
        return schema


class CoverageList(Out):
    items: list[CoverageOut]


class CoverageDeleted(Out):
    patient_id: str
    rank: int
    deleted: bool


class HistoryItemOut(Out):
    id: str
    code: str
    tooth: str | None = None
    surfaces: str | None = None
    date: str
    source: str = Field(description="imported | completed")
    plan_id: str | None = None
    step_id: str | None = None


class HistoryCreated(Out):
    items: list[HistoryItemOut]


class PhasingSummary(Out):
    insurance_cents: int
    patient_cents: int


class PhasingPhase(Out):
    name: str
    deferred: bool
    benefit_year_start: str
    earliest_date: str
    step_ids: list[str]
    insurance_cents: int
    patient_cents: int


class PhasedSummary(PhasingSummary):
    phases: list[PhasingPhase]


class PhasingOut(Out):
    plan_id: str
    version: int
    all_now: PhasingSummary
    phased: PhasedSummary
    saving_cents: int
    renewal_date: str | None = None
