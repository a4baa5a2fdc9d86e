"""A follow-up task of the coordinators' worklist, as stored: what it is about, who owns it, when it is
due (the location's local date) and, once resolved, how it ended.

The rules that open tasks are in `followup_rules`; the kinds below add the tasks the messaging side
raises on its own (a reply nobody's keywords match, a send that failed for good, a CANCEL text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from shared.domain.codec import JsonValue
from shared.domain.followup_rules import FollowUpKind

FRONT_DESK = "front_desk"  # the location's front desk as a team: the owner of the tasks the system raises
CALLBACK, MESSAGE_FAILED, CANCEL_REQUEST = "callback", "message_failed", "cancel_request"
KINDS = (*(str(kind) for kind in FollowUpKind), CALLBACK, MESSAGE_FAILED, CANCEL_REQUEST)
OUTCOMES = ("rebooked", "scheduled", "contacted", "left_message", "no_answer", "declined", "not_needed", "other")


class FollowUpStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


STATUSES = tuple(str(status) for status in FollowUpStatus)


@dataclass(frozen=True)
class FollowUp(JsonValue):
    id: str
    kind: str  # one of KINDS
    status: FollowUpStatus
    patient_id: str
    location_id: str
    due_date: date
    created_at: datetime
    updated_at: datetime
    subject_id: str | None = None  # the appointment, plan, installment, message or inbound text it is about
    owner: str | None = None
    updated_by: str | None = None
    # links to what it is about
    plan_id: str | None = None
    appointment_id: str | None = None
    message_id: str | None = None
    amount_cents: int | None = None
    # what the rule that opened it knew
    missed_code: str | None = None
    repeat_no_show: bool | None = None
    reply_text: str | None = None
    possible_opt_out: bool | None = None
    error: str | None = None
    # how it ended
    outcome: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    note: str | None = None
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.status is FollowUpStatus.OPEN
