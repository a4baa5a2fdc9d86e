"""Per-location settings: versioned with ETag/If-Match, validated with the field named, group defaults that
locations override, and a change that re-plans only the reminders not yet sent."""

from datetime import UTC, datetime

from shared.clock import frozen_at
from shared.services import sender
from tests.factories import location_body, patient_body
from tests.helpers import StubNotifier

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
SEVEN_DAYS = datetime(2026, 3, 3, 16, 30, 30, tzinfo=UTC)  # the 7-day email of a visit on 10 March, 11:30 EDT


def patch(caller, path, body, version):
    return caller.patch(path, body, headers={"If-Match": f'"{version}"'})


def fields(response):
    return {detail["field"] for detail in response.data["error"]["details"]}


def test_settings_round_trip_with_etags_and_group_defaults_that_a_location_overrides(admin):
    location = admin.post("/locations", location_body()).data
    path = f"/locations/{location['id']}/settings"
    first = admin.get(path)
    assert first.status_code == 200 and first.headers["ETag"] == '"0"' and first.data["settings"] == {}
    assert first.data["effective"]["quiet_hours"] == {"start": "08:00", "end": "21:00"}
    assert admin.patch(path, {"sms_daily_cap": 0}).status_code == 428

    group = patch(admin, "/settings", {"working_days": ["mon", "tue", "wed", "thu"]}, 0)
    assert group.status_code == 200 and group.headers["ETag"] == '"1"'
    changed = patch(admin, path, {"quiet_hours": {"start": "09:00", "end": "19:00"}}, 0)
    assert changed.status_code == 200, changed.data
    assert changed.data["version"] == 1 and changed.headers["ETag"] == '"1"'
    again = admin.get(path).data
    assert again["settings"] == {"quiet_hours": {"start": "09:00", "end": "19:00"}}
    assert again["effective"]["working_days"] == ["mon", "tue", "wed", "thu"]  # from the group
    assert patch(admin, path, {"sms_daily_cap": 0}, 0).status_code == 412
    removed = patch(admin, path, {"quiet_hours": None}, 1)
    assert removed.data["effective"]["quiet_hours"] == {"start": "08:00", "end": "21:00"}
    coordinator = admin.as_(role="coordinator")
    assert coordinator.patch(path, {"sms_daily_cap": 0}, headers={"If-Match": '"2"'}).status_code == 403


def test_invalid_settings_get_400_with_the_field_named(admin):
    location = admin.post("/locations", location_body()).data
    path = f"/locations/{location['id']}/settings"
    too_long = "{practice}: " + "a very long reminder " * 6 + "on {when}. Call {phone}."
    cases = [
        ({"templates": {"reminder_2d": {"en": {"sms": too_long}}}}, "templates.reminder_2d.en.sms"),
        ({"quiet_hours": {"start": "20:00", "end": "09:00"}}, "quiet_hours"),
        ({"templates": {"reminder_2h": {"es": {"sms": "{practice}: {procedure} el {when}. {phone}"}}}},
         "templates.reminder_2h.es.sms"),
        ({"sms_daily_cap": 3, "sms_weekly_cap": 2}, "sms_weekly_cap"),
        ({"payment_terms": {"in_house_terms": [{"count": 0, "frequency": "monthly", "apr_bps": 0,
                                                 "down_payment_pct": 10}]}}, "payment_terms.in_house_terms[0].count"),
    ]
    for body, field in cases:
        answer = patch(admin, path, body, 0)
        assert answer.status_code == 400, (body, answer.data)
        assert field in fields(answer), (field, answer.data)
    assert admin.get(path).data["version"] == 0  # nothing was written


def test_a_schedule_change_replans_the_rows_not_yet_sent_and_leaves_sent_ones(admin):
    with frozen_at(NOW):
        location = admin.post("/locations", location_body()).data
        patient = admin.post("/patients", patient_body(location["id"], language="en")).data
        booked = admin.post("/appointments", {"patient_id": patient["id"], "start": "2026-03-10T11:30:00-04:00"})
    assert booked.status_code == 201, booked.data
    with frozen_at(SEVEN_DAYS):
        assert sender.run(SEVEN_DAYS, StubNotifier(), orgs=[admin.org]).sent == 1
        schedule = {"reminders": [{"kind": "reminder_7d", "days_before": 7, "channels": ["email"]},
                                  {"kind": "reminder_2d", "days_before": 3, "channels": ["sms"]}],
                    "templates": {"reminder_2d": {"en": {"sms": "{practice}: see you {when}! Call {phone}."}}}}
        assert patch(admin, f"/locations/{location['id']}/settings", schedule, 0).status_code == 200
    rows = {(m["kind"], m["channel"]): m for m in
            admin.get(f"/messages?appointment_id={booked.data['id']}").data["items"]}
    assert rows[("reminder_7d", "email")]["status"] == "sent"
    assert (rows[("reminder_2d", "sms")]["status"], rows[("reminder_2d", "sms")]["send_at"]) == (
        "planned", "2026-03-07T16:30:00.000Z")  # 3 days before, 11:30 EST
    assert {(k, r["status"], r["reason"]) for k, r in rows.items() if k[0] != "reminder_7d" and k != (
        "reminder_2d", "sms")} == {(("reminder_2d", "email"), "cancelled", "schedule_changed"),
                                   (("reminder_2h", "sms"), "cancelled", "schedule_changed")}
    stub, due = StubNotifier(), datetime(2026, 3, 7, 16, 30, 30, tzinfo=UTC)
    with frozen_at(due):
        assert sender.run(due, stub, orgs=[admin.org]).sent == 1
    assert stub.sent[0][2].startswith("Riverside Dental: see you Tue Mar 10, 11:30 AM! Call +15551230000.")


def test_many_locations_read_their_settings_by_query_and_few_by_key_alike(admin):
    """A group report reads the settings of many locations with one Query of the group's settings
    partition; a few by key. Both give each location its own override over the group's defaults."""
    from shared.services import settings
    from shared.store import settings as settings_store

    ids = [admin.post("/locations", location_body()).data["id"] for _ in range(settings_store.BY_KEY + 2)]
    assert patch(admin, "/settings", {"working_days": ["mon", "tue"]}, 0).status_code == 200
    assert patch(admin, f"/locations/{ids[3]}/settings", {"working_days": ["sat"]}, 0).status_code == 200
    many = settings.effective_for_many(admin.org, ids)  # more than BY_KEY: the Query
    few = settings.effective_for_many(admin.org, ids[2:5])  # by key
    assert [many[i].working_days for i in ids[2:5]] == [few[i].working_days for i in ids[2:5]]
    assert few[ids[3]].working_days != few[ids[2]].working_days == few[ids[4]].working_days
    assert set(many) == set(ids)
