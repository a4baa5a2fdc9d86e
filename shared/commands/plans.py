"""Request models for treatment plans and the procedure catalog."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool

from shared.commands.common import Cents, Line, Note, PageQuery, Patch, Strict
from shared.domain.plans import PATIENT_DECLINE_REASONS, PlanStatus

PlanId = Annotated[str, Field(pattern=r"^pln_[0-9a-z]{26}$")]
PatientId = Annotated[str, Field(pattern=r"^pat_[0-9a-z]{26}$")]
LocationId = Annotated[str, Field(pattern=r"^loc_[0-9a-z]{26}$")]
StepId = Annotated[str, Field(pattern=r"^stp_[0-9a-z]{26}$")]
DeclineReasonIn = StrEnum("DeclineReasonIn", {r.value: r.value for r in PATIENT_DECLINE_REASONS})  # type: ignore[misc]
PlanStatusIn = StrEnum("PlanStatusIn", {s.value: s.value for s in PlanStatus})  # type: ignore[misc]


class ProcedureIn(Strict):
    code: Annotated[str, Field(pattern=r"^[Dd][0-9]{4}$", examples=["D2740"])]
    tooth: Annotated[str, Field(max_length=2)] | Annotated[int, Field(ge=1, le=32)] | None = None
    surfaces: Annotated[str, Field(max_length=7)] | None = None
    fee_cents: Cents | None = Field(None, description="Overrides the location's fee schedule")


class StepIn(Strict):
    id: StepId | None = Field(None, description="Keep an existing step (in PATCH); omit for a new step")
    procedures: Annotated[list[ProcedureIn], Field(min_length=1, max_length=50)]
    urgent: StrictBool = Field(False, description="Never deferred by phasing (GET /plans/{id}/phasing)")


class PhaseIn(Strict):
    name: Line(200, min_length=1)
    steps: Annotated[list[StepIn], Field(min_length=1, max_length=50)]
    not_before: date | None = Field(None, description="The phase waits for this date (set by applying a phasing)")


Phases = Annotated[list[PhaseIn], Field(min_length=1, max_length=20)]


class PlanCreate(Strict):
    patient_id: PatientId
    location_id: LocationId | None = Field(None, description="Defaults to the patient's location")
    phases: Phases
    alternative_to: PlanId | None = Field(None, description="Another option for the same diagnosis")
    option_label: Line(200) | None = None
    notes: Note(4000) = ""


class PlanPatch(Patch):
    phases: Phases | None = None
    option_label: Line(200) | None = None
    notes: Note(4000) | None = None


class PlanList(PageQuery):
    patient_id: PatientId | None = None
    location_id: LocationId | None = None
    status: PlanStatusIn | None = None


class PresentIn(Strict):
    validity_days: Annotated[int, Field(ge=1, le=365, strict=True)] = 90


class AcceptIn(Strict):
    signer_name: Line(200, min_length=1)
    version: Annotated[int, Field(ge=1, strict=True, description="The plan version the patient saw and signed")]
    step_ids: Annotated[list[StepId], Field(min_length=1)] | None = Field(None, description="Omit to accept all")


class DeclineIn(Strict):
    reason: DeclineReasonIn
    note: Note(1000) = ""


class ProcedureQuery(Strict):
    q: Line(100) = ""
    location_id: LocationId | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20


class EstimateQuery(Strict):
    fresh: bool = Field(False, description="Estimate now (appointment dates, history and usage as they are) even "
                                           "when a quote or a signature covers the plan")
