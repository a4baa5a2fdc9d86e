"""The outbox: planned messages as stored rows, planned idempotently, cancelled and suppressed at once.

The domain decides (shared/domain/reminders.py: quiet hours, consent, suppressions, SMS caps, ids);
this module feeds it what is stored (the location's settings, the patient's reachability, the patient's
SMS already planned or sent) and writes its answer. A row is written only when it is new or differs
from what is stored, and never over a row a sender has taken (sending, sent, failed): re-running a
plan, a retried job or two workers at once leave exactly one row per message.

Reminder ids include the appointment's start (the `occurrence`): a rescheduled appointment gets new
rows, and the rows of the old time are cancelled, while rows already sent stay as history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from shared import clock
from shared.clock import iso
from shared.domain import outbox_lifecycle
from shared.domain.appointments import Appointment
from shared.domain.codec import to_json
from shared.domain.contact import PURPOSES
from shared.domain.locations import Location
from shared.domain.messages import Message
from shared.domain.messaging_settings import DEFAULT_REMINDERS, MessagingSettings, ReminderStep
from shared.domain.outbox_expiry import MAX_GRACE, ExpiryReason, expiry_reason
from shared.domain.outbox_lifecycle import MessageStatus
from shared.domain.patients import Patient
from shared.domain.quiet_hours import allowed_send_time
from shared.domain.reminders import (
    Channel,
    ContactPrefs,
    ExistingSms,
    LocationSettings,
    MessageRequest,
    MessagingContext,
    PlannedMessage,
    Purpose,
    ReminderKind,
    SuppressionReason,
    message_id,
    plan_messages,
)
from shared.services.settings import without_reads
from shared.store import outbox as outbox_store
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, conflict

CAP_WINDOW = timedelta(days=7)
FAR_FUTURE = timedelta(days=3660)
MISSED_LOOKBACK_DAYS = 3
# Fields that make two plans of one row the same: nothing to write when none of them changed.
PLAN_FIELDS = ("status", "reason", "send_at", "kind", "channel", "purpose", "appointment_start", "patient_id")


def location_settings(location: Location, messaging: MessagingSettings | None = None) -> LocationSettings:
    """What the planning rules need of a location: its zone and contact, and from its effective settings
    (`shared.services.settings.effective_for`; by default those its own document carries) the quiet
    hours and the SMS caps."""
    messaging = messaging or without_reads(location)
    return LocationSettings(
        id=location.id, tz_name=location.timezone, name=location.name, phone=location.phone,
        quiet_hours=messaging.quiet_hours, sms_daily_cap=messaging.sms_daily_cap,
        sms_weekly_cap=messaging.sms_weekly_cap,
    )


def contact_prefs(patient: Patient) -> ContactPrefs:
    consents = frozenset((Channel(channel), Purpose(purpose)) for channel in ("email", "sms") for purpose in PURPOSES
                         if patient.consent.of(channel).allows(purpose))
    return ContactPrefs(has_email=bool(patient.email), has_phone=bool(patient.phone),
                        consents=consents, sms_opted_out=patient.sms_is_opted_out,
                        email_suppressed=patient.email_is_suppressed, language=patient.language)


def counted_sms(rows: Iterable[Message], ignore_ids: frozenset[str] = frozenset()) -> dict[str, ExistingSms]:
    """The patient's SMS that count against the caps, by id."""
    return {row.id: ExistingSms(row.id, row.send_at) for row in rows
            if row.channel is Channel.SMS and row.status in outbox_lifecycle.COUNTED_SMS and not row.reply
            and row.id not in ignore_ids}


def patient_context(org: str, location: Location, patient: Patient, now: datetime,
                    first: datetime, last: datetime, messaging: MessagingSettings | None = None,
                    ) -> tuple[MessagingContext, dict[str, Message]]:
    """The messaging context for messages sent between `first` and `last`, with the patient's SMS that
    count against the caps, and the patient's stored rows of that window by id (one Query)."""
    rows = outbox_store.for_patient_between(org, patient.id, first - CAP_WINDOW, last + CAP_WINDOW)
    ctx = MessagingContext(location_settings(location, messaging), patient.id, contact_prefs(patient), now,
                           tuple(counted_sms(rows).values()))
    return ctx, {row.id: row for row in rows}


