"""The sender: every minute, send the outbox rows that are due, each exactly once as far as we can tell.

It reads the rows of every group due in the last `RECENT` minutes, or the last `LOOKBACK` hours every
quarter hour (one send queue across groups, sharded by 3-hour buckets: an idle run is at most 2 Queries
whatever the number of groups, usually 1; rows the sender missed for longer are put back by the nightly
job), a page at a time, fetching the page's locations, patients and appointments
with BatchGetItem before sending any of them. At send time the rules are checked again against what is
true now: the patient may have replied STOP, bounced, withdrawn consent, the appointment may have moved,
the SMS caps may have filled (counted on sent SMS, per patient and per phone number), the location may be
in its quiet hours because this run is late. A row that must not go out is dropped with one write; one
that goes is claimed with a conditional write (planned -> sending, with a lease, conditional on the
version read), so two overlapping senders never both send it, and its status after the provider's
answer is one more write (with the contact directory in the same transaction).

What can fail:
- the provider refuses for a reason that will not go away (bad address, rejected): failed at once;
- throttling, a 5xx, the network: botocore retries a few times; if it still fails the row goes back to
  planned, due again after a backoff (1, 4, 16 minutes); after `MAX_ATTEMPTS` it is failed. A failed
  row opens a follow-up task, so a person reaches the patient another way;
- DynamoDB fails after the provider accepted a message: the status write is retried with backoff for
  about a minute (`STATUS_WRITE_DELAYS`) before the run gives up and stops;
- the run dies half way (timeout, crash): rows it recorded as sent stay sent, rows it had not reached
  are still planned. The row it held, still `sending` when its lease ends, may or may not have reached
  the provider. Delivery per channel (docs/DECISIONS.md): SMS is at-most-once, such a row becomes
  `unconfirmed` with a reason and a follow-up task, and is never sent again blindly (a second text counts
  against the patient's caps and annoys more than a missing one); email is at-least-once, such a row is
  sent again, once, and marked so (a duplicate reminder email is harmless, a missing one costs a visit).
"""

from __future__ import annotations

import time as timer
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from itertools import islice

from shared import clock
from shared.adapters.notifier import Notifier, SendError
from shared.clock import iso
from shared.domain import appointment_lifecycle, signing_message
from shared.domain.locations import Location
from shared.domain.messages import Message
from shared.domain.messaging_settings import MessagingSettings
from shared.domain.outbox_expiry import ExpiryReason
from shared.domain.outbox_lifecycle import MessageStatus
from shared.domain.patients import Patient
from shared.domain.quiet_hours import utc_at_local
from shared.domain.reminders import Channel, SuppressionReason, sms_cap_reason, suppression_reason
from shared.domain.templates import RenderContext, render
from shared.errors import ChairsideError
from shared.logs import logger
from shared.services import followups, outbox
from shared.services.send_lookups import Lookups
from shared.store import outbox as outbox_store
from shared.store.table import Record

LOOKBACK = outbox_store.BUCKET  # 3 hours: rows missed for longer are put back by the nightly job
RECENT = timedelta(minutes=15)  # what the other runs look back: one Query, two in a bucket's first minutes
SWEEP_EVERY_MINUTES = 15  # a run at a quarter hour looks back the whole LOOKBACK (late rows after an outage)
PAGE = 100  # rows whose lookups are fetched together (BatchGetItem takes 100 keys)
AT_MOST_ONCE = frozenset({Channel.SMS})  # channels whose rows are never sent twice, at the cost of maybe never
STATUS_WRITE_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # seconds between tries: about a minute in all
UNKNOWN_OUTCOME = ("provider_outcome_unknown: the sender stopped after claiming this message, so the provider "
                   "may or may not have sent it; check with the patient before sending it again")
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 4
BACKOFF_BASE_MINUTES = 4  # attempt n waits 4^(n-1) minutes: 1, 4, 16
RUN_BUDGET_SECONDS = 240.0  # the scheduled function has 300 s: stop taking rows well before

S = MessageStatus
SIGNING_LINK = "signing_link"  # a row made by shared/services/signing.py, carrying its link


