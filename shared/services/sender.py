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
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from shared import clock
from shared.adapters.notifier import Notifier, SendError
from shared.clock import iso
from shared.domain import appointment_lifecycle, signing_message
from shared.domain.locations import Location
from shared.domain.messaging_settings import MessagingSettings
from shared.domain.outbox_expiry import ExpiryReason
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


def _pages(rows: Iterator[Record], size: int) -> Iterator[list[Record]]:
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
        rows = [record for record in page if wanted is None or outbox.org_of(record) in wanted]
        lookups.prefetch(rows)
        for record in rows:
            if timer.monotonic() - started > budget_seconds:
                logger.warning("sender stopped at its time budget", extra={"summary": summary.as_dict()})
                return summary
            summary.due += 1
            try:
                send_row(outbox.org_of(record), record, now, notifier, lookups, summary)
            except StatusNotRecorded:
                logger.error("sender stopped: a sent message's status could not be recorded",
                             extra={"message_id": record.data()["id"], "summary": summary.as_dict()})
                return summary
    return summary


class StatusNotRecorded(Exception):
    """The provider accepted a message and DynamoDB refused the status write for about a minute."""


def sleep(seconds: float) -> None:
    """Waits between status-write tries (tests replace it to move a simulated clock instead)."""
    timer.sleep(seconds)


def _record(write: Callable[[], bool]) -> bool:
    """A status write after the provider's accept, retried with backoff through a DynamoDB outage: False only
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


def send_row(org: str, record: Record, now: datetime, notifier: Notifier, lookups: Lookups,
             summary: SendSummary) -> None:
    doc = record.data()
    if doc["status"] == "sending" and doc.get("lease_until", "") > iso(now):
        summary.skipped += 1  # another sender holds it
        return
    resend = doc["status"] == "sending"  # its lease lapsed: the run that held it may have sent it
    if resend and (doc["channel"] in AT_MOST_ONCE or doc.get("resent_after_unknown_outcome")):
        if outbox.set_status(record, "unconfirmed", UNKNOWN_OUTCOME, now):
            summary.unconfirmed += 1
            followups.open_for_failed_message(org, record.data(), UNKNOWN_OUTCOME, now)
        return
    location = lookups.location(org, doc["location_id"])
    if location is None:
        _finish(record, "failed", "location_missing", now, summary)
        return
    messaging = lookups.settings(org, location)
    expired = None if doc.get("reply") else outbox.expiry_of(doc, location, now, messaging)
    if expired is not None:
        _finish(record, "expired", str(expired), now, summary)
        return
    if not doc.get("reply") and _deferred(record, location, messaging, now, summary):
        return
    patient = lookups.patient(org, doc["patient_id"])
    verdict = _still_wanted(org, doc, patient, location, now, lookups, messaging)
    if verdict is not None:  # dropped without a claim: one write, conditional on the version read, as a claim is
        status, reason = verdict
        _finish(record, status, reason, now, summary)
        return
    assert patient is not None
    marks = {"resent_after_unknown_outcome": True} if resend else {}
    claimed = outbox.set_status(record, "sending", None, now, lease_until=iso(now + LEASE),
                                attempts=int(doc.get("attempts", 0)) + 1, **marks)
    if not claimed:
        summary.skipped += 1
        return
    doc = record.data()
    try:
        language = location.speaks(patient.language)
        if doc["kind"] == SIGNING_LINK:  # the link is in the row; see shared/domain/signing_message.py
            rendered = signing_message.render(doc["channel"], language, location.name, location.phone,
                                              doc["link"])
        else:
            rendered = render(doc["kind"], doc["channel"], language, _render_context(doc, location),
                              messaging.wording(doc["kind"], language))
    except ChairsideError as exc:
        _fail(org, record, f"render_failed: {exc.message}", now, summary)
        return
    try:
        if doc["channel"] == Channel.EMAIL:
            provider_id = notifier.send_email(patient.email or "", rendered.subject or "", rendered.text, rendered.html)
        else:
            provider_id = notifier.send_sms(patient.phone or "", rendered.text)
    except SendError as exc:
        _after_send_error(org, record, exc, now, summary)
        return
    directory = _directory_items(org, doc, patient, now, notifier, lookups)
    # One request: the row's status and the contact directory (who last got a message at this address; for
    # an SMS the number's log for the caps, and which appointment a reminder was about).
    if not _record(lambda: outbox.set_status(record, "sent", None, now, also=directory,
                                             provider_message_id=provider_id, sent_at=iso(now))):
        logger.error("sent, but the row changed meanwhile", extra={"message_id": doc["id"]})
        outbox_store.remember(*directory)
    for item in directory:
        if item.kind == "sms_log":
            lookups.logged(item)
    summary.sent += 1


def _directory_items(org: str, doc: dict[str, Any], patient: Patient, now: datetime, notifier: Notifier,
                     lookups: Lookups) -> list[Record]:
    """The directory items a sent message updates: who got it at that address, and for an SMS the group's
    log of that number (the caps per phone number) and, for a reminder, the appointment it was about."""
    address = (patient.email if doc["channel"] == Channel.EMAIL else patient.phone) or ""
    identity = getattr(notifier, "sms_sender", None) or outbox_store.SHARED_SENDER
    items = [outbox_store.contact_record(doc["channel"], address, org, doc["patient_id"], doc["location_id"],
                                         iso(now), identity)]
    if doc["channel"] == Channel.SMS:
        entry = {"at": iso(now), "patient_id": doc["patient_id"], "message_id": doc["id"]}
        items.append(outbox_store.sms_log_record(org, address, [*lookups.sms_log(org, address), entry], now))
        if doc["kind"].startswith("reminder_") and doc.get("appointment_id"):
            items.append(outbox_store.last_reminder_record(address, org, doc["patient_id"], doc["location_id"],
                                                           doc["appointment_id"], iso(now), identity))
    return items


def _render_context(doc: dict[str, Any], location: Location) -> RenderContext:
    start = doc.get("appointment_start")
    return RenderContext(practice_name=location.name, practice_phone=location.phone,
                         appointment_start=clock.parse_instant(start) if start else None,
                         tz_name=location.timezone, amount_cents=doc.get("amount_cents"),
                         due_date=date.fromisoformat(doc["due_date"]) if doc.get("due_date") else None)


def _deferred(record: Record, location: Location, messaging: MessagingSettings, now: datetime,
              summary: SendSummary) -> bool:
    """Inside the location's quiet hours (a late run): due again at the next allowed local time."""
    settings = outbox.location_settings(location, messaging)
    local = now.astimezone(clock.zone(settings.tz_name))
    if settings.quiet_hours.allows(local.time()):
        return False
    day = local.date() if local.time() < settings.quiet_hours.earliest else local.date() + timedelta(days=1)
    resume = utc_at_local(day, settings.quiet_hours.earliest, settings.tz_name)
    doc = record.data()
    start = doc.get("appointment_start")
    if doc["kind"].startswith("reminder_") and start and clock.parse_instant(start) <= resume:
        _finish(record, "expired", str(ExpiryReason.QUIET_UNTIL_APPOINTMENT), now, summary)
        return True
    if outbox.set_status(record, "planned", doc.get("reason"), now, due_at=iso(resume)):
        summary.deferred += 1
    else:
        summary.skipped += 1
    return True