# --- reminders ----------------------------------------------------------------------------------------


def reminder_requests(appointment_id: str, start: datetime, tz_name: str,
                      steps: Sequence[ReminderStep] = DEFAULT_REMINDERS) -> list[MessageRequest]:
    """The reminders of the location's schedule (its settings' `reminders`) for one appointment time."""
    occurrence = iso(start)
    return [MessageRequest(appointment_id, step.kind, channel, Purpose.APPOINTMENT, step.send_time(start, tz_name),
                           occurrence)
            for step in steps for channel in step.channels]


def expiry_of(row: Message, location: Location, now: datetime,
              messaging: MessagingSettings | None = None) -> ExpiryReason | None:
    """Why a waiting row must not go out any more (shared/domain/outbox_expiry.py), None if it may. A
    reminder's siblings are the other reminders of the same appointment time, as planned."""
    start = row.appointment_start
    siblings: list[datetime] = []
    if start is not None and row.is_reminder:
        messaging = messaging or without_reads(location)
        settings = location_settings(location, messaging)
        siblings = [allowed_send_time(request.send_at, settings.tz_name, settings.quiet_hours)
                    for request in reminder_requests(row.appointment_id or "", start, settings.tz_name,
                                                     messaging.reminders)]
    return expiry_reason(row.kind, row.send_at, now, appointment_start=start, sibling_send_ats=siblings)


def reminder_ids(location_id: str, appointment_id: str, start: datetime) -> list[str]:
    """The ids every reminder of one appointment time may have, whatever the schedule was when it was
    planned (cancelling an appointment cancels them all)."""
    occurrence = iso(start)
    return [message_id(location_id, appointment_id, kind, channel, occurrence)
            for kind in ReminderKind for channel in Channel]


@dataclasses.dataclass
class PlanOutcome:
    planned: int = 0  # rows planned to go out
    suppressed: int = 0  # rows recorded as suppressed, with their reason
    expired: int = 0  # rows whose moment had passed when they were planned: expired at once, never sent
    written: int = 0  # rows actually written (new or changed)
    pending: list[tuple[str, Message]] = dataclasses.field(default_factory=list)  # (group, row) to write later

    def add(self, other: PlanOutcome) -> None:
        self.planned += other.planned
        self.suppressed += other.suppressed
        self.expired += other.expired
        self.written += other.written
        self.pending += other.pending

    def flush(self) -> None:
        """Write the pending rows: up to 100 a request (a location job's rows in a few requests)."""
        self.written += outbox_store.put_all_if_replannable(self.pending)
        self.pending = []

    def flush_into(self, uow: UnitOfWork) -> None:
        """Add the pending rows to `uow`, to commit with the rest of it (a booking and its reminders)."""
        for org, row in self.pending:
            outbox_store.add_if_replannable(uow, org, row, conflict("a reminder of this appointment is being sent"))
        self.written += len(self.pending)
        self.pending = []


