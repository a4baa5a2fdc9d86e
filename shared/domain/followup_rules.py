"""Follow-up rules: which worklist tasks and messages an event calls for (DESIGN.md section 2).

All days are local days at the location and all messages are wished for 10:00 local, then go through
the shared planner (`plan_messages`: quiet hours, consent, suppressions, SMS caps). The owner of a
task is the caller's to assign. Ids are deterministic, so planning the same event twice yields the
same rows.

Each follow-up message goes by one channel: the kind's preferred channel, and the other one only
when the preferred one is suppressed (the suppressed row is kept, so the outbox shows why). A missed
appointment prefers SMS (it is time-sensitive); treatment, billing and benefits messages prefer email
(they spare the patient's SMS cap for appointment reminders).

Cancelling planned rows when the situation resolves (steps scheduled, plan accepted, installment
paid) is the caller's job: these rules only say what to plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from shared.clock import local_date, require_utc
from shared.domain.installments import add_months
from shared.domain.quiet_hours import utc_at_local
from shared.domain.reminders import (
    AppointmentRef,
    Channel,
    ExistingSms,
    MessageRequest,
    MessagingContext,
    PlannedMessage,
    Purpose,
    SuppressionReason,
    plan_messages,
    stable_id,
)
from shared.errors import InvalidInput

MESSAGE_TIME = time(10, 0)
LATE_CANCELLATION_NOTICE = timedelta(hours=24)
REPEAT_NO_SHOW_COUNT = 2
REPEAT_NO_SHOW_WINDOW = timedelta(days=60)
BENEFITS_CAMPAIGN_MONTHS = 3  # months before the benefit year resets; with a January renewal: October 1

SMS_FIRST = (Channel.SMS, Channel.EMAIL)
EMAIL_FIRST = (Channel.EMAIL, Channel.SMS)


class FollowUpKind(StrEnum):
    NO_SHOW = "no_show"
    UNSCHEDULED_TREATMENT = "unscheduled_treatment"
    UNACCEPTED_PLAN = "unaccepted_plan"
    INSTALLMENT_OVERDUE = "installment_overdue"


class MissedAppointmentCode(StrEnum):
    """CDT codes recorded for a missed or cancelled appointment."""

    MISSED = "D9986"  # no-show, or cancelled with under 24 hours' notice
    CANCELLED = "D9987"  # cancelled with 24 hours' notice or more


@dataclass(frozen=True)
class PlannedTask:
    id: str
    kind: FollowUpKind
    patient_id: str
    location_id: str
    subject_id: str  # the appointment, plan or installment the task is about
    due_date: date  # local date at the location


@dataclass(frozen=True)
class FollowUpPlan:
    tasks: tuple[PlannedTask, ...] = ()
    messages: tuple[PlannedMessage, ...] = ()


def followup_id(location_id: str, subject_id: str, kind: str, occurrence: str = "") -> str:
    """The deterministic id of a follow-up task ("fup_" + hash of location, subject, kind, occurrence)."""
    return stable_id("fup", location_id, subject_id, str(kind), occurrence)


def classify_cancellation(start_utc: datetime, cancelled_at_utc: datetime) -> MissedAppointmentCode:
    """D9986 when cancelled with under 24 hours (elapsed) before the start, or after it; else D9987."""
    notice = require_utc(start_utc, "start") - require_utc(cancelled_at_utc, "cancelled_at")
    return (
        MissedAppointmentCode.MISSED if notice < LATE_CANCELLATION_NOTICE else MissedAppointmentCode.CANCELLED
    )


def flag_repeat_no_show(
    no_show_instants: Iterable[datetime],
    now: datetime,
    *,
    count: int = REPEAT_NO_SHOW_COUNT,
    window: timedelta = REPEAT_NO_SHOW_WINDOW,
) -> bool:
    """True when at least `count` no-shows fall in the `window` (elapsed time) ending at `now`."""
    now = require_utc(now, "now")
    recent = [
        t for t in (require_utc(i, "no_show_at") for i in no_show_instants) if now - window <= t <= now
    ]
    return len(recent) >= count


def plan_no_show(appointment: AppointmentRef, missed_at: datetime, ctx: MessagingContext) -> FollowUpPlan:
    """A rebook task due the day of the miss and a message the next local morning at 10:00."""
    _check_patient(appointment, ctx)
    missed_day = local_date(missed_at, ctx.location.tz_name)
    task = _task(ctx, FollowUpKind.NO_SHOW, appointment.id, missed_day)
    messages = _plan_sequence(
        ctx, appointment.id, "no_show_rebook", Purpose.APPOINTMENT, SMS_FIRST, [("", missed_day + _days(1))]
    )
    return FollowUpPlan(tasks=(task,), messages=messages)


def plan_cancellation(
    appointment: AppointmentRef, cancelled_at: datetime, ctx: MessagingContext
) -> FollowUpPlan:
    """A late cancellation (D9986) is followed up as a no-show; one with enough notice needs nothing."""
    if classify_cancellation(appointment.start, cancelled_at) == MissedAppointmentCode.CANCELLED:
        return FollowUpPlan()
    return plan_no_show(appointment, cancelled_at, ctx)


def plan_unscheduled_treatment(plan_id: str, accepted_at: datetime, ctx: MessagingContext) -> FollowUpPlan:
    """Accepted steps not yet scheduled: a task 3 days after acceptance, messages at 7 and 30 days."""
    return _task_and_messages(
        ctx, plan_id, accepted_at, FollowUpKind.UNSCHEDULED_TREATMENT, task_days=3, message_days=(7, 30)
    )


def plan_unaccepted_plan(plan_id: str, presented_at: datetime, ctx: MessagingContext) -> FollowUpPlan:
    """A presented plan not accepted: a task 2 days after presentation, messages at 7 and 21 days."""
    return _task_and_messages(
        ctx, plan_id, presented_at, FollowUpKind.UNACCEPTED_PLAN, task_days=2, message_days=(7, 21)
    )


def plan_installment_due(installment_id: str, due_date: date, ctx: MessagingContext) -> FollowUpPlan:
    """A reminder 3 local days before the installment's due date, at 10:00."""
    messages = _plan_sequence(
        ctx, installment_id, "installment_due", Purpose.BILLING, EMAIL_FIRST, [("", due_date - _days(3))]
    )
    return FollowUpPlan(messages=messages)


