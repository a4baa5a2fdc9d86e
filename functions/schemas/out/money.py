"""Response models for payment options, in-house payment plans, the ledger, financing, claims, payments and
refunds. Every amount is integer cents."""

from __future__ import annotations

from pydantic import Field

from functions.schemas.out import Out, Stamped, Versioned


class PayInFullOffer(Out):
    discount_pct: int
    discount_cents: int
    amount_cents: int


class InHouseOffer(Out):
    count: int
    frequency: str
    apr_bps: int
    down_payment_cents: int
    financed_cents: int
    installment_cents: int
    last_installment_cents: int
    interest_cents: int
    total_cost_cents: int
    first_due_date: str


class FinancingOffer(Out):
    provider_id: str
    name: str
    months: int
    apr_bps: int
    deferred_interest: bool = Field(description="Deferred-interest offers are labelled as such")
    label: str
    estimated_monthly_cents: int | None = None
    min_amount_cents: int | None = None
    eligible: bool


class Installment(Out):
    number: int
    due_date: str
    amount_cents: int
    principal_cents: int
    interest_cents: int


class Schedule(Out):
    financed_cents: int
    down_payment_cents: int
    count: int
    frequency: str
    apr_bps: int
    periodic_rate: str = Field(description="The exact periodic rate as a decimal string")
    installment_cents: int
    interest_cents: int
    total_cents: int
    installments: list[Installment]


class Terms(Out):
    down_payment_cents: int
    count: int
    frequency: str
    apr_bps: int
    first_due: str


class Signature(Out):
    signer_name: str
    signed_at: str
    terms_version: int
    voided_at: str | None = None


class PaymentPlanOut(Stamped):
    plan_id: str
    patient_id: str
    location_id: str
    quote_number: int | None = None
    step_ids: list[str]
    patient_portion_cents: int
    terms: Terms
    schedule: Schedule
    terms_version: int
    signature: Signature | None = None
    voided_signature: Signature | None = None


class PaymentOptionsOut(Out):
    plan_id: str
    quote_number: int | None = None
    step_ids: list[str]
    patient_portion_cents: int
    insurance_estimate_cents: int
    pay_in_full: PayInFullOffer | None = None
    in_house: list[InHouseOffer]
    financing: list[FinancingOffer]
    payment_plan: PaymentPlanOut | None = None


class LedgerEntryOut(Out):
    id: str
    kind: str
    amount_cents: int
    party: str
    created_at: str
    subtype: str | None = None
    plan_id: str | None = None
    step_id: str | None = None
    payment_id: str | None = None
    refund_id: str | None = None
    claim_id: str | None = None
    memo: str | None = None


class LedgerOut(Out):
    plan_id: str
    patient_id: str
    entries: list[LedgerEntryOut]
    balances: dict[str, int] = Field(description="patient_balance_cents, insurance_balance_cents, charged_cents, ...")


class HistoryEntry(Out):
    status: str
    at: str
    by: str


class FinancingOut(Stamped):
    id: str
    plan_id: str
    patient_id: str
    location_id: str
    provider: str
    provider_name: str | None = None
    offer: dict[str, int | bool | str] | None = None
    amount_cents: int
    approved_cents: int | None = None
    status: str
    reference: str | None = None
    note: str | None = None
    payment_id: str | None = None
    history: list[HistoryEntry] = []


class ClaimOut(Stamped):
    id: str
    kind: str
    plan_id: str
    patient_id: str
    location_id: str
    step_ids: list[str]
    rank: int = 1
    expected_cents: int
    paid_cents: int
    status: str
    service_date: str
    reference: str | None = None
    note: str | None = None
    payment_id: str | None = None
    history: list[HistoryEntry] = []


class PaymentOut(Versioned):
    id: str
    plan_id: str
    patient_id: str
    location_id: str
    amount_cents: int
    method: str
    reference: str | None = None
    status: str
    refunded_cents: int
    created_at: str
    pay_in_full: bool = False
    discount_cents: int = 0
    note: str | None = None


class RefundOut(Out):
    id: str
    payment_id: str
    plan_id: str
    patient_id: str
    location_id: str
    amount_cents: int
    reason: str
    reference: str | None = None
    created_at: str


class PaymentDetail(PaymentOut):
    refunds: list[RefundOut] = []


class RefundCreated(RefundOut):
    payment: PaymentOut | None = None
