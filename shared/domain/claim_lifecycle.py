"""How insurance claims and predeterminations move.

- A claim: submitted -> paid | denied | closed; denied -> submitted (an appeal) | closed.
- A predetermination (the insurer's estimate, never money): submitted -> approved | denied | closed;
  approved | denied -> closed.
While a claim is open (submitted, or an approved predetermination) its expected amount may change.
`InsuranceClaim` is the stored record of either kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from shared.domain.codec import JsonValue
from shared.domain.lifecycle import Lifecycle, StatusChange


class ClaimKind(StrEnum):
    CLAIM = "claim"
    PREDETERMINATION = "predetermination"


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PAID = "paid"
    DENIED = "denied"
    CLOSED = "closed"


class ClaimOperation(StrEnum):
    APPEAL = "appeal"
    APPROVE = "approve"
    PAY = "pay"
    DENY = "deny"
    CLOSE = "close"


C = ClaimStatus
OPEN_STATUSES = frozenset({C.SUBMITTED, C.APPROVED})  # the expected amount may still change

LIFECYCLES = {
    ClaimKind.CLAIM: Lifecycle[ClaimStatus, ClaimOperation](
        rule="claim lifecycle",
        subject="a claim",
        table={
            ClaimOperation.APPEAL: {C.DENIED: frozenset({C.SUBMITTED})},
            ClaimOperation.PAY: {C.SUBMITTED: frozenset({C.PAID})},
            ClaimOperation.DENY: {C.SUBMITTED: frozenset({C.DENIED})},
            ClaimOperation.CLOSE: {C.SUBMITTED: frozenset({C.CLOSED}), C.DENIED: frozenset({C.CLOSED})},
        },
    ),
    ClaimKind.PREDETERMINATION: Lifecycle[ClaimStatus, ClaimOperation](
        rule="predetermination lifecycle",
        subject="a predetermination",
        table={
            ClaimOperation.APPROVE: {C.SUBMITTED: frozenset({C.APPROVED})},
            ClaimOperation.DENY: {C.SUBMITTED: frozenset({C.DENIED})},
            ClaimOperation.CLOSE: {status: frozenset({C.CLOSED}) for status in (C.SUBMITTED, C.APPROVED, C.DENIED)},
        },
    ),
}


def next_status(kind: str, status: str, wanted: str | None) -> ClaimStatus:
    """The status after a PATCH asking for `wanted` (None: unchanged); IllegalTransition (422) when the
    kind's lifecycle does not lead there."""
    return ClaimStatus(LIFECYCLES[ClaimKind(kind)].next_status(status, wanted))


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


@dataclass(frozen=True)
class InsuranceClaim(JsonValue):
    """A claim or predetermination filed with one of the patient's coverages (`clm_`). `pending_held_cents`
    is what the claim holds as pending against the coverage (its expected amount while submitted);
    `payment_id` is the insurer's payment, recorded when the claim is paid."""

    id: str
    kind: ClaimKind
    plan_id: str
    patient_id: str
    location_id: str
    step_ids: tuple[str, ...]
    expected_cents: int
    paid_cents: int
    status: ClaimStatus
    service_date: date
    created_at: datetime
    updated_at: datetime
    rank: int = 1
    reference: str | None = None
    note: str = ""
    pending_held_cents: int = 0
    payment_id: str | None = None
    history: tuple[StatusChange, ...] = ()
    version: int = 0
