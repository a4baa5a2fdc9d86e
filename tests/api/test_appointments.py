from datetime import UTC, datetime

import pytest

from shared.clock import frozen_at
from tests.factories import location_body, patient_body, plan_body

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York


@pytest.fixture
def clock():
    with frozen_at(NOW):
        yield NOW


@pytest.fixture
def location(admin):
    return admin.post("/locations", location_body()).data


@pytest.fixture
def patient(admin, location):
    return admin.post("/patients", patient_body(location["id"])).data


def book(caller, patient, start="2026-03-10T09:30:00-04:00", **extra):
    return caller.post("/appointments", {"patient_id": patient["id"], "start": start, "duration_minutes": 60, **extra})


def test_booking_reads_back_in_local_time_and_plans_its_reminders(admin, clock, location, patient):
    made = book(admin, patient, start="2026-03-10T13:30:00Z")
    assert made.status_code == 201, made.data
    apt = made.data
    assert made.headers["ETag"] == '"1"'
    assert apt["start"] == "2026-03-10T09:30:00-04:00" and apt["start_utc"] == "2026-03-10T13:30:00.000Z"
    assert apt["status"] == "scheduled" and apt["location_id"] == location["id"]
    assert admin.get(f"/appointments/{apt['id']}").data["start"] == apt["start"]

    day = admin.get(f"/appointments?location_id={location['id']}&date=2026-03-10").data
    assert [item["id"] for item in day["items"]] == [apt["id"]]
    assert admin.get(f"/appointments?location_id={location['id']}&date=2026-03-11").data["items"] == []
    assert [i["id"] for i in admin.get(f"/appointments?patient_id={patient['id']}").data["items"]] == [apt["id"]]

    messages = admin.get(f"/messages?appointment_id={apt['id']}").data["items"]
    assert sorted((m["kind"], m["channel"], m["send_at"], m["status"]) for m in messages) == [
        ("reminder_2d", "email", "2026-03-08T13:30:00.000Z", "planned"),  # DST began on the 8th: 09:30 EDT
        ("reminder_2d", "sms", "2026-03-08T13:30:00.000Z", "planned"),
        ("reminder_2h", "sms", "2026-03-10T00:59:00.000Z", "planned"),  # 07:30 is quiet: 20:59 the day before
        ("reminder_7d", "email", "2026-03-03T14:30:00.000Z", "planned"),  # 09:30 EST
    ]
    listed = admin.get(f"/messages?location_id={location['id']}&date=2026-03-08").data["items"]
    assert {m["kind"] for m in listed} == {"reminder_2d"}


def test_double_booking_the_same_patient_is_refused_with_409(admin, clock, location, patient):
    first = book(admin, patient).data
    overlapping = book(admin, patient, start="2026-03-10T10:00:00-04:00")
    assert overlapping.status_code == 409
    assert overlapping.data["error"]["details"] == [{"field": "start", "message": f"overlaps {first['id']}"}]
    assert book(admin, patient, start="2026-03-10T10:30:00-04:00").status_code == 201  # starts as the first ends
    other = admin.post("/patients", patient_body(location["id"], first_name="Luis")).data
    assert book(admin, other).status_code == 201  # another patient at the same time is fine

    assert admin.post(f"/appointments/{first['id']}/cancel", {}).status_code == 200
    assert book(admin, patient, start="2026-03-10T09:00:00-04:00", duration_minutes=90).status_code == 201


