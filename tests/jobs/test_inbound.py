"""Inbound SMS replies and SES feedback, through the services and through app.py's SNS handlers."""

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

import app
from shared.adapters import notifier as notifier_module
from shared.clock import frozen_at
from shared.services import appointments, inbound, outbox, sender
from shared.store import appointments as appointment_store
from shared.store import followups as followup_store
from shared.store import patients as patient_store
from tests.helpers import StubNotifier

EVENTS = Path(__file__).resolve().parents[2] / "events"
NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
START = "2026-03-10T11:30:00-04:00"
SEVEN_DAYS = datetime(2026, 3, 3, 16, 30, 30, tzinfo=UTC)
TWO_DAYS = datetime(2026, 3, 8, 15, 30, 30, tzinfo=UTC)
TWO_HOURS = datetime(2026, 3, 10, 13, 30, 30, tzinfo=UTC)
REPLY_AT = datetime(2026, 3, 8, 16, 0, tzinfo=UTC)


def texted(clinic, stub):
    """A patient with an appointment whose 2-day SMS went out (so we know the number)."""
    with frozen_at(NOW):
        patient = clinic.patient()
        appointment = clinic.book(patient, START)
    with frozen_at(TWO_DAYS):
        assert sender.run(TWO_DAYS, stub, orgs=[clinic.org]).sent == 2
    return patient, appointment


def sms(phone, body, inbound_id="in-1"):
    return {"originationNumber": phone, "destinationNumber": "+18005550199", "messageBody": body,
            "inboundMessageId": inbound_id}


def profile(clinic, patient):
    return patient_store.load(clinic.org, patient["id"], consistent=True)


def test_stop_opts_out_with_one_confirmation_and_the_due_reminder_is_not_sent(store, make_clinic):
    clinic, stub = make_clinic(), StubNotifier()
    patient, appointment = texted(clinic, stub)
    with frozen_at(REPLY_AT):
        outcome = inbound.handle_sms(sms(patient["phone"], "  Stop!! "), REPLY_AT, stub)
        again = inbound.handle_sms(sms(patient["phone"], "  Stop!! "), REPLY_AT, stub)  # SNS delivers twice
    assert outcome == {"intent": "opt_out", "patients": 1, "reply": "sent"}
    assert again["reply"] == "already_sent"
    confirmations = [text for channel, to, text in stub.sent if to == patient["phone"] and "replied STOP" in text]
    assert len(confirmations) == 1 and "START" in confirmations[0]
    assert profile(clinic, patient).sms_opted_out is True
    two_hour = [r for r in clinic.rows(appointment_id=appointment["id"]) if r["kind"] == "reminder_2h"][0]
    assert (two_hour["status"], two_hour["reason"]) == ("suppressed", "opted_out")

    sent_before = len(stub.sent)
    with frozen_at(TWO_HOURS):
        assert sender.run(TWO_HOURS, stub, orgs=[clinic.org]).sent == 0
    assert len(stub.sent) == sent_before

    clinic.set_patient(patient["id"], phone="+15557770000")  # a new number is not the one that said STOP
    assert outbox.contact_prefs(profile(clinic, patient)).sms_opted_out is False
    clinic.set_patient(patient["id"], phone=patient["phone"])
    with frozen_at(REPLY_AT + timedelta(hours=1)):
        back = inbound.handle_sms(sms(patient["phone"], "START", "in-2"), REPLY_AT + timedelta(hours=1), stub)
    assert back["reply"] == "sent" and profile(clinic, patient).sms_opted_out is False
    assert "get our texts again" in stub.sent[-1][2]


def test_a_stop_that_races_a_planned_reminder_still_stops_it(store, make_clinic):
    """The opt-out flag is checked again when sending, even for a row nobody suppressed."""
    clinic, stub = make_clinic(), StubNotifier()
    with frozen_at(NOW):
        patient = clinic.patient()
        appointment = clinic.book(patient, START)
    clinic.set_patient(patient["id"], sms_opted_out=True)  # as if STOP landed after the row was read
    with frozen_at(TWO_DAYS):
        summary = sender.run(TWO_DAYS, stub, orgs=[clinic.org])
    assert (summary.sent, summary.suppressed) == (1, 1)  # the email goes, the SMS does not
    rows = {(r["kind"], r["channel"]): (r["status"], r.get("reason"))
            for r in clinic.rows(appointment_id=appointment["id"])}
    assert rows[("reminder_2d", "sms")] == ("suppressed", "opted_out")