def plan_installment_overdue(installment_id: str, due_date: date, ctx: MessagingContext) -> FollowUpPlan:
    """An unpaid installment: a task and a message 1 and 7 days after the due date."""
    days = [(f"day{n}", due_date + _days(n)) for n in (1, 7)]
    tasks = tuple(
        _task(ctx, FollowUpKind.INSTALLMENT_OVERDUE, installment_id, day, occurrence)
        for occurrence, day in days
    )
    messages = _plan_sequence(ctx, installment_id, "installment_overdue", Purpose.BILLING, EMAIL_FIRST, days)
    return FollowUpPlan(tasks=tasks, messages=messages)


def plan_unused_benefits(
    ctx: MessagingContext,
    *,
    has_pending_treatment: bool,
    unused_max_cents: int,
    renewal_month: int = 1,
) -> FollowUpPlan:
    """One message per benefit year, from 3 months before it resets (October 1 for calendar years).

    Planned for the next 10:00 local, if that is still inside the benefit year; its id is keyed on the
    patient and the benefit year, so the nightly job may call this every day and still send one.
    """
    if isinstance(renewal_month, bool) or not isinstance(renewal_month, int) or not 1 <= renewal_month <= 12:
        raise InvalidInput(
            "renewal_month must be 1-12", details=[{"field": "renewal_month", "message": "1-12"}]
        )
    if not has_pending_treatment or unused_max_cents <= 0:
        return FollowUpPlan()
    tz_name = ctx.location.tz_name
    today = local_date(ctx.now, tz_name)
    year_start = benefit_year_start(today, renewal_month)
    resets_on = add_months(year_start, 12)
    campaign_opens = add_months(resets_on, -BENEFITS_CAMPAIGN_MONTHS)
    send_day = today if ctx.now <= utc_at_local(today, MESSAGE_TIME, tz_name) else today + _days(1)
    if not campaign_opens <= today or send_day >= resets_on:
        return FollowUpPlan()
    occurrence = f"{year_start:%Y-%m}"
    messages = _plan_sequence(
        ctx, ctx.patient_id, "unused_benefits", Purpose.TREATMENT, EMAIL_FIRST, [(occurrence, send_day)]
    )
    return FollowUpPlan(messages=messages)


def benefit_year_start(day: date, renewal_month: int) -> date:
    """The first day of the benefit year containing `day`."""
    year = day.year if day.month >= renewal_month else day.year - 1
    return date(year, renewal_month, 1)


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _check_patient(appointment: AppointmentRef, ctx: MessagingContext) -> None:
    if appointment.location_id != ctx.location.id or appointment.patient_id != ctx.patient_id:
        raise InvalidInput(
            "the appointment belongs to another location or patient than the messaging context",
            details=[{"field": "appointment", "message": "location or patient mismatch"}],
        )


def _task(
    ctx: MessagingContext, kind: FollowUpKind, subject_id: str, due: date, occurrence: str = ""
) -> PlannedTask:
    return PlannedTask(
        id=followup_id(ctx.location.id, subject_id, kind, occurrence),
        kind=kind,
        patient_id=ctx.patient_id,
        location_id=ctx.location.id,
        subject_id=subject_id,
        due_date=due,
    )


def _task_and_messages(
    ctx: MessagingContext,
    subject_id: str,
    event_at: datetime,
    kind: FollowUpKind,
    *,
    task_days: int,
    message_days: Sequence[int],
) -> FollowUpPlan:
    event_day = local_date(event_at, ctx.location.tz_name)
    task = _task(ctx, kind, subject_id, event_day + _days(task_days))
    days = [(f"day{n}", event_day + _days(n)) for n in message_days]
    messages = _plan_sequence(ctx, subject_id, str(kind), Purpose.TREATMENT, EMAIL_FIRST, days)
    return FollowUpPlan(tasks=(task,), messages=messages)


def _plan_sequence(
    ctx: MessagingContext,
    subject_id: str,
    kind: str,
    purpose: Purpose,
    channels: Sequence[Channel],
    occurrences: Sequence[tuple[str, date]],
) -> tuple[PlannedMessage, ...]:
    """One message per (occurrence, local day) at 10:00, each by the first channel not suppressed.

    SMS planned for an earlier occurrence count against the caps of the later ones.
    """
    rows: list[PlannedMessage] = []
    for occurrence, day in occurrences:
        send_at = utc_at_local(day, MESSAGE_TIME, ctx.location.tz_name)
        for channel in channels:
            request = MessageRequest(subject_id, kind, channel, purpose, send_at, occurrence)
            (row,) = plan_messages([request], ctx)
            rows.append(row)
            if row.reason is None and row.channel == Channel.SMS:
                ctx = dataclasses.replace(
                    ctx, existing_sms=(*ctx.existing_sms, ExistingSms(row.id, row.send_at))
                )
            if row.reason in (None, SuppressionReason.PAST):
                break
    return tuple(rows)
