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
    urgent: bool = Field(False, description="Never deferred by phasing")
    procedures: list[ProcedureOut]


class PhaseOut(Out):
    name: str
    not_before: str | None = Field(None, description="Set by applying a phasing: the phase waits for this "
                                                     "date (the next benefit year)")
    steps: list[StepOut]


class PlanTotals(Out):
    fee_cents: int
    writeoff_cents: int
    insurance_cents: int
    patient_cents: int


class CoverageShareOut(Out):
    rank: int
    carrier: str | None = None
    allowed_cents: int
    writeoff_cents: int
    deductible_cents: int
    normal_benefit_cents: int | None = Field(None, description="What it would pay alone (before COB)")
    insurance_cents: int
    limits: list[str]
    reasons: list[str]


class EstimateLine(Out):
    line_id: str | None = None
    code: str
    tooth: str | None = None
    category: str | None = None
    service_date: str | None = Field(None, description="The step's appointment date when scheduled, else today")
    fee_cents: int
    allowed_cents: int | None = None
    writeoff_cents: int
    deductible_cents: int
    insurance_cents: int
    patient_cents: int
    limits: list[str] = Field(description="Which limits applied: excluded, age, waiting_period, frequency, "
                                          "alternate_benefit, copay, deductible, code_max, annual_max, ortho_max, cob")
    reasons: list[str] = Field([], description="Each limit as a sentence a patient understands")
    by_coverage: list[CoverageShareOut] = []


class CoverageTotalsOut(Out):
    rank: int
    carrier: str | None = None
    insurance_cents: int
    deductible_cents: int
    remaining_annual_max_cents: int
    remaining_deductible_cents: int
    remaining_ortho_max_cents: int


class EstimateTotals(PlanTotals):
    deductible_cents: int | None = None
    limits: list[str] = []
    by_coverage: list[CoverageTotalsOut] = []


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
    estimate: FrozenEstimate | None = Field(None, description="The accepted steps re-estimated alone: the "
                                                             "signed figures the ledger charges")


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
