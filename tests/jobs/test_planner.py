"""The nightly planner and its per-location jobs: suppression with reasons, SMS caps, idempotence,
concurrent workers, and the fan-out (inline and through SQS)."""

import json
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest

from functions import jobs
from shared.clock import frozen_at
from shared.services import outbox, planner
from shared.store import outbox as outbox_store
from tests.helpers import FULL_CONSENT

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # Sunday 10:00 in New York
NIGHT = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)  # the nightly run three days later (02:00 EST)


def by_kind(rows):
    return {(row["kind"], row["channel"]): (row["status"], row.get("reason")) for row in rows}


def test_opted_out_bounced_consentless_and_unreachable_patients_are_suppressed_with_the_reason(store, make_clinic):
    clinic = make_clinic()
    with frozen_at(NOW):
        opted_out, bounced = clinic.patient(), clinic.patient()
        consentless, no_phone = clinic.patient(consent={}), clinic.patient(phone=None)
        clinic.set_patient(opted_out["id"], sms_opted_out=True)
        clinic.set_patient(bounced["id"], email_suppressed=True, email_suppressed_address=bounced["email"])
        booked = {name: clinic.book(patient, f"2026-03-{10 + i}T11:00:00-04:00")
                  for i, (name, patient) in enumerate(
                      [("opted_out", opted_out), ("bounced", bounced), ("consentless", consentless),
                       ("no_phone", no_phone)])}
    rows = {name: by_kind(clinic.rows(appointment_id=appointment["id"])) for name, appointment in booked.items()}
    email, sms = ("planned", None), ("planned", None)
    assert rows["opted_out"] == {("reminder_7d", "email"): email, ("reminder_2d", "email"): email,
                                 ("reminder_2d", "sms"): ("suppressed", "opted_out"),
                                 ("reminder_2h", "sms"): ("suppressed", "opted_out")}
    assert rows["bounced"] == {("reminder_7d", "email"): ("suppressed", "bounced"),
                               ("reminder_2d", "email"): ("suppressed", "bounced"),
                               ("reminder_2d", "sms"): sms, ("reminder_2h", "sms"): sms}
    assert set(rows["consentless"].values()) == {("suppressed", "no_consent")}
    assert rows["no_phone"][("reminder_2d", "sms")] == ("suppressed", "no_address")

    # A new email address is reachable again: the nightly run re-plans the bounced patient's email.
    clinic.set_patient(bounced["id"], email="new.address@example.com")
    with frozen_at(NIGHT):
        planner.run_location_job(clinic.org, clinic.location["id"], NIGHT)
    assert by_kind(clinic.rows(appointment_id=booked["bounced"]["id"]))[("reminder_2d", "email")] == email


def test_a_fourth_sms_in_one_week_is_suppressed_and_a_second_in_one_day(store, make_clinic):
    clinic = make_clinic()
    with frozen_at(NOW):
        patient = clinic.patient()
        first = clinic.book(patient, "2026-03-10T14:00:00-04:00")  # SMS Sun 8th 14:00 and Tue 10th 12:00
        second = clinic.book(patient, "2026-03-13T14:00:00-04:00")  # SMS Wed 11th 14:00 and Fri 13th 12:00
        other = clinic.patient()
        morning = clinic.book(other, "2026-03-10T09:00:00-04:00")  # 2h reminder 20:59 on the 9th
        evening = clinic.book(other, "2026-03-09T18:00:00-04:00")  # 2h reminder 16:00 on the 9th: same day
    assert by_kind(clinic.rows(appointment_id=first["id"]))[("reminder_2h", "sms")] == ("planned", None)
    second_rows = by_kind(clinic.rows(appointment_id=second["id"]))
    assert second_rows[("reminder_2d", "sms")] == ("planned", None)  # the third in seven days
    assert second_rows[("reminder_2h", "sms")] == ("suppressed", "sms_weekly_cap")  # the fourth
    assert by_kind(clinic.rows(appointment_id=morning["id"]))[("reminder_2h", "sms")] == ("planned", None)
    assert by_kind(clinic.rows(appointment_id=evening["id"]))[("reminder_2h", "sms")] == ("suppressed",
                                                                                          "sms_daily_cap")
    with frozen_at(NIGHT):  # re-planning counts the same way: nothing moves
        assert planner.run_location_job(clinic.org, clinic.location["id"], NIGHT)["written"] == 0


def _book_unplanned(monkeypatch, clinic, count):
    """Appointments whose reminders were never planned (as if booking had died before planning)."""
    monkeypatch.setattr(outbox, "plan_patient_reminders", lambda *args, **kwargs: outbox.PlanOutcome())
    with frozen_at(NOW):
        made = [clinic.book(clinic.patient(), f"2026-03-{5 + i % 4:02d}T{10 + i // 4}:00:00-05:00")
                for i in range(count)]
    monkeypatch.undo()
    return made


@pytest.mark.ddblocal  # threads: moto's in-memory DynamoDB is not thread-safe (a Query can see a dict change)
def test_planner_run_twice_and_by_concurrent_workers_leaves_one_row_per_message(ddblocal_store, make_clinic,
                                                                               monkeypatch):
    clinic = make_clinic()
    booked = _book_unplanned(monkeypatch, clinic, 8)
    assert clinic.rows(appointment_id=booked[0]["id"]) == []
    results, errors = [], []

    def work():
        try:
            results.append(planner.run_location_job(clinic.org, clinic.location["id"], NIGHT))
        except Exception as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    with frozen_at(NIGHT):  # the clock is process-wide: set it once, around all the workers
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert {result["appointments"] for result in results} == {8}
    rows = [row for appointment in booked for row in clinic.rows(appointment_id=appointment["id"])]
    assert len(rows) == len({row["id"] for row in rows}) == 8 * 4
    # 7-day reminders of appointments 4 to 7 days after "now" were already past when planned: expired.
    assert {row["status"] for row in rows} == {"planned", "expired"}
    with frozen_at(NIGHT):
        again = planner.run_location_job(clinic.org, clinic.location["id"], NIGHT)
    assert again["written"] == 0
    assert [row for appointment in booked for row in clinic.rows(appointment_id=appointment["id"])] == rows