def _still_wanted(org: str, doc: dict[str, Any], patient: Patient | None, location: Location,
                  now: datetime, lookups: Lookups, messaging: MessagingSettings) -> tuple[str, str] | None:
    """(status, reason) when the row must not go out after all; None to send it."""
    if patient is None:
        return "suppressed", str(SuppressionReason.NO_ADDRESS)
    channel, kind = doc["channel"], doc["kind"]
    unreachable = suppression_reason(channel, doc["purpose"], outbox.contact_prefs(patient),
                                     reply_kind=kind if doc.get("reply") else None)
    if unreachable is not None:
        return "suppressed", str(unreachable)
    if doc.get("reply"):
        return None
    if kind.startswith("reminder_") and doc.get("appointment_id"):
        appointment = lookups.appointment(org, doc["appointment_id"])
        if appointment is None or not appointment_lifecycle.is_upcoming(appointment.status):
            return "cancelled", "appointment_" + (str(appointment.status) if appointment else "missing")
        if iso(appointment.start) != doc.get("appointment_start"):
            return "cancelled", "rescheduled"
        if appointment.start <= now:
            return "expired", str(ExpiryReason.APPOINTMENT_PASSED)  # a reminder after the visit began helps nobody
    if channel == Channel.SMS:
        reason = _sms_cap_now(org, doc, patient, location, now, messaging, lookups)
        if reason is not None:
            return "suppressed", str(reason)
    return None


def _sms_cap_now(org: str, doc: dict[str, Any], patient: Patient, location: Location, now: datetime,
                 messaging: MessagingSettings, lookups: Lookups) -> SuppressionReason | None:
    """The caps against the SMS actually sent around now, per patient (the patient's rows) and per phone
    number (the group's log of the number: a family on one phone, whose rows were planned apart, at booking
    time, may not get several texts a day). A last check: planning already counted what it could see."""
    settings = outbox.location_settings(location, messaging)
    today = clock.local_date(now, settings.tz_name)
    rows = outbox_store.for_patient_between(org, doc["patient_id"], now - outbox.CAP_WINDOW, now + outbox.CAP_WINDOW)
    patient_days = [clock.local_date(clock.parse_instant(r.data()["sent_at"]), settings.tz_name) for r in rows
                    if r.data()["status"] == "sent" and r.data()["channel"] == Channel.SMS
                    and not r.data().get("reply") and r.data()["id"] != doc["id"] and r.data().get("sent_at")]
    phone_days = [clock.local_date(clock.parse_instant(entry["at"]), settings.tz_name)
                  for entry in lookups.sms_log(org, patient.phone or "") if entry["message_id"] != doc["id"]]
    return sms_cap_reason(today, patient_days, settings) or sms_cap_reason(today, phone_days, settings)


def _after_send_error(org: str, record: Record, error: SendError, now: datetime, summary: SendSummary) -> None:
    attempts = int(record.data().get("attempts", 1))
    logger.warning("send failed", extra={"message_id": record.data()["id"], "code": error.code,
                                         "retryable": error.retryable, "attempt": attempts})
    if error.retryable and attempts < MAX_ATTEMPTS:
        due = now + timedelta(minutes=BACKOFF_BASE_MINUTES ** (attempts - 1))
        if outbox.set_status(record, "planned", None, now, due_at=iso(due), last_error=error.code):
            summary.retrying += 1
        return
    _fail(org, record, f"send_failed: {error.code}", now, summary)


def _fail(org: str, record: Record, reason: str, now: datetime, summary: SendSummary) -> None:
    if outbox.set_status(record, "failed", reason, now):
        summary.failed += 1
        followups.open_for_failed_message(org, record.data(), reason, now)


def _finish(record: Record, status: str, reason: str, now: datetime, summary: SendSummary) -> None:
    if outbox.set_status(record, status, reason, now):
        if status == "suppressed":
            summary.suppressed += 1
        elif status == "cancelled":
            summary.cancelled += 1
        elif status == "expired":
            summary.expired += 1
        else:
            summary.failed += 1
    else:
        summary.skipped += 1  # changed since the query read it (another sender took it)
