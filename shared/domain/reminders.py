"""Reminder policy and the shared message planner (consent, suppression, quiet hours, SMS caps).

`plan_reminders` turns an appointment into its outbox rows (DESIGN.md section 2): an email 7 days
before, an email and an SMS 2 days before, an SMS 2 hours before. "N days before" is the same local
wall-clock time N local days earlier; "2 hours before" is elapsed time. Every send time is then moved
out of quiet hours. Follow-ups plan their messages through `plan_messages` too, so every outbound
message obeys the same checks, in this order (the first that applies gives the reason):

1. past: the (quiet-hour adjusted) send time is before `now`. Such rows are returned suppressed, not
   dropped, so the outbox shows why a late-booked appointment got fewer reminders;
2. no_address: the patient has no email address / phone number;
3. opted_out (SMS, the patient replied STOP) or bounced (email bounced or complained);
4. no_consent: no consent for that channel and purpose;
5. sms_daily_cap, then sms_weekly_cap: at most `sms_daily_cap` SMS per local day and `sms_weekly_cap`
   in any 7 consecutive local days per patient, across purposes, counting the patient's existing SMS
   (planned or sent) and the ones planned before this one in the same call.

Ids are deterministic (`message_id`), so re-planning yields the same rows and the outbox can insert
them idempotently. An existing SMS with the same id as one being planned is that same message being
re-planned, so it is not counted against itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from shared.clock import local_date, require_utc, zone
from shared.domain.outbox_lifecycle import MessageStatus
from shared.domain.quiet_hours import QuietHours, allowed_send_time, local_days_before
from shared.domain.sms_caps import Caps, cap_reason
from shared.errors import InvalidInput

OPT_OUT_CONFIRMATION = "opt_out_confirmation"  # the one message an opted-out number still gets
ID_HEX_CHARS = 26  # 104 bits; hex is a subset of the project's base32 id alphabet, so ids look alike


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class Purpose(StrEnum):
    APPOINTMENT = "appointment"
    BILLING = "billing"
    TREATMENT = "treatment"


class SuppressionReason(StrEnum):
    NO_CONSENT = "no_consent"
    OPTED_OUT = "opted_out"
    BOUNCED = "bounced"
    NO_ADDRESS = "no_address"
    SMS_DAILY_CAP = "sms_daily_cap"
    SMS_WEEKLY_CAP = "sms_weekly_cap"
    PAST = "past"


class ReminderKind(StrEnum):
    REMINDER_7D = "reminder_7d"
    REMINDER_2D = "reminder_2d"
    REMINDER_2H = "reminder_2h"


def stable_id(prefix: str, *parts: str) -> str:
    """`prefix_` + a sha256 digest of the parts; each part is length-prefixed so joins cannot collide."""
    encoded = "".join(f"{len(part)}:{part}" for part in parts).encode()
    return f"{prefix}_{hashlib.sha256(encoded).hexdigest()[:ID_HEX_CHARS]}"


def message_id(location_id: str, subject_id: str, kind: str, channel: str, occurrence: str = "") -> str:
    """The outbox id of one message; `occurrence` tells apart repeats of a kind (a follow-up's day 7/30)."""
    return stable_id("msg", location_id, subject_id, str(kind), str(channel), occurrence)


@dataclass(frozen=True)
class LocationSettings:
    """What the planner and the templates need to know about a location."""

    id: str
    tz_name: str
    name: str
    phone: str
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    sms_daily_cap: int = 1
    sms_weekly_cap: int = 3

    def __post_init__(self) -> None:
        zone(self.tz_name)
        for cap in ("sms_daily_cap", "sms_weekly_cap"):
            value = getattr(self, cap)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(
                    f"{cap} must be a non-negative integer",
                    details=[{"field": cap, "message": "must be an integer >= 0"}],
                )


@dataclass(frozen=True)
class ContactPrefs:
    """A patient's reachability: addresses, consent per (channel, purpose), and suppressions."""

    has_email: bool
    has_phone: bool
    consents: frozenset[tuple[Channel, Purpose]] = frozenset()
    sms_opted_out: bool = False
    email_suppressed: bool = False  # the address bounced or the patient complained
    language: str = "en"

    def __post_init__(self) -> None:
        try:
            normalized = frozenset((Channel(channel), Purpose(purpose)) for channel, purpose in self.consents)
        except ValueError as exc:
            raise InvalidInput(
                "consents must pair a channel (email, sms) with a purpose (appointment, billing, treatment)",
                details=[{"field": "consents", "message": str(exc)}],
            ) from exc
        object.__setattr__(self, "consents", normalized)

    def consents_to(self, channel: Channel, purpose: Purpose) -> bool:
        return (Channel(channel), Purpose(purpose)) in self.consents


@dataclass(frozen=True)
class ExistingSms:
    """An SMS already in the patient's outbox (planned or sent), as counted by the caps."""

    id: str
    send_at: datetime


@dataclass(frozen=True)
class MessagingContext:
    """Who a batch of messages goes to, from where, and when the planning happens."""

    location: LocationSettings
    patient_id: str
    prefs: ContactPrefs
    now: datetime
    existing_sms: tuple[ExistingSms, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "now", require_utc(self.now, "now"))
        object.__setattr__(self, "existing_sms", tuple(self.existing_sms))


@dataclass(frozen=True)
class AppointmentRef:
    """The facts about an appointment the reminder policy needs."""

    id: str
    patient_id: str
    location_id: str
    start: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", require_utc(self.start, "start"))


@dataclass(frozen=True)
class MessageRequest:
    """One message a rule wants sent, before any check; `send_at` is the wished instant."""

    subject_id: str
    kind: str
    channel: Channel
    purpose: Purpose
    send_at: datetime
    occurrence: str = ""

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "channel", Channel(self.channel))
            object.__setattr__(self, "purpose", Purpose(self.purpose))
        except ValueError as exc:
            raise InvalidInput(
                "unknown message channel or purpose", details=[{"field": "channel", "message": str(exc)}]
            ) from exc
        object.__setattr__(self, "send_at", require_utc(self.send_at, "send_at"))


