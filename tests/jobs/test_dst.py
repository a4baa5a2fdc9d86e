"""Reminder times across daylight-saving changes, far time zones and quiet hours, with the clock set here.

"N days before" keeps the local wall-clock time across a DST change (so the UTC instant moves by an
hour); "2 hours before" is elapsed time; a send time inside quiet hours moves to the latest allowed
minute before it.
"""

from datetime import UTC, datetime

import pytest

from shared.clock import frozen_at
from shared.services import planner


def sends(clinic, appointment):
    return {(row["kind"], row["channel"]): (row["send_at"], row["status"], row.get("reason"))
            for row in clinic.rows(appointment_id=appointment["id"])}


@pytest.mark.parametrize(("tz", "now", "start", "expected"), [
    pytest.param("America/New_York", "2026-03-01T15:00:00Z", "2026-03-10T11:30:00-04:00", {
        ("reminder_7d", "email"): "2026-03-03T16:30:00.000Z",  # 11:30 EST, before the change
        ("reminder_2d", "email"): "2026-03-08T15:30:00.000Z",  # 11:30 EDT on the day clocks went forward
        ("reminder_2d", "sms"): "2026-03-08T15:30:00.000Z",
        ("reminder_2h", "sms"): "2026-03-10T13:30:00.000Z",
    }, id="new-york-spring-forward"),
    pytest.param("America/New_York", "2026-10-20T15:00:00Z", "2026-11-03T11:30:00-05:00", {
        ("reminder_7d", "email"): "2026-10-27T15:30:00.000Z",  # 11:30 EDT
        ("reminder_2d", "email"): "2026-11-01T16:30:00.000Z",  # 11:30 EST on the day clocks went back
        ("reminder_2d", "sms"): "2026-11-01T16:30:00.000Z",
        ("reminder_2h", "sms"): "2026-11-03T14:30:00.000Z",
    }, id="new-york-fall-back"),
    pytest.param("Europe/London", "2026-03-20T12:00:00Z", "2026-03-31T10:00:00+01:00", {
        ("reminder_7d", "email"): "2026-03-24T10:00:00.000Z",  # 10:00 GMT
        ("reminder_2d", "email"): "2026-03-29T09:00:00.000Z",  # 10:00 BST, the day British Summer Time began
        ("reminder_2d", "sms"): "2026-03-29T09:00:00.000Z",
        ("reminder_2h", "sms"): "2026-03-31T07:00:00.000Z",  # 08:00 BST: the first allowed minute, kept
    }, id="london-spring-forward"),
    pytest.param("Europe/London", "2026-10-15T12:00:00Z", "2026-10-27T10:00:00+00:00", {
        ("reminder_7d", "email"): "2026-10-20T09:00:00.000Z",  # 10:00 BST
        ("reminder_2d", "email"): "2026-10-25T10:00:00.000Z",  # 10:00 GMT, the day it ended
        ("reminder_2d", "sms"): "2026-10-25T10:00:00.000Z",
        ("reminder_2h", "sms"): "2026-10-27T08:00:00.000Z",
    }, id="london-fall-back"),
    pytest.param("Pacific/Auckland", "2026-03-25T00:00:00Z", "2026-04-07T09:00:00+12:00", {
        ("reminder_7d", "email"): "2026-03-30T20:00:00.000Z",  # 09:00 NZDT (UTC+13), a UTC day earlier
        ("reminder_2d", "email"): "2026-04-04T21:00:00.000Z",  # 09:00 NZST on the day daylight time ended
        ("reminder_2d", "sms"): "2026-04-04T21:00:00.000Z",
        ("reminder_2h", "sms"): "2026-04-06T08:59:00.000Z",  # 07:00 is quiet: 20:59 NZST the evening before
    }, id="auckland-daylight-ends"),
])
def test_reminders_keep_local_wall_clock_across_dst(store, make_clinic, tz, now, start, expected):
    clinic = make_clinic(tz)
    with frozen_at(datetime.fromisoformat(now)):
        appointment = clinic.book(clinic.patient(), start)
    assert {key: value[0] for key, value in sends(clinic, appointment).items()} == expected
    assert {value[1] for value in sends(clinic, appointment).values()} == {"planned"}


def test_an_0830_appointment_gets_its_2h_reminder_the_evening_before(store, make_clinic):
    clinic = make_clinic("America/New_York")
    with frozen_at(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)):
        appointment = clinic.book(clinic.patient(), "2026-03-12T08:30:00-04:00")
    rows = sends(clinic, appointment)
    assert rows[("reminder_2h", "sms")] == ("2026-03-12T00:59:00.000Z", "planned", None)  # 20:59 EDT on the 11th
    assert rows[("reminder_2d", "sms")] == ("2026-03-10T12:30:00.000Z", "planned", None)  # 08:30: allowed


def test_stricter_quiet_hours_of_a_location_move_reminders_earlier(store, make_clinic):
    clinic = make_clinic("America/New_York", quiet_hours={"start": "09:00", "end": "20:00"})
    with frozen_at(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)):
        appointment = clinic.book(clinic.patient(), "2026-03-12T08:30:00-04:00")
    rows = sends(clinic, appointment)
    assert rows[("reminder_2d", "sms")][0] == "2026-03-09T23:59:00.000Z"  # 19:59 EDT the day before
    assert rows[("reminder_2h", "sms")][0] == "2026-03-11T23:59:00.000Z"


def test_auckland_planning_window_is_in_local_dates(store, make_clinic):
    """At 08:00 NZDT on March 30 (still March 29 in UTC) the window is March 30 to April 7, local."""
    clinic = make_clinic("Pacific/Auckland")
    with frozen_at(datetime(2026, 3, 20, 0, 0, tzinfo=UTC)):
        patient = clinic.patient()
        clinic.book(patient, "2026-04-07T23:00:00+12:00")  # last local day of the window, 11 UTC on the 7th
        clinic.book(patient, "2026-04-08T09:00:00+12:00")  # one local day beyond it (still the 7th in UTC)
        clinic.book(patient, "2026-03-30T10:00:00+13:00")  # today, local
    with frozen_at(datetime(2026, 3, 29, 19, 0, tzinfo=UTC)):
        outcome = planner.run_location_job(clinic.org, clinic.location["id"], datetime(2026, 3, 29, 19, tzinfo=UTC))
    assert outcome["appointments"] == 2
    assert outcome["written"] == 0  # booking planned them already; the nightly run finds nothing to change
