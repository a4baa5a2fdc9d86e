"""Response models for treatment plans, their estimates and the procedure catalog."""

from __future__ import annotations

from pydantic import Field

from functions.schemas.out import Out, Stamped
from shared.domain.plans import PlanStatus, StepStatus


class ProcedureOut(Out):
    code: str
    tooth: str | None = None
    surfaces: str | None = None
    fee_cents: int
    category: str


class StepOut(Out):
    id: str
    status: StepStatus
    procedures: list[ProcedureOut]


class PhaseOut(Out):
    name: str
    steps: list[StepOut]


class PlanTotals(Out):
    fee_cents: int
    writeoff_cents: int
    insurance_cents: int
    patient_cents: int


class EstimateLine(Out):
    line_id: str | None = None
    code: str
    category: str | None = None
    fee_cents: int
    writeoff_cents: int
    deductible_cents: int
    insurance_cents: int
    patient_cents: int
    limits: list[str] = Field(description="Which limits bit: excluded, deductible, annual_max, ...")


class EstimateTotals(PlanTotals):
    limits: list[str] = []


class FrozenEstimate(Out):
    lines: list[EstimateLine]
    totals: EstimateTotals


class QuoteOut(Out):
    number: int
    plan_version: int
    presented_at: str
    expires_at: str | None = None
    phases: list[PhaseOut]
    estimate: FrozenEstimate | None = None
    totals: PlanTotals | None = None


class AcceptanceOut(Out):
    signer_name: str
    signed_at: str
    version: int
    quote_number: int | None = None
    step_ids: list[str]


class DeclineOut(Out):
    reason: str
    note: str | None = None
    declined_at: str


class PlanOut(Stamped):
    id: str
    patient_id: str
    location_id: str
    coordinator_id: str | None = None
    status: PlanStatus
    phases: list[PhaseOut]
    totals: PlanTotals
    option_group: str | None = None
    option_label: str | None = None
    notes: str | None = None
    presented_at: str | None = None
    expires_at: str | None = None
    presented_version: int | None = None
    quotes: list[QuoteOut] = []
    acceptance: AcceptanceOut | None = None
    decline: DeclineOut | None = None


class EstimateOut(Out):
    plan_id: str
    version: int
    frozen: bool = Field(description="True when a presented quote covers the plan: its figures, not fresh ones")
    quote_number: int | None = None
    lines: list[EstimateLine]
    totals: EstimateTotals


class SurfaceRange(Out):
    min: int
    max: int | None


class CatalogEntryOut(Out):
    code: str
    descriptor: str
    category: str
    default_fee_cents: int | None = None
    fee_cents: int | None = None
    tooth: str | None = None
    surfaces: SurfaceRange | None = None