@dataclass
class SendSummary:
    due: int = 0
    sent: int = 0
    suppressed: int = 0
    cancelled: int = 0
    expired: int = 0  # its moment passed (superseded by a later reminder, past its grace, visit begun)
    deferred: int = 0  # quiet hours at the location right now: due again when they end
    retrying: int = 0
    failed: int = 0
    unconfirmed: int = 0  # a previous run may have sent it: not sent again (at-most-once channels)
    skipped: int = 0  # taken by another sender, or changed since the query read it

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


Due = tuple[str, Message]  # a row of the send queue and its group


def _pages(rows: Iterator[Due], size: int) -> Iterator[list[Due]]:
    while page := list(islice(rows, size)):
        yield page


def run(now: datetime, notifier: Notifier, orgs: Iterable[str] | None = None,
        budget_seconds: float = RUN_BUDGET_SECONDS) -> SendSummary:
    """Send every due row of the given groups (default: every group)."""
    started = timer.monotonic()
    summary, lookups = SendSummary(), Lookups()
    wanted = None if orgs is None else frozenset(orgs)
    lookback = LOOKBACK if now.minute % SWEEP_EVERY_MINUTES == 0 else RECENT
    for page in _pages(outbox_store.due_rows(now, lookback), PAGE):
        rows = [(org, row) for org, row in page if wanted is None or org in wanted]
        lookups.prefetch(rows)
        for org, row in rows:
            if timer.monotonic() - started > budget_seconds:
                logger.warning("sender stopped at its time budget", extra={"summary": summary.as_dict()})
                return summary
            summary.due += 1
            try:
                send_row(org, row, now, notifier, lookups, summary)
            except StatusNotRecorded:
                logger.error("sender stopped: a sent message's status could not be recorded",
                             extra={"message_id": row.id, "summary": summary.as_dict()})
                return summary
    return summary


class StatusNotRecorded(Exception):
    """The provider accepted a message and DynamoDB refused the status write for about a minute."""


def sleep(seconds: float) -> None:
    """Waits between status-write tries (tests replace it to move a simulated clock instead)."""
    timer.sleep(seconds)


def _record(write: Callable[[], Message | None]) -> Message | None:
    """A status write after the provider's accept, retried with backoff through a DynamoDB outage: None only
    when the row changed meanwhile (the write's condition), StatusNotRecorded when DynamoDB stayed down."""
    for delay in (*STATUS_WRITE_DELAYS, None):
        try:
            return write()
        except Exception as exc:  # unreachable, throttled or failing: the message is out, keep trying to say so
            if delay is None:
                raise StatusNotRecorded(type(exc).__name__) from exc
            logger.warning("status write failed; retrying", extra={"error": type(exc).__name__, "in_s": delay})
            sleep(delay)
    raise AssertionError("unreachable")


