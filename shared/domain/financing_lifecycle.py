"""How a third-party financing application moves: applied -> approved | declined | cancelled | funded;
approved -> funded. Declined, cancelled and funded are final.

The first of approved or funded is when the practice charges the financing (the provider then owes the
practice, not the patient): `posts_payment` says whether a move records the provider's payment.
`FinancingApplication` is the stored record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.domain.codec import JsonValue
from shared.domain.lifecycle import Lifecycle, StatusChange
from shared.domain.payment_options import FinancingOffer


class FinancingStatus(StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    FUNDED = "funded"


class FinancingOperation(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    CANCEL = "cancel"
    FUND = "fund"


F = FinancingStatus
FINANCING = Lifecycle[FinancingStatus, FinancingOperation](
    rule="financing lifecycle",
    subject="an application",
    table={
        FinancingOperation.APPROVE: {F.APPLIED: frozenset({F.APPROVED})},
        FinancingOperation.DECLINE: {F.APPLIED: frozenset({F.DECLINED})},
        FinancingOperation.CANCEL: {F.APPLIED: frozenset({F.CANCELLED})},
        FinancingOperation.FUND: {F.APPLIED: frozenset({F.FUNDED}), F.APPROVED: frozenset({F.FUNDED})},
    },
)


def next_status(status: str, wanted: str | None) -> FinancingStatus:
    """The status after a PATCH asking for `wanted` (None: unchanged); IllegalTransition (422) when the
    lifecycle does not lead there."""
    return FinancingStatus(FINANCING.next_status(status, wanted))


def posts_payment(before: str, after: str) -> bool:
    """Whether the move charges the financing: the first of approved or funded, straight from applied."""
    return before == F.APPLIED and after in (F.APPROVED, F.FUNDED)


@dataclass(frozen=True)
class AppliedOffer(FinancingOffer):
    """The provider's offer the application is for, with the label the patient was shown."""

    label: str


@dataclass(frozen=True)
class FinancingApplication(JsonValue):
    """An application to a financing provider the location offers (`fin_`); `payment_id` is the
    provider's payment, recorded on the first of approved or funded."""

    id: str
    plan_id: str
    patient_id: str
    location_id: str
    provider: str
    amount_cents: int
    status: FinancingStatus
    created_at: datetime
    updated_at: datetime
    provider_name: str | None = None
    offer: AppliedOffer | None = None
    approved_cents: int | None = None
    reference: str | None = None
    note: str = ""
    payment_id: str | None = None
    history: tuple[StatusChange, ...] = ()
    version: int = 0
