"""app.py's scheduled and SQS handlers, invoked as Lambda (and `chairside job`) would, with the sample events."""

import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

import app
from functions import jobs
from infra.jobs import invoke
from shared.adapters import notifier as notifier_module
from shared.clock import frozen_at

EVENTS = Path(__file__).resolve().parents[2] / "events"
NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


def test_nightly_then_send_as_chairside_job_does(moto_store, make_clinic, monkeypatch):
    monkeypatch.delenv(jobs.QUEUE_URL_ENV, raising=False)
    monkeypatch.setattr(notifier_module, "_default", notifier_module.AwsNotifier())
    boto3.client("sesv2").create_email_identity(EmailIdentity=notifier_module.DEFAULT_SENDER_EMAIL)
    clinic = make_clinic()
    with frozen_at(NOW):
        appointment = clinic.book(clinic.patient(), "2026-03-03T15:00:00-05:00")  # the day after tomorrow
    night = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    with frozen_at(night):
        planned = invoke("nightly_planner", night, {"all_locations": True})  # as `chairside job nightly`
    assert planned["fanout"] == "inline" and planned["appointments"] == 1
    sent = []
    for due in (datetime(2026, 3, 1, 20, 0, 30, tzinfo=UTC), datetime(2026, 3, 3, 18, 0, 30, tzinfo=UTC)):
        with frozen_at(due):  # 15:00 EST two days before (email and SMS), then 13:00 EST on the day (SMS)
            sent.append(invoke("send_due_messages", due)["sent"])
    assert sent == [2, 1]
    rows = {(r["kind"], r["channel"]): r["status"] for r in clinic.rows(appointment_id=appointment["id"])}
    assert rows == {("reminder_7d", "email"): "expired", ("reminder_2d", "email"): "sent",
                    ("reminder_2d", "sms"): "sent", ("reminder_2h", "sms"): "sent"}
    assert len(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages) == 1


def test_sample_events_drive_the_handlers(moto_store, make_clinic, monkeypatch):
    monkeypatch.delenv(jobs.QUEUE_URL_ENV, raising=False)
    monkeypatch.setattr(notifier_module, "_default", notifier_module.AwsNotifier())
    boto3.client("sesv2").create_email_identity(EmailIdentity=notifier_module.DEFAULT_SENDER_EMAIL)
    clinic = make_clinic()
    with frozen_at(NOW):
        clinic.book(clinic.patient(), "2026-03-10T11:30:00-04:00")
    nightly = json.loads((EVENTS / "schedule-nightly.json").read_text())
    with frozen_at(datetime(2026, 3, 4, 7, 0, tzinfo=UTC)):
        assert app.nightly_planner(nightly, None)["locations"] == 1
    job = json.loads((EVENTS / "sqs-location-job.json").read_text())
    body = json.loads(job["Records"][0]["body"])
    job["Records"][0]["body"] = json.dumps({**body, "org": clinic.org, "location_id": clinic.location["id"]})
    with frozen_at(datetime(2026, 3, 4, 7, 0, tzinfo=UTC)):
        assert app.location_worker(job, None) == {"batchItemFailures": []}
    send = json.loads((EVENTS / "schedule-send.json").read_text())
    with frozen_at(datetime(2026, 3, 8, 15, 31, tzinfo=UTC)):
        assert app.send_due_messages(send, None)["sent"] == 2
    assert len(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages) == 1  # and one SMS


def test_schedules_are_valid_and_fire_in_the_local_scheduler():
    """moto and `chalice local` accept any expression: check ours, and that infra/jobs.py can fire them."""
    import re

    from infra.jobs import is_due

    schedules = {source.name: source.schedule_expression for source in app.app.event_sources
                 if hasattr(source, "schedule_expression")}
    assert schedules == {"nightly_planner": "cron(0 * * * ? *)", "send_due_messages": "rate(1 minute)"}
    fields = re.fullmatch(r"cron\((.*)\)", schedules["nightly_planner"]).group(1).split()
    assert len(fields) == 6 and "?" in (fields[2], fields[4])  # EventBridge: one of day-of-month/-week is ?
    at_seven = datetime(2026, 3, 4, 7, 0, 20, tzinfo=UTC)
    assert is_due("issue5-test-nightly", schedules["nightly_planner"], at_seven)
    assert is_due("issue5-test-send", schedules["send_due_messages"], at_seven)