def send_row(org: str, row: Message, now: datetime, notifier: Notifier, lookups: Lookups,
             summary: SendSummary) -> None:
    if row.status is S.SENDING and row.lease_until is not None and row.lease_until > now:
        summary.skipped += 1  # another sender holds it
        return
    resend = row.status is S.SENDING  # its lease lapsed: the run that held it may have sent it
    if resend and (row.channel in AT_MOST_ONCE or row.resent_after_unknown_outcome):
        if outbox.set_status(org, row, S.UNCONFIRMED, UNKNOWN_OUTCOME, now):
            summary.unconfirmed += 1
            followups.open_for_failed_message(org, row, UNKNOWN_OUTCOME, now)
        return
    location = lookups.location(org, row.location_id)
    if location is None:
        _finish(org, row, S.FAILED, "location_missing", now, summary)
        return
    messaging = lookups.settings(org, location)
    expired = None if row.reply else outbox.expiry_of(row, location, now, messaging)
    if expired is not None:
        _finish(org, row, S.EXPIRED, str(expired), now, summary)
        return
    if not row.reply and _deferred(org, row, location, messaging, now, summary):
        return
    patient = lookups.patient(org, row.patient_id)
    verdict = _still_wanted(org, row, patient, location, now, lookups, messaging)
    if verdict is not None:  # dropped without a claim: one write, conditional on the version read, as a claim is
        status, reason = verdict
        _finish(org, row, status, reason, now, summary)
        return
    assert patient is not None
    marks = {"resent_after_unknown_outcome": True} if resend else {}
    claimed = outbox.set_status(org, row, S.SENDING, None, now, lease_until=now + LEASE, attempts=row.attempts + 1,
                                **marks)
    if claimed is None:
        summary.skipped += 1
        return
    try:
        language = location.speaks(patient.language)
        if claimed.kind == SIGNING_LINK:  # the link is in the row; see shared/domain/signing_message.py
            rendered = signing_message.render(claimed.channel, language, location.name, location.phone,
                                              claimed.link or "")
        else:
            rendered = render(claimed.kind, claimed.channel, language, _render_context(claimed, location),
                              messaging.wording(claimed.kind, language))
    except ChairsideError as exc:
        _fail(org, claimed, f"render_failed: {exc.message}", now, summary)
        return
    try:
        if claimed.channel is Channel.EMAIL:
            provider_id = notifier.send_email(patient.email or "", rendered.subject or "", rendered.text, rendered.html)
        else:
            provider_id = notifier.send_sms(patient.phone or "", rendered.text)
    except SendError as exc:
        _after_send_error(org, claimed, exc, now, summary)
        return
    directory = _directory_items(org, claimed, patient, now, notifier, lookups)
    # One request: the row's status and the contact directory (who last got a message at this address; for
    # an SMS the number's log for the caps, and which appointment a reminder was about).
    if not _record(lambda: outbox.set_status(org, claimed, S.SENT, None, now, also=directory,
                                             provider_message_id=provider_id, sent_at=now)):
        logger.error("sent, but the row changed meanwhile", extra={"message_id": claimed.id})
        outbox_store.remember(*directory)
    for item in directory:
        if item.kind == "sms_log":
            lookups.logged(item)
    summary.sent += 1


def _directory_items(org: str, row: Message, patient: Patient, now: datetime, notifier: Notifier,
                     lookups: Lookups) -> list[Record]:
    """The directory items a sent message updates: who got it at that address, and for an SMS the group's
    log of that number (the caps per phone number) and, for a reminder, the appointment it was about."""
    address = (patient.email if row.channel is Channel.EMAIL else patient.phone) or ""
    identity = getattr(notifier, "sms_sender", None) or outbox_store.SHARED_SENDER
    items = [outbox_store.contact_record(str(row.channel), address, org, row.patient_id, row.location_id, iso(now),
                                         identity)]
    if row.channel is Channel.SMS:
        entry = {"at": iso(now), "patient_id": row.patient_id, "message_id": row.id}
        items.append(outbox_store.sms_log_record(org, address, [*lookups.sms_log(org, address), entry], now))
        if row.is_reminder and row.appointment_id:
            items.append(outbox_store.last_reminder_record(address, org, row.patient_id, row.location_id,
                                                           row.appointment_id, iso(now), identity))
    return items


def _render_context(row: Message, location: Location) -> RenderContext:
    return RenderContext(practice_name=location.name, practice_phone=location.phone,
                         appointment_start=row.appointment_start, tz_name=location.timezone,
                         amount_cents=row.amount_cents, due_date=row.due_date)


def _deferred(org: str, row: Message, location: Location, messaging: MessagingSettings, now: datetime,
              summary: SendSummary) -> bool:
    """Inside the location's quiet hours (a late run): due again at the next allowed local time."""
    settings = outbox.location_settings(location, messaging)
    local = now.astimezone(clock.zone(settings.tz_name))
    if settings.quiet_hours.allows(local.time()):
        return False
    day = local.date() if local.time() < settings.quiet_hours.earliest else local.date() + timedelta(days=1)
    resume = utc_at_local(day, settings.quiet_hours.earliest, settings.tz_name)
    if row.is_reminder and row.appointment_start is not None and row.appointment_start <= resume:
        _finish(org, row, S.EXPIRED, str(ExpiryReason.QUIET_UNTIL_APPOINTMENT), now, summary)
        return True
    if outbox.set_status(org, row, S.PLANNED, row.reason, now, due_at=resume):
        summary.deferred += 1
    else:
        summary.skipped += 1
    return True