def test_nightly_fan_out_inline_runs_every_registered_location(moto_store, org, make_clinic, monkeypatch):
    monkeypatch.delenv(jobs.QUEUE_URL_ENV, raising=False)
    clinics = [make_clinic("America/New_York"), make_clinic("Europe/London")]
    with frozen_at(NOW):
        for clinic in clinics:
            clinic.book(clinic.patient(), "2026-03-06T11:00:00-05:00")
    with frozen_at(NIGHT):
        result = jobs.nightly_planner({})
    assert result["fanout"] == "inline" and result["locations"] == 2 and result["failed_locations"] == 0
    assert result["appointments"] == 2


def test_the_hourly_planner_runs_each_location_at_2_local_on_dst_change_days(moto_store, org, make_clinic,
                                                                            monkeypatch):
    """Issue 11: one run at 07:00 UTC was 23:00 the day before in Los Angeles. Each location's job now runs at
    02:00 local (03:00 when the clock skips 02:00), once per local date, DST change days included."""
    monkeypatch.delenv(jobs.QUEUE_URL_ENV, raising=False)
    zones = ("America/Los_Angeles", "Europe/London", "Pacific/Auckland")
    clinics = {make_clinic(tz).location["id"]: tz for tz in zones}
    first = datetime(2026, 3, 7, 0, 0, 20, tzinfo=UTC)  # Los Angeles springs forward on Sunday 8 March
    runs: dict[str, list[datetime]] = {location_id: [] for location_id in clinics}
    for hour in range(72):
        tick = first + timedelta(hours=hour)
        for job in planner.location_jobs(tick):
            runs[job["location_id"]].append(tick.astimezone(ZoneInfo(clinics[job["location_id"]])))
    for local_runs in runs.values():
        assert len({run.date() for run in local_runs}) == len(local_runs) >= 2
        assert all(run.hour == 2 or (run.hour == 3 and run.date().isoformat() == "2026-03-08") for run in local_runs)
    la_sunday = datetime(2026, 3, 8, 10, 0, 20, tzinfo=UTC)  # 03:00 PDT: 02:00 never showed
    scheduled = {"detail-type": "Scheduled Event", "time": "2026-03-08T10:00:00Z", "detail": {}}
    with frozen_at(la_sunday):
        assert jobs.nightly_planner(scheduled)["locations"] == 1
        assert jobs.nightly_planner({**scheduled, "detail": {"all_locations": True}})["locations"] == 3


def test_a_family_on_one_phone_gets_one_sms_a_day_and_the_nearer_appointment_wins(store, make_clinic):
    """Issue 11: the SMS caps counted per patient, so a family sharing a phone got several texts a day."""
    clinic = make_clinic()
    with frozen_at(NOW):
        later = clinic.book(clinic.patient(phone="+15550188000"), "2026-03-10T15:00:00-04:00")
        sooner = clinic.book(clinic.patient(phone="+15550188000"), "2026-03-10T11:30:00-04:00")
    night = datetime(2026, 3, 7, 7, 0, tzinfo=UTC)
    with frozen_at(night):
        planner.run_location_job(clinic.org, clinic.location["id"], night)
    sms = {appointment: {r["kind"]: (r["status"], r.get("reason")) for r in clinic.rows(appointment_id=appointment)
                         if r["channel"] == "sms"} for appointment in (sooner["id"], later["id"])}
    assert sms[sooner["id"]] == {"reminder_2d": ("planned", None), "reminder_2h": ("planned", None)}
    assert sms[later["id"]] == {"reminder_2d": ("suppressed", "sms_daily_cap"),
                                "reminder_2h": ("suppressed", "sms_daily_cap")}


def test_nightly_fan_out_through_sqs_and_a_partial_batch_failure(moto_store, org, make_clinic, monkeypatch):
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="location-jobs")["QueueUrl"]
    monkeypatch.setenv(jobs.QUEUE_URL_ENV, queue_url)
    clinics = [make_clinic() for _ in range(3)]
    with frozen_at(NIGHT):
        assert jobs.nightly_planner({}) == {"locations": 3, "fanout": "sqs"}
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(json.loads(m["Body"])["location_id"] for m in received) == sorted(c.location["id"] for c in clinics)
    records = [{"messageId": m["MessageId"], "body": m["Body"]} for m in received]
    records.append({"messageId": "broken-1", "body": "{not json"})
    with frozen_at(NIGHT):
        answer = jobs.location_worker(records)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "broken-1"}]}


def test_past_rows_already_planned_are_left_for_the_sender(store, make_clinic):
    """A row whose time passed while it waited is never turned into a 'past' suppression by a re-plan."""
    clinic = make_clinic()
    with frozen_at(NOW):
        appointment = clinic.book(clinic.patient(consent=FULL_CONSENT), "2026-03-09T11:00:00-04:00")
    later = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # after the 7-day reminder's time (Mar 2, 16:00Z)
    with frozen_at(later):
        planner.run_location_job(clinic.org, clinic.location["id"], later)
    row = [r for r in clinic.rows(appointment_id=appointment["id"]) if r["kind"] == "reminder_7d"][0]
    assert (row["status"], row["send_at"]) == ("planned", "2026-03-02T16:00:00.000Z")
    assert outbox_store.get(clinic.org, row["id"]).status == "planned"