@dataclass(frozen=True)
class PlannedMessage:
    id: str
    kind: str
    channel: Channel
    purpose: Purpose
    send_at: datetime  # UTC, already out of quiet hours
    status: MessageStatus
    reason: SuppressionReason | None
    patient_id: str
    location_id: str
    subject_id: str  # the appointment, plan, installment or patient the message is about


REMINDER_SCHEDULE: tuple[tuple[ReminderKind, Channel], ...] = (
    (ReminderKind.REMINDER_7D, Channel.EMAIL),
    (ReminderKind.REMINDER_2D, Channel.EMAIL),
    (ReminderKind.REMINDER_2D, Channel.SMS),
    (ReminderKind.REMINDER_2H, Channel.SMS),
)


def reminder_send_time(kind: ReminderKind, start: datetime, tz_name: str) -> datetime:
    """The wished send instant of a reminder, before quiet hours are applied."""
    if kind == ReminderKind.REMINDER_7D:
        return local_days_before(start, 7, tz_name)
    if kind == ReminderKind.REMINDER_2D:
        return local_days_before(start, 2, tz_name)
    return require_utc(start, "start") - timedelta(hours=2)


def plan_reminders(appointment: AppointmentRef, ctx: MessagingContext) -> list[PlannedMessage]:
    """The appointment's reminder rows, planned or suppressed, in send order."""
    if appointment.location_id != ctx.location.id or appointment.patient_id != ctx.patient_id:
        raise InvalidInput(
            "the appointment belongs to another location or patient than the messaging context",
            details=[{"field": "appointment", "message": "location or patient mismatch"}],
        )
    requests = [
        MessageRequest(
            subject_id=appointment.id,
            kind=kind,
            channel=channel,
            purpose=Purpose.APPOINTMENT,
            send_at=reminder_send_time(kind, appointment.start, ctx.location.tz_name),
        )
        for kind, channel in REMINDER_SCHEDULE
    ]
    return plan_messages(requests, ctx)


def plan_message(request: MessageRequest, ctx: MessagingContext) -> PlannedMessage:
    """One message through every check (see the module docstring)."""
    return plan_messages([request], ctx)[0]


def plan_messages(requests: Iterable[MessageRequest], ctx: MessagingContext) -> list[PlannedMessage]:
    """Requests in send order, each checked; planned SMS count against the caps of later ones."""
    location = ctx.location
    built = []
    for request in requests:
        send_at = allowed_send_time(request.send_at, location.tz_name, location.quiet_hours)
        ident = message_id(location.id, request.subject_id, request.kind, request.channel, request.occurrence)
        built.append((send_at, ident, request))
    built.sort(key=lambda item: item[0])
    replanned = {ident for _, ident, _ in built}
    sms_days = [
        local_date(sms.send_at, location.tz_name) for sms in ctx.existing_sms if sms.id not in replanned
    ]
    planned = []
    for send_at, ident, request in built:
        reason = _suppression_reason(request, send_at, ctx, sms_days)
        if reason is None and request.channel == Channel.SMS:
            sms_days.append(local_date(send_at, location.tz_name))
        planned.append(
            PlannedMessage(
                id=ident,
                kind=str(request.kind),
                channel=request.channel,
                purpose=request.purpose,
                send_at=send_at,
                status=MessageStatus.PLANNED if reason is None else MessageStatus.SUPPRESSED,
                reason=reason,
                patient_id=ctx.patient_id,
                location_id=location.id,
                subject_id=request.subject_id,
            )
        )
    return planned


def _suppression_reason(
    request: MessageRequest, send_at: datetime, ctx: MessagingContext, sms_days: Sequence[date]
) -> SuppressionReason | None:
    if send_at < ctx.now:
        return SuppressionReason.PAST
    reason = suppression_reason(request.channel, request.purpose, ctx.prefs)
    if reason is None and request.channel == Channel.SMS:
        return sms_cap_reason(local_date(send_at, ctx.location.tz_name), sms_days, ctx.location)
    return reason


def suppression_reason(
    channel: str, purpose: str, prefs: ContactPrefs, *, reply_kind: str | None = None
) -> SuppressionReason | None:
    """Whether the patient can be reached on `channel` for `purpose`, checked when a message is planned
    and again when it is sent: no_address, then opted_out (SMS) or bounced (email), then no_consent.

    A reply to the patient's own text (`reply_kind`) answers what they just wrote: it needs no consent,
    and only the opt-out confirmation goes to a number that opted out."""
    if Channel(channel) == Channel.SMS:
        if not prefs.has_phone:
            return SuppressionReason.NO_ADDRESS
        if prefs.sms_opted_out and reply_kind != OPT_OUT_CONFIRMATION:
            return SuppressionReason.OPTED_OUT
    else:
        if not prefs.has_email:
            return SuppressionReason.NO_ADDRESS
        if prefs.email_suppressed:
            return SuppressionReason.BOUNCED
    if reply_kind is None and not prefs.consents_to(Channel(channel), Purpose(purpose)):
        return SuppressionReason.NO_CONSENT
    return None


def sms_cap_reason(
    day: date, sms_days: Sequence[date], location: LocationSettings
) -> SuppressionReason | None:
    """Which cap one more SMS on local `day` would break, given the local days of the counted SMS."""
    reason = cap_reason(day, sms_days, Caps(location.sms_daily_cap, location.sms_weekly_cap))
    return None if reason is None else SuppressionReason(reason)