def test_help_confirm_and_anything_else(store, make_clinic):
    clinic, stub = make_clinic(), StubNotifier()
    patient, appointment = texted(clinic, stub)
    with frozen_at(REPLY_AT):
        assert inbound.handle_sms(sms(patient["phone"], "help", "in-h"), REPLY_AT, stub)["reply"] == "sent"
        assert "for help call +15551230000" in stub.sent[-1][2]
        confirmed = inbound.handle_sms(sms(patient["phone"], "Yes", "in-c"), REPLY_AT, stub)
        assert confirmed["confirmed"] == appointment["id"] and confirmed["reply"] == "sent"
        assert "is confirmed" in stub.sent[-1][2]
        other = inbound.handle_sms(sms(patient["phone"], "please stop calling my work number", "in-o"), REPLY_AT,
                                   stub)
        unknown = inbound.handle_sms(sms("+15559990000", "C", "in-u"), REPLY_AT, stub)
    stored = appointment_store.load(clinic.org, appointment["id"], consistent=True)
    assert (stored.status, stored.confirmed_via) == ("confirmed", "sms")
    assert unknown == {"intent": "confirm", "patients": 0}
    (task,), _ = followup_store.page(clinic.org, clinic.location["id"], "callback", "open", 10, None)
    assert task.id in other["followups"] and task.possible_opt_out is True
    assert task.reply_text == "please stop calling my work number" and task.owner == "front_desk"


def test_bounces_and_complaints_suppress_email_transient_bounces_do_not(store, make_clinic):
    clinic, stub = make_clinic(), StubNotifier()
    with frozen_at(NOW):
        patient = clinic.patient()
        appointment = clinic.book(patient, START)
    with frozen_at(SEVEN_DAYS):
        sender.run(SEVEN_DAYS, stub, orgs=[clinic.org])  # the 7-day email: now we know the address
    bounce = json.loads(json.loads((EVENTS / "sns-ses-bounce.json").read_text())["Records"][0]["Sns"]["Message"])
    bounce["bounce"]["bouncedRecipients"][0]["emailAddress"] = patient["email"].upper()
    soft = copy.deepcopy(bounce)
    soft["bounce"]["bounceType"] = "Transient"
    assert inbound.handle_ses_feedback(soft, SEVEN_DAYS)["suppressed"] == 0
    assert profile(clinic, patient).email_suppressed is False
    assert inbound.handle_ses_feedback(bounce, SEVEN_DAYS) == {"type": "Bounce", "suppressed": 1}
    assert profile(clinic, patient).email_suppressed is True
    rows = {(r["kind"], r["channel"]): (r["status"], r.get("reason"))
            for r in clinic.rows(appointment_id=appointment["id"])}
    assert rows[("reminder_2d", "email")] == ("suppressed", "bounced")
    assert rows[("reminder_2d", "sms")] == ("planned", None)

    complaint = json.loads(json.loads((EVENTS / "sns-ses-complaint.json").read_text())["Records"][0]["Sns"]["Message"])
    complaint["complaint"]["complainedRecipients"][0]["emailAddress"] = patient["email"]
    assert inbound.handle_ses_feedback(complaint, SEVEN_DAYS)["suppressed"] == 1
    assert profile(clinic, patient).email_suppressed_reason == "complaint"


def test_app_sns_handlers_with_the_sample_events(moto_store, make_clinic, monkeypatch):
    boto3.client("sesv2").create_email_identity(EmailIdentity=notifier_module.DEFAULT_SENDER_EMAIL)
    clinic = make_clinic()
    monkeypatch.setattr(notifier_module, "_default", notifier_module.AwsNotifier())
    patient, _ = texted(clinic, notifier_module.default())
    event = json.loads((EVENTS / "sns-inbound-sms.json").read_text())
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    event["Records"][0]["Sns"]["Message"] = json.dumps({**message, "originationNumber": patient["phone"]})
    with frozen_at(REPLY_AT):
        (outcome,) = app.inbound_sms(event, None)
    assert outcome["intent"] == "opt_out" and outcome["reply"] == "sent"
    texts = [text for phone, text in sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()
             if phone == patient["phone"]]
    assert len(texts) == 2 and "replied STOP" in texts[-1]  # the 2-day reminder, then the one confirmation

    feedback = json.loads((EVENTS / "sns-ses-bounce.json").read_text())
    with frozen_at(REPLY_AT):
        (result,) = app.email_feedback(feedback, None)
    assert result == {"type": "Bounce", "suppressed": 0}  # an address nobody here was sent mail at


