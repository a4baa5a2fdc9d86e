"""The sender: every minute, send the outbox rows that are due, each exactly once as far as we can tell.

For each group with locations, it queries the send queue's hour buckets from `LOOKBACK_HOURS` ago up
to now (only rows waiting to be sent are in that index). Each row is claimed with a conditional write
(planned -> sending, with a lease, conditional on the version read), so two overlapping senders never
both send it. Then, at send time, the rules are checked again against what is true now: the patient
may have replied STOP, bounced, withdrawn consent, the appointment may have moved, the SMS caps may
have filled (counted on sent SMS), the location may be in its quiet hours because this run is late.

What can fail:
- the provider refuses for a reason that will not go away (bad address, rejected): failed at once;
- throttling, a 5xx, the network: botocore retries a few times; if it still fails the row goes back to
  planned, due again after a backoff (1, 4, 16 minutes); after `MAX_ATTEMPTS` it is failed. A failed
  row opens a follow-up task, so a person reaches the patient another way;
- the run dies half way (timeout, crash): rows it recorded as sent stay sent, rows it had not reached
  are still planned, and the one row it held is released when its lease ends. The one thing no outbox
  can rule out is a crash between the provider accepting a message and our recording it: that row is
  sent again after its lease (at-least-once, for one row per crash).
"""

from __future__ import annotations

import time as timer
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from shared import clock
from shared.adapters.notifier import Notifier, SendError
from shared.clock import iso
from shared.domain import appointment_lifecycle, signing_message
from shared.domain.quiet_hours import utc_at_local
from shared.domain.reminders import Channel, SuppressionReason, sms_cap_reason, suppression_reason
from shared.domain.templates import RenderContext, render
from shared.errors import ChairsideError
from shared.logs import logger
from shared.services import followups, outbox
from shared.store import appointments as appointment_store
from shared.store import locations as location_store
from shared.store import outbox as outbox_store
from shared.store import patients as patient_store
from shared.store.registry import all_locations
from shared.store.table import Record

