"""A payment recorded against a plan (we never process cards) and the refunds given back from it.

A payment's `refunded_cents` is what its refunds add up to; it never exceeds the payment's amount, and
its status follows from the two (completed, partially refunded, refunded). Payments from a financing
provider or an insurer name their financing application or claim.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from shared.domain.codec import JsonValue
from shared.domain.ledger import check_refund, refundable_cents


class PaymentMethod(StrEnum):
    """How the money was taken, elsewhere; the last two are recorded by a financing application or a claim."""

    CARD_TERMINAL = "card_terminal"
    CASH = "cash"
    CHECK = "check"
    ACH = "ach"
    FINANCING = "financing"
    INSURANCE = "insurance"


class PaymentStatus(StrEnum):
    COMPLETED = "completed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class Refund(JsonValue):
    """Money given back from a payment. Refunds never change once written, so they carry no version."""

    id: str
    payment_id: str
    plan_id: str
    patient_id: str
    location_id: str
    amount_cents: int
    reason: str
    created_at: datetime
    created_by: str
    reference: str | None = None


@dataclass(frozen=True)
class Payment(JsonValue):
    id: str
    plan_id: str
    patient_id: str
    location_id: str
    amount_cents: int
    method: PaymentMethod
    status: PaymentStatus
    refunded_cents: int
    created_at: datetime
    created_by: str
    reference: str | None = None
    note: str = ""
    pay_in_full: bool | None = None
    """Set by `POST /payments` only (the patient took the pay-in-full discount, or not)."""
    discount_cents: int | None = None
    financing_id: str | None = None
    claim_id: str | None = None
    updated_at: datetime | None = None
    version: int = 0

    def __post_init__(self) -> None:
        refundable_cents(self.amount_cents, self.refunded_cents)  # InvalidInput unless 0 <= refunded <= amount

    def refunded(self, refund: Refund) -> Payment:
        """This payment with `refund` counted; RuleViolation when it has less than that left to refund."""
        left = check_refund(self.amount_cents, self.refunded_cents, refund.amount_cents)
        status = PaymentStatus.REFUNDED if left == 0 else PaymentStatus.PARTIALLY_REFUNDED
        return replace(self, refunded_cents=self.refunded_cents + refund.amount_cents, status=status,
                       updated_at=refund.created_at)
