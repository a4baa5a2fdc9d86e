"""How a third-party financing application moves: applied -> approved | declined | cancelled | funded;
approved -> funded. Declined, cancelled and funded are final.

The first of approved or funded is when the practice charges the financing (the provider then owes the
practice, not the patient): `posts_payment` says whether a move records the provider's payment.
"""

from __future__ import annotations

from enum import StrEnum

from shared.domain.lifecycle import Lifecycle


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


def next_status(status: str, wanted: str | None) -> str:
    """The status after a PATCH asking for `wanted` (None: unchanged), as stored text; IllegalTransition
    (422) when the lifecycle does not lead there."""
    return FinancingStatus(FINANCING.next_status(status, wanted)).value


def posts_payment(before: str, after: str) -> bool:
    """Whether the move charges the financing: the first of approved or funded, straight from applied."""
    return before == F.APPLIED and after in (F.APPROVED, F.FUNDED)