LOOKBACK_HOURS = 3
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
    deferred: int = 0  # quiet hours at the location right now: due again when they end
    retrying: int = 0
    failed: int = 0
    skipped: int = 0  # taken by another sender, or changed since the query read it

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Lookups:
    """What one run reads more than once: locations, patients and appointments, by group and id."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, str], Any] = {}

    def _get(self, kind: str, org: str, key: str, load: Any) -> Any:
        if (kind, org, key) not in self._cache:
            record = load()
            self._cache[(kind, org, key)] = record.data() if record is not None else None
        return self._cache[(kind, org, key)]

    def location(self, org: str, location_id: str) -> dict[str, Any] | None:
        return self._get("loc", org, location_id, lambda: location_store.get(org, location_id))

    def patient(self, org: str, patient_id: str) -> dict[str, Any] | None:
        return self._get("pat", org, patient_id, lambda: patient_store.get(org, patient_id))

    def appointment(self, org: str, appointment_id: str) -> dict[str, Any] | None:
        return self._get("apt", org, appointment_id, lambda: appointment_store.load(org, appointment_id))


def groups_with_locations() -> list[str]:
    return sorted({registered.org for registered in all_locations()})


def run(now: datetime, notifier: Notifier, orgs: Iterable[str] | None = None,
        budget_seconds: float = RUN_BUDGET_SECONDS) -> SendSummary:
    """Send every due row of the given groups (default: every group in the location registry)."""
    started = timer.monotonic()
    summary, lookups = SendSummary(), Lookups()
    for org in (groups_with_locations() if orgs is None else orgs):
        for record in outbox_store.due_rows(org, now, LOOKBACK_HOURS):
            if timer.monotonic() - started > budget_seconds:
                logger.warning("sender stopped at its time budget", extra={"summary": summary.as_dict()})
                return summary
            summary.due += 1
            send_row(org, record, now, notifier, lookups, summary)
    return summary


def send_row(org: str, record: Record, now: datetime, notifier: Notifier, lookups: Lookups,
             summary: SendSummary) -> None:
    doc = record.data()
    if doc["status"] == "sending" and doc.get("lease_until", "") > iso(now):
        summary.skipped += 1  # another sender holds it
        return
    location = lookups.location(org, doc["location_id"])
    if location is None:
        _finish(record, "failed", "location_missing", now, summary)
        return
    if not doc.get("reply") and _deferred(record, location, now, summary):
        return
    claimed = outbox.set_status(record, "sending", None, now, lease_until=iso(now + LEASE),
                                attempts=int(doc.get("attempts", 0)) + 1)
    if not claimed:
        summary.skipped += 1
        return
    doc = record.data()
    patient = lookups.patient(org, doc["patient_id"])
    verdict = _still_wanted(org, doc, patient, location, now, lookups)
    if verdict is not None:
        status, reason = verdict
        _finish(record, status, reason, now, summary)
        return
    assert patient is not None
    try:
        language = outbox.language_for(patient, location)
        if doc["kind"] == SIGNING_LINK:  # the link is in the row; see shared/domain/signing_message.py
            rendered = signing_message.render(language, location["name"], location["phone"], doc["link"])
        else:
            rendered = render(doc["kind"], doc["channel"], language, _render_context(doc, location))
    except ChairsideError as exc:
        _fail(org, record, f"render_failed: {exc.message}", now, summary)
        return
    try:
        if doc["channel"] == Channel.EMAIL:
            provider_id = notifier.send_email(patient["email"], rendered.subject or "", rendered.text, rendered.html)
        else:
            provider_id = notifier.send_sms(patient["phone"], rendered.text)
    except SendError as exc:
        _after_send_error(org, record, exc, now, summary)
        return
    if not outbox.set_status(record, "sent", None, now, provider_message_id=provider_id, sent_at=iso(now)):
        logger.error("sent, but the row changed meanwhile", extra={"message_id": doc["id"]})
    summary.sent += 1
    address = patient["email"] if doc["channel"] == Channel.EMAIL else patient["phone"]
    outbox_store.remember_contact(doc["channel"], address, org, doc["patient_id"], doc["location_id"], iso(now))


def _render_context(doc: dict[str, Any], location: dict[str, Any]) -> RenderContext:
    start = doc.get("appointment_start")
    return RenderContext(practice_name=location["name"], practice_phone=location["phone"],
                         appointment_start=clock.parse_instant(start) if start else None,
                         tz_name=location["timezone"], amount_cents=doc.get("amount_cents"),
                         due_date=None)


def _deferred(record: Record, location: dict[str, Any], now: datetime, summary: SendSummary) -> bool:
    """Inside the location's quiet hours (a late run): due again at the next allowed local time."""
    settings = outbox.location_settings(location)
    local = now.astimezone(clock.zone(settings.tz_name))
    if settings.quiet_hours.allows(local.time()):
        return False
    day = local.date() if local.time() < settings.quiet_hours.earliest else local.date() + timedelta(days=1)
    resume = utc_at_local(day, settings.quiet_hours.earliest, settings.tz_name)
    doc = record.data()
    start = doc.get("appointment_start")
    if doc["kind"].startswith("reminder_") and start and clock.parse_instant(start) <= resume:
        _finish(record, "suppressed", str(SuppressionReason.PAST), now, summary)
        return True
    if outbox.set_status(record, "planned", doc.get("reason"), now, due_at=iso(resume)):
        summary.deferred += 1
    else:
        summary.skipped += 1
    return True


def _still_wanted(org: str, doc: dict[str, Any], patient: dict[str, Any] | None, location: dict[str, Any],
                  now: datetime, lookups: Lookups) -> tuple[str, str] | None:
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
        if appointment is None or not appointment_lifecycle.is_upcoming(appointment["status"]):
            return "cancelled", "appointment_" + (appointment or {}).get("status", "missing")
        if appointment["start"] != doc.get("appointment_start"):
            return "cancelled", "rescheduled"
        if clock.parse_instant(appointment["start"]) <= now:
            return "suppressed", str(SuppressionReason.PAST)  # a reminder after the visit began helps nobody
    if channel == Channel.SMS:
        reason = _sms_cap_now(org, doc, location, now)
        if reason is not None:
            return "suppressed", str(reason)
    return None


def _sms_cap_now(org: str, doc: dict[str, Any], location: dict[str, Any], now: datetime) -> SuppressionReason | None:
    """The caps against the SMS actually sent around now (a last check: planning already counted them)."""
    settings = outbox.location_settings(location)
    rows = outbox_store.for_patient_between(org, doc["patient_id"], now - outbox.CAP_WINDOW, now + outbox.CAP_WINDOW)
    sent_days = [clock.local_date(clock.parse_instant(r.data()["sent_at"]), settings.tz_name) for r in rows
                 if r.data()["status"] == "sent" and r.data()["channel"] == Channel.SMS and not r.data().get("reply")
                 and r.data()["id"] != doc["id"] and r.data().get("sent_at")]
    return sms_cap_reason(clock.local_date(now, settings.tz_name), sent_days, settings)


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
        else:
            summary.failed += 1