def plan_patient_reminders(org: str, location: Location, patient: Patient,
                           appointments: Sequence[Appointment], now: datetime,
                           messaging: MessagingSettings | None = None,
                           same_phone: list[ExistingSms] | None = None,
                           uow: UnitOfWork | None = None, defer: bool = False) -> PlanOutcome:
    """Plan and store the reminders of one patient's active appointments at one location, by the
    location's reminder schedule; with `uow`, the rows commit with it (a booking and its reminders, all or
    nothing). Rows of reminders the schedule no longer has, not yet sent, are cancelled (`schedule_changed`).

    `same_phone`: the SMS this run already planned for other patients on the same number (a family):
    they count against the caps too, and this patient's planned SMS are added to it. The caller plans
    the patients of one number nearest appointment first, so the nearer visit wins the day's SMS.

    One Query reads the patient's rows around these appointments: the SMS that count against the caps,
    and this plan's rows as stored (so that unchanged rows are not written again). With `defer`, the rows
    to write are left in the outcome's `pending` for the caller to flush with others."""
    outcome = PlanOutcome()
    if not appointments:
        return outcome
    messaging = messaging or without_reads(location)
    settings = location_settings(location, messaging)
    starts = {appt.id: appt.start for appt in appointments}
    new_ids = {appt_id: [message_id(settings.id, appt_id, request.kind, request.channel, request.occurrence)
                         for request in reminder_requests(appt_id, start, settings.tz_name, messaging.reminders)]
               for appt_id, start in starts.items()}
    rows = outbox_store.for_patient_between(org, patient.id, min(starts.values()) - timedelta(days=10),
                                            max(starts.values()) + CAP_WINDOW)
    stored = {row.id: row for row in rows}
    # Rows of an appointment's earlier time are being cancelled: never count them against the caps.
    stale = frozenset(row.id for row in rows
                      if row.appointment_id in new_ids and row.id not in new_ids[row.appointment_id])
    sms = counted_sms(rows, stale)
    for appt in sorted(appointments, key=lambda appt: appt.start):
        family = [other for other in same_phone or () if other.id not in sms]  # this patient's counted once
        ctx = MessagingContext(settings, patient.id, contact_prefs(patient), now, (*sms.values(), *family))
        requests = reminder_requests(appt.id, appt.start, settings.tz_name, messaging.reminders)
        planned = plan_messages(requests, ctx)
        extras: dict[str, Any] = {"appointment_id": appt.id, "appointment_start": appt.start}
        # An SMS row names the directory key of the number it is planned for (a hash, no number): the sender
        # fetches that number's SMS log with the row's other lookups (it checks the number is still current).
        to_phone = {"sms_to": outbox_store.directory_pk("sms", patient.phone)} if patient.phone else {}
        outcome.add(store_planned(org, settings.tz_name, [
            (message, {**extras, **to_phone} if message.channel == Channel.SMS else extras) for message in planned],
            stored, now, defer=True))
        for message in planned:
            if message.channel == Channel.SMS and message.reason is None:
                sms[message.id] = ExistingSms(message.id, message.send_at)
                if same_phone is not None:
                    same_phone.append(sms[message.id])
    times = {iso(appt.start) for appt in appointments}
    dropped = [row_id for row_id in stale
               if stored[row_id].appointment_start and iso(stored[row_id].appointment_start) in times]
    cancel(org, dropped, "schedule_changed", now, stored)
    if uow is not None:
        outcome.flush_into(uow)
    elif not defer:
        outcome.flush()
    return outcome


# --- writing rows -----------------------------------------------------------------------------------


def row_message(org_tz: str, message: PlannedMessage, now: datetime, extras: Mapping[str, Any],
                old: Message | None) -> Message:
    """The stored row of a planned message (`extras`: the fields it carries for the sender, such as the
    appointment's time), keeping what a stored row of it already counted (attempts, created_at)."""
    return Message(
        id=message.id, patient_id=message.patient_id, location_id=message.location_id, subject_id=message.subject_id,
        kind=message.kind, channel=message.channel, purpose=message.purpose, send_at=message.send_at,
        due_at=message.send_at, status=message.status, reason=None if message.reason is None else str(message.reason),
        attempts=old.attempts if old else 0, created_at=old.created_at if old else now, updated_at=now,
        local_send_date=clock.local_date(message.send_at, org_tz),
        **{name: value for name, value in extras.items() if value is not None})


def _plan_form(row: Message) -> tuple[Any, ...]:
    """What makes two plans of one row the same, as stored (instants at the stored precision)."""
    return tuple(to_json(getattr(row, name)) for name in PLAN_FIELDS)


