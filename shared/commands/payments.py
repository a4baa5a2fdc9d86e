"""Request models for payment options, in-house payment plans, financing, claims, payments and refunds."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from shared.commands.common import Cents, DueDate, Line, Note, PageQuery, PastDate, Patch, Strict
from shared.commands.plans import PatientId, PlanId, StepId
from shared.domain.claim_lifecycle import ClaimKind, ClaimStatus

PositiveCents = Annotated[int, Field(ge=1, le=100_000_000, strict=True)]
Reference = Annotated[Line(100, min_length=1), Field(description="The payer's or processor's reference")]
Memo = Note(1000)


class PaymentMethod(StrEnum):
    """How the money was taken, elsewhere: we record payments, we never process cards."""

    CARD_TERMINAL = "card_terminal"
    CASH = "cash"
    CHECK = "check"
    ACH = "ach"


class PaymentCreate(Strict):
    plan_id: PlanId
    amount_cents: PositiveCents
    method: PaymentMethod
    reference: Reference | None = Field(None, description="Terminal transaction id, check number or ACH trace; "
                                                          "required for every method but cash")
    pay_in_full: bool = Field(False, description="Take the location's pay-in-full discount: the amount must be "
                                                 "the discounted balance of the patient portion")
    note: Memo = ""

    @model_validator(mode="after")
    def _reference_unless_cash(self) -> PaymentCreate:
        if self.method is not PaymentMethod.CASH and self.reference is None:
            raise ValueError(f"reference is required for {self.method.value} payments")
        return self


class PaymentList(PageQuery):
    plan_id: PlanId | None = None
    patient_id: PatientId | None = None


class RefundCreate(Strict):
    amount_cents: PositiveCents
    reason: Note(500, min_length=1)
    reference: Reference | None = None


class Frequency(StrEnum):
    MONTHLY = "monthly"
    BIWEEKLY = "biweekly"


class PaymentPlanIn(Strict):
    down_payment_cents: Cents = 0
    count: Annotated[int, Field(ge=1, le=72, strict=True, description="Number of installments")]
    frequency: Frequency = Frequency.MONTHLY
    apr_bps: Annotated[int, Field(ge=0, le=3600, strict=True, description="APR in basis points: 1299 = 12.99%")] = 0
    first_due: DueDate | None = Field(None, description="Local date of the first installment; default one period "
                                                     "from today at the location")
    signer_name: Line(200, min_length=1) | None = Field(
        None, description="The patient signs these terms now; omit to leave them unsigned")


class FinancingCreate(Strict):
    provider: Annotated[Line(100, min_length=1), Field(description="A provider the location offers")]
    amount_cents: PositiveCents
    months: Annotated[int, Field(ge=1, le=120, strict=True)] | None = Field(
        None, description="Which of the provider's offers, by its term (default: its only offer)")
    reference: Reference | None = None
    note: Memo = ""


class FinancingStatus(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    FUNDED = "funded"
    CANCELLED = "cancelled"


class FinancingPatch(Patch):
    status: FinancingStatus | None = None
    approved_cents: PositiveCents | None = Field(None, description="What the provider approved; default the "
                                                                  "amount applied for")
    reference: Reference | None = None
    note: Memo | None = None


class ClaimCreate(Strict):
    kind: ClaimKind = ClaimKind.CLAIM
    step_ids: Annotated[list[StepId], Field(min_length=1, max_length=200)] | None = Field(
        None, description="Steps claimed; default the accepted steps (all steps before acceptance)")
    rank: Annotated[int, Field(ge=1, le=2, strict=True)] = Field(
        1, description="The coverage claimed: 1 primary, 2 secondary")
    expected_cents: Cents | None = Field(None, description="Default: that coverage's share of the signed estimate")
    service_date: PastDate | None = Field(None, description="Local date of service (1900 to today); default today "
                                                              "at the location")
    reference: Reference | None = Field(None, description="The carrier's claim number")
    note: Memo = ""


class ClaimPatch(Patch):
    status: ClaimStatus | None = None
    paid_cents: Cents | None = Field(None, description="What the insurer paid (with status paid)")
    expected_cents: Cents | None = None
    reference: Reference | None = None
    note: Memo | None = None