def test_reschedule_needs_if_match_and_replans_reminders_at_once(admin, clock, location, patient):
    apt = book(admin, patient).data
    admin.post(f"/appointments/{apt['id']}/confirm")
    assert admin.patch(f"/appointments/{apt['id']}", {"start": "2026-03-12T15:00:00-04:00"}).status_code == 428
    stale = admin.patch(f"/appointments/{apt['id']}", {"start": "2026-03-12T15:00:00-04:00"},
                        headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    moved = admin.patch(f"/appointments/{apt['id']}", {"start": "2026-03-12T15:00:00-04:00"},
                        headers={"If-Match": '"2"'})
    assert moved.status_code == 200, moved.data
    assert moved.data["status"] == "scheduled" and moved.data["start"] == "2026-03-12T15:00:00-04:00"
    assert moved.headers["ETag"] == '"3"'
    rows = admin.get(f"/messages?appointment_id={apt['id']}").data["items"]
    assert sorted((r["kind"], r["channel"], r["status"], r.get("reason")) for r in rows) == sorted(
        [(k, c, "cancelled", "rescheduled") for k, c in REMINDERS] + [(k, c, "planned", None) for k, c in REMINDERS])
    assert {r["send_at"] for r in rows if r["status"] == "planned"} >= {"2026-03-12T17:00:00.000Z"}

    notes = admin.patch(f"/appointments/{apt['id']}", {"notes": "prefers mornings"}, headers={"If-Match": '"3"'})
    assert notes.status_code == 200 and notes.data["notes"] == "prefers mornings"
    assert len(admin.get(f"/messages?appointment_id={apt['id']}").data["items"]) == 8  # notes re-plan nothing


REMINDERS = [("reminder_7d", "email"), ("reminder_2d", "email"), ("reminder_2d", "sms"), ("reminder_2h", "sms")]


def test_booking_schedules_plan_steps_and_completion_completes_them(admin, clock, location, patient):
    plan = admin.post("/plans", plan_body(patient["id"])).data
    presented = admin.post(f"/plans/{plan['id']}/present", {}).data
    admin.post(f"/plans/{plan['id']}/accept", {"signer_name": "Ana", "version": presented["version"]})
    steps = [s["id"] for phase in presented["phases"] for s in phase["steps"]]

    apt = book(admin, patient, plan_id=plan["id"], step_ids=steps[:2]).data
    after_booking = admin.get(f"/plans/{plan['id']}").data
    assert after_booking["status"] == "scheduled"
    assert [s["status"] for ph in after_booking["phases"] for s in ph["steps"]] == ["scheduled", "scheduled", "pending"]
    again = book(admin, patient, start="2026-03-20T09:00:00-04:00", plan_id=plan["id"], step_ids=steps[:1])
    assert again.status_code == 422  # a step is carried by one appointment at a time

    assert admin.post(f"/appointments/{apt['id']}/arrive").data["status"] == "arrived"
    with frozen_at(datetime(2026, 3, 10, 15, 0, tzinfo=UTC)):
        done = admin.post(f"/appointments/{apt['id']}/complete")
    assert done.status_code == 200 and done.data["status"] == "completed"
    completed = admin.get(f"/plans/{plan['id']}").data
    assert completed["status"] == "in_progress"
    assert [s["status"] for ph in completed["phases"] for s in ph["steps"]] == ["completed", "completed", "pending"]
    ledger = admin.get(f"/plans/{plan['id']}/ledger").data
    charged = {entry["step_id"] for entry in ledger["entries"] if entry["kind"] == "charge"}
    assert charged == set(steps[:2])  # posted in the completion's transaction, for the completed steps only
    rows = admin.get(f"/messages?appointment_id={apt['id']}").data["items"]
    assert {r["status"] for r in rows} == {"cancelled"}  # arrival called off the reminders still waiting
    assert admin.post(f"/appointments/{apt['id']}/cancel", {}).status_code == 422


def test_cancellation_notice_decides_d9987_or_d9986_with_a_follow_up(admin, clock, location, patient):
    early = book(admin, patient).data
    cancelled = admin.post(f"/appointments/{early['id']}/cancel", {"reason": "travel"}).data
    assert (cancelled["status"], cancelled["missed_code"], cancelled["cancel_reason"]) == ("cancelled", "D9987",
                                                                                           "travel")
    assert admin.get(f"/followups?location_id={location['id']}").data["items"] == []

    late = book(admin, patient, start="2026-03-03T09:00:00-05:00").data  # tomorrow morning
    cancelled = admin.post(f"/appointments/{late['id']}/cancel", {}).data
    assert cancelled["missed_code"] == "D9986" and cancelled["repeat_no_show"] is False
    tasks = admin.get(f"/followups?location_id={location['id']}&kind=no_show&status=open").data["items"]
    assert [(t["kind"], t["appointment_id"], t["due_date"], t["owner"]) for t in tasks] == [
        ("no_show", late["id"], "2026-03-02", "user-1")]
    with frozen_at(datetime(2026, 3, 3, 20, 0, tzinfo=UTC)):
        kpis = admin.get(f"/kpis?location_id={location['id']}&from=2026-03-01&to=2026-03-03").data
    assert kpis["locations"][0]["figures"]["no_show_rate"]["late_cancellations"] == 1  # on the visit's day
    rebook = [m for m in admin.get(f"/messages?appointment_id={late['id']}").data["items"]
              if m["kind"] == "no_show_rebook"]
    assert [(m["channel"], m["send_at"], m["status"]) for m in rebook] == [("sms", "2026-03-03T15:00:00.000Z",
                                                                            "planned")]


def test_no_show_after_the_start_and_a_second_one_in_60_days_is_flagged(admin, clock, location, patient):
    first = book(admin, patient, start="2026-03-03T09:00:00-05:00").data
    early = admin.post(f"/appointments/{first['id']}/no-show")
    assert early.status_code == 422 and "no-show" in early.data["error"]["message"]
    with frozen_at(datetime(2026, 3, 3, 15, 0, tzinfo=UTC)):
        missed = admin.post(f"/appointments/{first['id']}/no-show").data
        assert (missed["status"], missed["missed_code"], missed["repeat_no_show"]) == ("no_show", "D9986", False)
        second = book(admin, patient, start="2026-03-20T09:00:00-04:00").data
    with frozen_at(datetime(2026, 3, 20, 15, 0, tzinfo=UTC)):
        assert admin.post(f"/appointments/{second['id']}/no-show").data["repeat_no_show"] is True
    tasks = admin.get(f"/followups?location_id={location['id']}&kind=no_show").data["items"]
    assert sorted(t["repeat_no_show"] for t in tasks) == [False, True]
    with frozen_at(datetime(2026, 3, 20, 15, 0, tzinfo=UTC)):
        kpis = admin.get(f"/kpis?location_id={location['id']}&from=2026-03-01&to=2026-03-20").data
    rate = kpis["locations"][0]["figures"]["no_show_rate"]
    assert (rate["no_shows"], rate["late_cancellations"], rate["completed"]) == (2, 0, 0)


def test_lifecycle_refusals_and_access(admin, clock, location, patient):
    apt = book(admin, patient).data
    assert book(admin, patient, start="2026-03-01T09:00:00-05:00").status_code == 422  # in the past
    assert admin.post(f"/appointments/{apt['id']}/confirm").data["status"] == "confirmed"
    assert admin.post(f"/appointments/{apt['id']}/confirm").data["version"] == 2  # confirming again: no change
    admin.post(f"/appointments/{apt['id']}/cancel", {})
    refused = admin.post(f"/appointments/{apt['id']}/confirm")
    assert refused.status_code == 422 and "appointment lifecycle" in refused.data["error"]["message"]

    assert admin.as_(org="org_someoneelse").get(f"/appointments/{apt['id']}").status_code == 404
    assert admin.as_(role="front_desk", locations=["loc_00000000000000000000000000"]).get(
        f"/appointments/{apt['id']}").status_code == 404
    assert admin.as_(role="readonly").post(f"/appointments/{apt['id']}/confirm").status_code == 403
    assert admin.get("/appointments").status_code == 400
    missing_offset = book(admin, patient, start="2026-03-10T09:30:00")
    assert missing_offset.status_code == 400
