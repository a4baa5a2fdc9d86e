"""How an outbox row moves, from the planner's decision to the sender's result.

planned | suppressed are written by planning (and re-planning, which may overwrite them and cancelled
rows, never a row a sender has taken); a message whose moment had passed when it was planned is written
expired. A sender claims a planned row (planned -> sending, under a lease; a
row whose lease ran out may be claimed again), then records sent or failed, or gives it back (planned,
due again later: a retry after a transient error, or quiet hours because the run is late). At send time
the sender may still drop it (suppressed or cancelled). Cancelling (the appointment moved, was cancelled
or is over) touches only rows no sender has taken. A row still sending when its lease ran out may have
reached the provider: an at-most-once channel's row becomes unconfirmed (docs/DECISIONS.md). A waiting
row whose moment passed expires. Sent, failed, unconfirmed and expired are final.
"""

from __future__ import annotations

from enum import StrEnum

from shared.domain.lifecycle import Lifecycle


class MessageStatus(StrEnum):
    PLANNED = "planned"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"  # the provider may or may not have it: never sent again blindly
    EXPIRED = "expired"  # its moment passed while it waited (shared/domain/outbox_expiry.py)


class MessageOperation(StrEnum):
    PLAN = "plan"  # re-plan a stored row: planned or suppressed again
    CLAIM = "claim"
    REQUEUE = "requeue"  # due again later (retry, quiet hours, a row the sender missed)
    RECORD_SENT = "record-sent"
    FAIL = "fail"
    UNCONFIRM = "unconfirm"  # a lapsed lease on an at-most-once channel: the send's outcome is unknown
    DROP = "drop"  # the sender finds, at send time, that it must not go out
    SUPPRESS = "suppress"  # the patient opted out, bounced or complained
    CANCEL = "cancel"
    EXPIRE = "expire"  # superseded by a later reminder, past its kind's grace, or its visit began
    EXPIRE_PLANNED = "expire-planned"  # planned after its moment had passed (a booking made after it)


M = MessageStatus
WAITING = (M.PLANNED, M.SENDING)  # in the send queue
UNCLAIMED = (M.PLANNED, M.SUPPRESSED)  # planned rows no sender has taken
COUNTED_SMS = (M.PLANNED, M.SENDING, M.SENT)  # SMS that count against the caps
REPLANNABLE = (M.PLANNED, M.SUPPRESSED, M.CANCELLED)  # rows a re-plan may overwrite

OUTBOX = Lifecycle[MessageStatus, MessageOperation](
    rule="outbox lifecycle",
    subject="a message",
    table={
        MessageOperation.PLAN: {status: frozenset({M.PLANNED, M.SUPPRESSED}) for status in REPLANNABLE},
        # a row an older planner left suppressed as `past` is re-planned as what it is: expired
        MessageOperation.EXPIRE_PLANNED: {M.SUPPRESSED: frozenset({M.EXPIRED})},
        MessageOperation.CLAIM: {status: frozenset({M.SENDING}) for status in WAITING},
        MessageOperation.REQUEUE: {status: frozenset({M.PLANNED}) for status in WAITING},
        MessageOperation.RECORD_SENT: {M.SENDING: frozenset({M.SENT})},
        MessageOperation.FAIL: {status: frozenset({M.FAILED}) for status in WAITING},
        MessageOperation.UNCONFIRM: {M.SENDING: frozenset({M.UNCONFIRMED})},
        MessageOperation.DROP: {status: frozenset({M.SUPPRESSED, M.CANCELLED}) for status in WAITING},
        MessageOperation.SUPPRESS: {M.PLANNED: frozenset({M.SUPPRESSED})},
        MessageOperation.CANCEL: {status: frozenset({M.CANCELLED}) for status in UNCLAIMED},
        MessageOperation.EXPIRE: {status: frozenset({M.EXPIRED}) for status in WAITING},
    },
)


def require_move(status: str, to: str) -> None:
    """IllegalTransition (422) unless some operation takes a row that is `status` to `to`."""
    OUTBOX.check_move(status, to)


def is_replannable(status: str) -> bool:
    return status in REPLANNABLE


def is_cancellable(status: str) -> bool:
    return OUTBOX.allows(status, MessageOperation.CANCEL)


def is_suppressible(status: str) -> bool:
    return OUTBOX.allows(status, MessageOperation.SUPPRESS)