def _still_wanted(org: str, row: Message, patient: Patient | None, location: Location, now: datetime,
                  lookups: Lookups, messaging: MessagingSettings) -> tuple[MessageStatus, str] | None:
    """(status, reason) when the row must not go out after all; None to send it."""
    if patient is None:
        return S.SUPPRESSED, str(SuppressionReason.NO_ADDRESS)
    unreachable = suppression_reason(row.channel, row.purpose, outbox.contact_prefs(patient),
                                     reply_kind=row.kind if row.reply else None)
    if unreachable is not None:
        return S.SUPPRESSED, str(unreachable)
    if row.reply:
        return None
    if row.is_reminder and row.appointment_id:
        appointment = lookups.appointment(org, row.appointment_id)
        if appointment is None or not appointment_lifecycle.is_upcoming(appointment.status):
            return S.CANCELLED, "appointment_" + (str(appointment.status) if appointment else "missing")
        if row.appointment_start is None or iso(appointment.start) != iso(row.appointment_start):
            return S.CANCELLED, "rescheduled"
        if appointment.start <= now:
            return S.EXPIRED, str(ExpiryReason.APPOINTMENT_PASSED)  # a reminder after the visit began helps nobody
    if row.channel is Channel.SMS:
        reason = _sms_cap_now(org, row, patient, location, now, messaging, lookups)
        if reason is not None:
            return S.SUPPRESSED, str(reason)
    return None


def _sms_cap_now(org: str, row: Message, patient: Patient, location: Location, now: datetime,
                 messaging: MessagingSettings, lookups: Lookups) -> SuppressionReason | None:
    """The caps against the SMS actually sent around now, per patient (the patient's rows) and per phone
    number (the group's log of the number: a family on one phone, whose rows were planned apart, at booking
    time, may not get several texts a day). A last check: planning already counted what it could see."""
    settings = outbox.location_settings(location, messaging)
    today = clock.local_date(now, settings.tz_name)
    rows = outbox_store.for_patient_between(org, row.patient_id, now - outbox.CAP_WINDOW, now + outbox.CAP_WINDOW)
    patient_days = [clock.local_date(other.sent_at, settings.tz_name) for other in rows
                    if other.status is S.SENT and other.channel is Channel.SMS and not other.reply
                    and other.id != row.id and other.sent_at is not None]
    phone_days = [clock.local_date(clock.parse_instant(entry["at"]), settings.tz_name)
                  for entry in lookups.sms_log(org, patient.phone or "") if entry["message_id"] != row.id]
    return sms_cap_reason(today, patient_days, settings) or sms_cap_reason(today, phone_days, settings)


def _after_send_error(org: str, row: Message, error: SendError, now: datetime, summary: SendSummary) -> None:
    attempts = row.attempts or 1
    logger.warning("send failed", extra={"message_id": row.id, "code": error.code, "retryable": error.retryable,
                                         "attempt": attempts})
    if error.retryable and attempts < MAX_ATTEMPTS:
        due = now + timedelta(minutes=BACKOFF_BASE_MINUTES ** (attempts - 1))
        if outbox.set_status(org, row, S.PLANNED, None, now, due_at=due, last_error=error.code):
            summary.retrying += 1
        return
    _fail(org, row, f"send_failed: {error.code}", now, summary)


def _fail(org: str, row: Message, reason: str, now: datetime, summary: SendSummary) -> None:
    failed = outbox.set_status(org, row, S.FAILED, reason, now)
    if failed is not None:
        summary.failed += 1
        followups.open_for_failed_message(org, failed, reason, now)


def _finish(org: str, row: Message, status: MessageStatus, reason: str, now: datetime, summary: SendSummary) -> None:
    if outbox.set_status(org, row, status, reason, now):
        if status is S.SUPPRESSED:
            summary.suppressed += 1
        elif status is S.CANCELLED:
            summary.cancelled += 1
        elif status is S.EXPIRED:
            summary.expired += 1
        else:
            summary.failed += 1
    else:
        summary.skipped += 1  # changed since the query read it (another sender took it)
