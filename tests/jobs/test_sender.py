"""The sender: SES v2 and SNS through moto, claims under concurrency, a batch dying half way, retries
with backoff, quiet hours when a run is late, and rows that must not go out after all."""

import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from shared.adapters.notifier import AwsNotifier, SendError
from shared.clock import frozen_at, parse_instant
from shared.commands.appointments import CancelIn
from shared.domain.outbox_lifecycle import MessageStatus
from shared.domain.templates import gsm7_length
from shared.services import appointments, outbox, planner, sender
from shared.store import followups as followup_store
from shared.store import outbox as outbox_store
from tests.helpers import Crash, StubNotifier, throttled

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
START = "2026-03-10T11:30:00-04:00"
SEVEN_DAYS = datetime(2026, 3, 3, 16, 30, 30, tzinfo=UTC)  # just after the 7-day reminders' time
TWO_DAYS = datetime(2026, 3, 8, 15, 30, 30, tzinfo=UTC)  # just after the 2-day email and SMS
SENDER_EMAIL = "reminders@riverside.example"


def run(clinic, at, notifier):
    with frozen_at(at):
        return sender.run(at, notifier, orgs=[clinic.org])


def statuses(clinic, appointment):
    return {(r["kind"], r["channel"]): r["status"] for r in clinic.rows(appointment_id=appointment["id"])}


def test_sends_email_through_ses_and_sms_through_sns_once(moto_store, make_clinic):
    boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER_EMAIL)  # SES sends only from verified ones
    clinic = make_clinic()
    with frozen_at(NOW):
        english = clinic.patient(language="en")
        spanish = clinic.patient(language="es", first_name="Lucía")
        booked = [clinic.book(english, START), clinic.book(spanish, START)]
    notifier = AwsNotifier(sender_email=SENDER_EMAIL)

    summary = run(clinic, SEVEN_DAYS, notifier)
    assert (summary.due, summary.sent) == (2, 2)
    mail = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert sorted(m.destinations["ToAddresses"][0] for m in mail) == sorted([english["email"], spanish["email"]])
    by_address = {m.destinations["ToAddresses"][0]: m for m in mail}
    assert "Riverside Dental" in by_address[english["email"]].body
    assert by_address[english["email"]].source == SENDER_EMAIL
    seven = [r for r in clinic.rows(appointment_id=booked[0]["id"]) if r["kind"] == "reminder_7d"][0]
    assert seven["status"] == "sent" and seven["provider_message_id"] in {m.id for m in mail}
    assert seven["sent_at"] == "2026-03-03T16:30:30.000Z"

    summary = run(clinic, TWO_DAYS, notifier)
    assert (summary.due, summary.sent) == (4, 4)
    texts = list(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values())
    assert sorted(phone for phone, _ in texts) == sorted([english["phone"], spanish["phone"]])
    for _, text in texts:
        assert gsm7_length(text) <= 160 and "Riverside Dental" in text and "+15551230000" in text
    assert any("Reply STOP to opt out" in text for _, text in texts)
    assert any("Responda STOP para darse de baja" in text for _, text in texts)

    again = run(clinic, TWO_DAYS + timedelta(minutes=1), notifier)
    assert (again.due, again.sent) == (0, 0)  # sent rows left the send queue
    assert len(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages) == 4
    assert statuses(clinic, booked[0]) == {("reminder_7d", "email"): "sent", ("reminder_2d", "email"): "sent",
                                           ("reminder_2d", "sms"): "sent", ("reminder_2h", "sms"): "planned"}


@pytest.mark.ddblocal  # threads: moto's in-memory DynamoDB is not thread-safe (a Query can see a dict change)
def test_two_senders_at_once_send_each_row_once(ddblocal_store, make_clinic):
    clinic = make_clinic()
    with frozen_at(NOW):
        booked = [clinic.book(clinic.patient(), START) for _ in range(8)]
    stub, errors = StubNotifier(), []

    def work():
        try:
            sender.run(TWO_DAYS, stub, orgs=[clinic.org])
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    with frozen_at(TWO_DAYS):  # the clock is process-wide: set it once, around all the senders
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(stub.sent) == len(set(stub.sent)) == 16
    assert sum(1 for a in booked for r in clinic.rows(appointment_id=a["id"]) if r["status"] == "sent") == 16
    assert run(clinic, TWO_DAYS, stub).sent == 0 and len(stub.sent) == 16


