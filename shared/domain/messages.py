"""An outbox row: one message the system will send (or decided not to), as stored and as services work
on it. How it moves is `outbox_lifecycle`; what planning decides is `reminders.PlannedMessage`.

Its fields are the keys of the stored document. Two are the item's, not the document's: `version`
(the optimistic-concurrency counter) and `local_send_date` (the location's date of `send_at`, which the
item's location index sorts by; the row does not carry the location's zone, so a rewrite keeps the date
it was planned with).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from shared.clock import require_utc
from shared.domain.codec import JsonValue
from shared.domain.outbox_lifecycle import WAITING, MessageStatus
from shared.domain.reminders import Channel, Purpose

REMINDER_PREFIX = "reminder_"  # the kinds of appointment reminders: reminder_7d, reminder_2d, reminder_2h
ITEM_FIELDS = frozenset({"version", "local_send_date"})  # the item's own attributes, never in its doc


@dataclass(frozen=True)
class Message(JsonValue):
    id: str
    patient_id: str
    location_id: str
    kind: str  # a reminder, a follow-up's message, a reply, a signing link
    channel: Channel
    purpose: Purpose
    send_at: datetime  # when it was planned to go out (quiet hours applied)
    due_at: datetime  # when the sender takes it: send_at, or later after a retry, quiet hours, a requeue
    status: MessageStatus
    created_at: datetime
    updated_at: datetime
    subject_id: str | None = None  # what it is about: an appointment, a plan, an installment, an inbound SMS
    attempts: int = 0
    reason: str | None = None  # why it is suppressed, cancelled, failed, expired or unconfirmed
    appointment_id: str | None = None
    appointment_start: datetime | None = None  # the appointment's time it was planned for
    plan_id: str | None = None
    amount_cents: int | None = None  # an installment message's amount
    due_date: date | None = None  # an installment message's due date
    link: str | None = None  # a signing link's address
    sms_to: str | None = None  # the directory key of the number an SMS was planned for (a hash)
    reply: bool | None = None  # an answer to an inbound SMS (STOP, HELP, C): not counted, never expired
    lease_until: datetime | None = None  # while sending: when another sender may take it
    resent_after_unknown_outcome: bool | None = None
    provider_message_id: str | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    version: int = 0
    local_send_date: date | None = None

    def __post_init__(self) -> None:
        require_utc(self.send_at, "send_at")
        require_utc(self.due_at, "due_at")

    @property
    def waiting(self) -> bool:
        """In the send queue: planned, or sending under a lease."""
        return self.status in WAITING

    @property
    def is_reminder(self) -> bool:
        return self.kind.startswith(REMINDER_PREFIX)