def store_planned(org: str, tz_name: str, messages: Sequence[tuple[PlannedMessage, Mapping[str, Any]]],
                  stored: Mapping[str, Message], now: datetime, defer: bool = False) -> PlanOutcome:
    """Write each planned or suppressed message unless the stored row already says the same, or a
    sender has it. A message whose moment had already passed when it was planned (booked after it) is
    written `expired` (never sent late, never left waiting). A row already stored is not expired by a
    re-plan: the send time passed while it waited, and the sender (or the location job's sweep of rows it
    missed) decides what happens to it now; only a row an older planner left suppressed as `past` is."""
    outcome = PlanOutcome()
    for message, extras in messages:
        passed = message.reason == SuppressionReason.PAST
        if passed:
            outcome.expired += 1
        elif message.reason is None:
            outcome.planned += 1
        else:
            outcome.suppressed += 1
        old = stored.get(message.id)
        if old is not None:
            if not outbox_lifecycle.is_replannable(old.status):
                continue
            if passed and (old.status, old.reason) != (MessageStatus.SUPPRESSED, str(SuppressionReason.PAST)):
                continue
        row = row_message(tz_name, message, now, extras, old)
        if passed:
            row = dataclasses.replace(row, status=MessageStatus.EXPIRED, reason=str(ExpiryReason.PASSED_BEFORE_PLANNED))
        if old is not None and _plan_form(old) == _plan_form(row):
            continue
        outcome.pending.append((org, dataclasses.replace(row, version=old.version + 1 if old is not None else 1)))
    if not defer:
        outcome.flush()
    return outcome


def set_status(org: str, row: Message, status: MessageStatus, reason: str | None, now: datetime,
               also: Sequence[Record] = (), **fields: Any) -> Message | None:
    """Move a row to `status` (with `reason`, or none), conditional on the version read: the row as
    stored, or None if it changed meanwhile. `also` are items written in the same request (a
    transaction), whatever they held before."""
    outbox_lifecycle.require_move(row.status, status)
    changed = dataclasses.replace(row, status=MessageStatus(status), reason=reason, updated_at=now, **fields)
    return outbox_store.replace_if_unchanged(org, changed, also)


def cancel(org: str, message_ids: Iterable[str], reason: str, now: datetime,
           read: Mapping[str, Message] | None = None) -> int:
    """Cancel the rows still waiting (planned or suppressed); rows taken by a sender are left alone.
    `read`: rows already read by id (no second read for them)."""
    ids = list(message_ids)
    if not ids:
        return 0
    found = {i: read[i] for i in ids if i in read} if read is not None else outbox_store.get_many(org, ids)
    return sum(1 for row in found.values() if outbox_lifecycle.is_cancellable(row.status)
               and set_status(org, row, MessageStatus.CANCELLED, reason, now))


def suppress_patient(org: str, patient_id: str, channel: str, reason: str, now: datetime) -> int:
    """Suppress the patient's planned rows on `channel` (after STOP, a bounce or a complaint)."""
    rows = outbox_store.for_patient_between(org, patient_id, now - timedelta(days=1), now + FAR_FUTURE)
    return sum(1 for row in rows if row.channel == channel and outbox_lifecycle.is_suppressible(row.status)
               and not row.reply and set_status(org, row, MessageStatus.SUPPRESSED, reason, now))


def requeue_missed(org: str, location: Location, now: datetime, older_than: timedelta) -> dict[str, int]:
    """Rows of the location's last local days still waiting more than `older_than` after they were due
    (the sender was down longer than it looks back): expired when their moment has passed (they would
    otherwise wait in an hour bucket no sender reads again), else due again now for the sender."""
    today = clock.local_date(now, location.timezone)
    first = (today - timedelta(days=MAX_GRACE.days + MISSED_LOOKBACK_DAYS)).isoformat()
    cutoff = iso(now - older_than)
    counts = {"requeued": 0, "expired": 0}
    for row in outbox_store.for_location_days(org, location.id, first, today.isoformat()):
        if row.status is not MessageStatus.PLANNED or iso(row.due_at) >= cutoff:
            continue
        expired = expiry_of(row, location, now)
        if expired is not None:
            counts["expired"] += set_status(org, row, MessageStatus.EXPIRED, str(expired), now) is not None
        elif set_status(org, row, MessageStatus.PLANNED, row.reason, now, due_at=now):
            counts["requeued"] += 1
    return counts