def test_a_batch_that_dies_half_way_loses_nothing_and_sends_nothing_twice(store, make_clinic):
    clinic = make_clinic()
    with frozen_at(NOW):
        booked = [clinic.book(clinic.patient(), START) for _ in range(5)]
    stub = StubNotifier(fail={4: Crash("the function timed out")})
    with pytest.raises(Crash):
        run(clinic, TWO_DAYS, stub)
    assert len(stub.sent) == 3

    soon = run(clinic, TWO_DAYS + timedelta(minutes=1), stub)  # the dead run's row is still leased
    assert (soon.sent, soon.skipped) == (6, 1)
    rows = [r for a in booked for r in clinic.rows(appointment_id=a["id"]) if r["kind"] == "reminder_2d"]
    [held] = [r for r in rows if r["status"] == "sending"]
    # Lease over: the provider may have taken it. Email is sent again (at-least-once), SMS never (at-most-once).
    later = run(clinic, TWO_DAYS + sender.LEASE + timedelta(minutes=1), stub)
    resent = held["channel"] == "email"
    assert (later.sent, later.unconfirmed) == ((1, 0) if resent else (0, 1))
    assert len(stub.sent) == len(set(stub.sent)) == (10 if resent else 9)
    rows = [r for a in booked for r in clinic.rows(appointment_id=a["id"]) if r["kind"] == "reminder_2d"]
    assert sorted(r["status"] for r in rows) == ["sent"] * 9 + ["sent" if resent else "unconfirmed"]


