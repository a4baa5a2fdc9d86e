"""When an outbox row's moment has passed: it becomes `expired`, with a reason, and is never sent.

A message is useful only near its moment. A row still waiting (planned) is expired when:

1. `appointment_passed`: it is about an appointment that has started (a reminder after the visit began
   helps nobody);
2. `superseded`: a later reminder of the same appointment (same start) is already due: the 7-day
   reminder must not arrive after, or together with, the 2-day one (never out of order);
3. `late`: it is more than its kind's grace past its send time (a sender outage, a quiet-hours deferral
   to the next morning, or a row planned for a moment that had already passed).

Graces are per kind: short for time-bound reminders and replies, longer for follow-ups whose point
survives a day (a rebooking nudge), never beyond `MAX_GRACE`, so a job that looks back `MAX_GRACE`
finds every row that can still expire.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from shared.clock import require_utc


class ExpiryReason(StrEnum):
    APPOINTMENT_PASSED = "appointment_passed"
    SUPERSEDED = "superseded"
    LATE = "late"
    PASSED_BEFORE_PLANNED = "passed_before_planned"  # booked after its moment (a 7-day reminder 5 days ahead)
    QUIET_UNTIL_APPOINTMENT = "quiet_until_appointment"  # a late run in quiet hours that last until the visit


GRACE_BY_KIND: dict[str, timedelta] = {
    "reminder_7d": timedelta(hours=48),  # a later reminder supersedes it anyway
    "reminder_2d": timedelta(hours=24),  # still useful the evening before, or the next morning
    "reminder_2h": timedelta(minutes=60),
    "appointment_confirmed": timedelta(hours=1),
    "opt_out_confirmation": timedelta(hours=1),
    "opt_in_confirmation": timedelta(hours=1),
    "help_reply": timedelta(hours=1),
    "no_show_rebook": timedelta(days=2),
    "unscheduled_treatment": timedelta(days=3),
    "unaccepted_plan": timedelta(days=3),
    "installment_due": timedelta(days=2),  # sent 3 days ahead: past 2 days late it would arrive after the due date
    "installment_overdue": timedelta(days=3),
    "unused_benefits": timedelta(days=3),
}
DEFAULT_GRACE = timedelta(hours=24)
MAX_GRACE = max((*GRACE_BY_KIND.values(), DEFAULT_GRACE))


def grace(kind: str) -> timedelta:
    return GRACE_BY_KIND.get(kind, DEFAULT_GRACE)


def expiry_reason(
    kind: str,
    send_at: datetime,
    now: datetime,
    *,
    appointment_start: datetime | None = None,
    sibling_send_ats: Iterable[datetime] = (),
) -> ExpiryReason | None:
    """Why a waiting row of `kind`, planned for `send_at`, must not go out at `now` (None: it may).

    `sibling_send_ats` are the send times of the other reminder rows of the same appointment and start.
    """
    send_at, now = require_utc(send_at, "send_at"), require_utc(now, "now")
    if appointment_start is not None and require_utc(appointment_start, "appointment_start") <= now:
        return ExpiryReason.APPOINTMENT_PASSED
    if any(send_at < require_utc(other, "sibling_send_at") <= now for other in sibling_send_ats):
        return ExpiryReason.SUPERSEDED
    if now - send_at > grace(kind):
        return ExpiryReason.LATE
    return None