def test_c_confirms_only_the_appointment_whose_reminder_last_went_to_that_number(store, make_clinic):
    """Issue 11: "C" confirmed the soonest appointment of any patient on that number in any group."""
    stub = StubNotifier()
    ours, theirs = make_clinic(), make_clinic(group=f"org_other{uuid.uuid4().hex[:8]}")
    shared_phone = "+15550142000"
    with frozen_at(NOW):
        soon = theirs.book(theirs.patient(phone=shared_phone), "2026-03-09T11:30:00-04:00")
    their_two_days = datetime(2026, 3, 7, 16, 30, 30, tzinfo=UTC)  # 11:30 EST: their SMS (for the 9th) goes first
    with frozen_at(their_two_days):
        assert sender.run(their_two_days, stub, orgs=[theirs.org]).sent == 2
    with frozen_at(NOW):
        ours_appointment = ours.book(ours.patient(phone=shared_phone), START)  # the 10th
    with frozen_at(TWO_DAYS):
        sender.run(TWO_DAYS, stub, orgs=[ours.org])  # then ours: the latest reminder to that number
    with frozen_at(REPLY_AT):
        outcome = inbound.handle_sms(sms(shared_phone, "C"), REPLY_AT, stub)
    assert outcome["confirmed"] == ours_appointment["id"]
    status = {appt.id: appt.status for appt in (appointments.get(ours.principal, ours_appointment["id"]),
                                                 appointments.get(theirs.principal, soon["id"]))}
    assert status == {ours_appointment["id"]: "confirmed", soon["id"]: "scheduled"}


def test_stop_reaches_only_the_group_whose_number_it_was_sent_to(store, make_clinic):
    ours, theirs = make_clinic(), make_clinic(group=f"org_other{uuid.uuid4().hex[:8]}")
    phone = "+15550143000"
    with frozen_at(NOW):
        mine, other = ours.patient(phone=phone), theirs.patient(phone=phone)
        ours.book(mine, START)
        theirs.book(other, START)
    ours_number, their_number = StubNotifier(), StubNotifier()
    ours_number.sms_sender, their_number.sms_sender = "+18005550101", "+18005550102"
    with frozen_at(TWO_DAYS):
        sender.run(TWO_DAYS, ours_number, orgs=[ours.org])
        sender.run(TWO_DAYS, their_number, orgs=[theirs.org])
    stop = {**sms(phone, "STOP"), "destinationNumber": "+18005550101"}
    with frozen_at(REPLY_AT):
        assert inbound.handle_sms(stop, REPLY_AT, ours_number)["patients"] == 1
    assert profile(ours, mine).sms_opted_out is True
    assert profile(theirs, other).sms_opted_out is False


def test_cancel_opts_out_and_asks_about_the_appointment_and_a_written_revocation_raises_a_task(store, make_clinic):
    clinic, stub = make_clinic(), StubNotifier()
    patient, appointment = texted(clinic, stub)
    with frozen_at(REPLY_AT):
        cancel = inbound.handle_sms(sms(patient["phone"], "CANCEL", "in-x"), REPLY_AT, stub)
    assert cancel["intent"] == "opt_out" and cancel["reply"] == "sent"
    assert profile(clinic, patient).sms_opted_out is True
    (task,), _ = followup_store.page(clinic.org, clinic.location["id"], "cancel_request", "open", 10, None)
    assert task.id in cancel["followups"] and task.appointment_id == appointment["id"]

    other, _ = texted(clinic, stub)
    with frozen_at(REPLY_AT):
        written = inbound.handle_sms(sms(other["phone"], "please stop texting me", "in-w"), REPLY_AT, stub)
    assert written["intent"] == "opt_out" and written["reply"] == "sent"
    assert profile(clinic, other).sms_opted_out is True
    callbacks, _ = followup_store.page(clinic.org, clinic.location["id"], "callback", "open", 10, None)
    assert [t.reply_text for t in callbacks if t.id in written["followups"]] == ["please stop texting me"]