def test_throttling_is_retried_with_backoff_then_failed_with_a_follow_up(store, make_clinic):
    clinic = make_clinic()
    with frozen_at(NOW):
        appointment = clinic.book(clinic.patient(consent={"email": {"appointment": True}}), START)
    stub = StubNotifier(always=throttled())
    at = SEVEN_DAYS
    for attempt, wait in enumerate((1, 4, 16), start=1):
        assert run(clinic, at, stub).retrying == 1
        row = [r for r in clinic.rows(appointment_id=appointment["id"]) if r["kind"] == "reminder_7d"][0]
        assert (row["status"], row["attempts"], row["last_error"]) == ("planned", attempt, "ThrottlingException")
        assert row["due_at"] == (at + timedelta(minutes=wait)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert run(clinic, at + timedelta(minutes=wait) - timedelta(seconds=1), stub).due == 0  # not yet
        at += timedelta(minutes=wait)
    assert run(clinic, at, stub).failed == 1
    row = [r for r in clinic.rows(appointment_id=appointment["id"]) if r["kind"] == "reminder_7d"][0]
    assert (row["status"], row["reason"], row["attempts"]) == ("failed", "send_failed: ThrottlingException", 4)
    tasks, _ = followup_store.page(clinic.org, clinic.location["id"], "message_failed", "open", 10, None)
    assert [(t.message_id, t.owner) for t in tasks] == [(row["id"], "front_desk")]


def test_a_refused_message_fails_at_once(store, make_clinic):
    clinic = make_clinic()
    with frozen_at(NOW):
        appointment = clinic.book(clinic.patient(consent={"email": {"appointment": True}}), START)
    stub = StubNotifier(always=SendError("MessageRejected", "address is on the suppression list", retryable=False))
    assert run(clinic, SEVEN_DAYS, stub).failed == 1
    assert statuses(clinic, appointment)[("reminder_7d", "email")] == "failed"


def test_a_late_run_in_quiet_hours_defers_to_the_morning(store, make_clinic):
    clinic = make_clinic()
    with frozen_at(NOW):
        appointment = clinic.book(clinic.patient(), "2026-03-12T10:00:00-04:00")  # 2h reminder at 08:00
    stub = StubNotifier()
    # The 2-day SMS was due at 10:00 EDT on the 10th; this run comes at 21:30 (a long outage).
    late = datetime(2026, 3, 11, 1, 30, tzinfo=UTC)
    with frozen_at(late):
        planner.run_location_job(clinic.org, clinic.location["id"], late)  # puts it back in the send queue
    assert run(clinic, late, stub).deferred == 2
    assert stub.sent == []
    morning = datetime(2026, 3, 11, 12, 0, 30, tzinfo=UTC)  # 08:00 EDT
    assert run(clinic, morning, stub).sent == 2
    assert statuses(clinic, appointment)[("reminder_2d", "sms")] == "sent"


def test_rows_whose_appointment_moved_or_ended_are_not_sent(store, make_clinic):
    clinic = make_clinic()
    with frozen_at(NOW):
        cancelled = clinic.book(clinic.patient(), START)
        appointments.cancel(clinic.principal, cancelled["id"], CancelIn())
        started = clinic.book(clinic.patient(), "2026-03-03T11:00:00-05:00")  # 2h reminder due 14:00Z
    assert set(statuses(clinic, cancelled).values()) == {"cancelled"}
    # A row that escaped the cancellation (say it was being re-planned at that moment) is caught at send time.
    row = outbox_store.get(clinic.org, outbox.reminder_ids(clinic.location["id"], cancelled["id"],
                                                           parse_instant(cancelled["start_utc"]))[0])
    outbox.set_status(clinic.org, row, MessageStatus.PLANNED, None, NOW, due_at=parse_instant("2026-03-03T16:30:00Z"))
    stub = StubNotifier()
    summary = run(clinic, SEVEN_DAYS, stub)  # 16:30Z: a late run, after the other visit began at 16:00Z
    assert (summary.cancelled, summary.expired, summary.sent) == (1, 1, 0) and stub.sent == []
    assert [r.get("reason") for r in clinic.rows(appointment_id=cancelled["id"]) if r["kind"] == "reminder_7d"] == [
        "appointment_cancelled"]
    assert [(r["status"], r.get("reason")) for r in clinic.rows(appointment_id=started["id"])
            if r["kind"] == "reminder_2h"] == [("expired", "appointment_passed")]


def test_email_names_the_configuration_set_that_publishes_feedback(monkeypatch):
    """With CHAIRSIDE_SES_CONFIGURATION_SET, SES publishes bounces and complaints of each mail to its topic."""
    from botocore.stub import Stubber

    monkeypatch.setenv("CHAIRSIDE_SES_CONFIGURATION_SET", "chairside-feedback")
    notifier = AwsNotifier(sender_email=SENDER_EMAIL)
    notifier._identity_checked = True  # against AWS nothing is created
    client = notifier._client("sesv2")
    with Stubber(client) as stub:
        stub.add_response("send_email", {"MessageId": "m-1"}, {
            "FromEmailAddress": SENDER_EMAIL, "Destination": {"ToAddresses": ["a@example.com"]},
            "Content": {"Simple": {"Subject": {"Data": "s", "Charset": "UTF-8"},
                                   "Body": {"Text": {"Data": "t", "Charset": "UTF-8"}}}},
            "ConfigurationSetName": "chairside-feedback"})
        assert notifier.send_email("a@example.com", "s", "t", None) == "m-1"


def test_a_7_day_reminder_still_waiting_when_the_2_day_one_is_due_expires_instead_of_going_late(store, make_clinic):
    """Issue 11: rows whose moment passed were sent late and out of order (or stayed planned forever)."""
    clinic, stub = make_clinic(), StubNotifier()
    with frozen_at(NOW):
        appointment = clinic.book(clinic.patient(), START)
    seven = next(r for r in clinic.rows(appointment_id=appointment["id"]) if r["kind"] == "reminder_7d")
    row = outbox_store.get(clinic.org, seven["id"], consistent=True)
    assert outbox.set_status(clinic.org, row, MessageStatus.PLANNED, None, TWO_DAYS,
                             due_at=parse_instant("2026-03-08T15:30:00Z"))  # requeued late
    summary = run(clinic, TWO_DAYS, stub)
    assert (summary.sent, summary.expired) == (2, 1)
    seven = outbox_store.get(clinic.org, seven["id"], consistent=True)
    assert (seven.status, seven.reason) == ("expired", "superseded")
    assert sorted(channel for channel, _, _ in stub.sent) == ["email", "sms"]  # the 2-day ones only


def test_the_location_job_expires_rows_past_their_grace_that_no_sender_will_read(store, make_clinic):
    clinic, stub = make_clinic(), StubNotifier()
    with frozen_at(NOW):
        appointment = clinic.book(clinic.patient(), START)
    night = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # 02:00 EDT on the 2-day reminder's day; no sender ran since
    with frozen_at(night):
        outcome = planner.run_location_job(clinic.org, clinic.location["id"], night)
    assert outcome["expired"] == 1
    assert statuses(clinic, appointment)[("reminder_7d", "email")] == "expired"
    assert run(clinic, TWO_DAYS, stub).sent == 2
