"""Issue 11's outbox hygiene at send time: SMS caps per phone number (a family on one phone), and rows whose
moment passed before they could be sent end `expired` with a reason instead of waiting or suppressed."""

from datetime import UTC, datetime

from shared.clock import frozen_at
from shared.services import sender
from tests.helpers import StubNotifier

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
FAMILY_PHONE = "+15559990001"


def run(clinic, at, notifier):
    with frozen_at(at):
        return sender.run(at, notifier, orgs=[clinic.org])


def rows_of(clinic, appointment):
    return {(r["kind"], r["channel"]): (r["status"], r.get("reason")) for r in clinic.rows(appointment["id"])}


def test_a_family_on_one_phone_gets_one_text_a_day_though_each_booking_planned_its_own(store, make_clinic):
    clinic, stub = make_clinic(), StubNotifier()
    with frozen_at(NOW):  # booked one by one: each booking plans its rows without seeing the other's
        parent = clinic.book(clinic.patient(phone=FAMILY_PHONE), "2026-03-10T11:30:00-04:00")
        child = clinic.book(clinic.patient(phone=FAMILY_PHONE, first_name="Leo"), "2026-03-10T14:00:00-04:00")
    assert rows_of(clinic, child)[("reminder_2d", "sms")] == ("planned", None)

    assert run(clinic, datetime(2026, 3, 8, 15, 30, 30, tzinfo=UTC), stub).sent == 2  # the parent's 2-day ones
    later = run(clinic, datetime(2026, 3, 8, 18, 0, 30, tzinfo=UTC), stub)  # the child's, the same local day
    assert (later.sent, later.suppressed) == (1, 1)
    assert rows_of(clinic, child)[("reminder_2d", "sms")] == ("suppressed", "sms_daily_cap")
    assert rows_of(clinic, child)[("reminder_2d", "email")] == ("sent", None)
    assert [phone for channel, phone, _ in stub.sent if channel == "sms"] == [FAMILY_PHONE]
    assert rows_of(clinic, parent)[("reminder_2d", "sms")] == ("sent", None)


def test_a_reminder_whose_moment_passed_before_the_booking_is_expired_not_left_suppressed(store, make_clinic):
    clinic, stub = make_clinic(), StubNotifier()
    with frozen_at(datetime(2026, 3, 5, 15, 0, tzinfo=UTC)):  # booked 5 days ahead: the 7-day moment is gone
        appointment = clinic.book(clinic.patient(), "2026-03-10T11:30:00-04:00")
    rows = rows_of(clinic, appointment)
    assert rows[("reminder_7d", "email")] == ("expired", "passed_before_planned")
    assert {status for status, _ in rows.values()} == {"expired", "planned"}
    assert run(clinic, datetime(2026, 3, 8, 15, 30, 30, tzinfo=UTC), stub).sent == 2
    assert sorted(channel for channel, _, _ in stub.sent) == ["email", "sms"]  # the 2-day ones, nothing late


def test_a_late_run_in_quiet_hours_that_last_until_the_visit_expires_the_reminder(store, make_clinic):
    clinic, stub = make_clinic(), StubNotifier()
    with frozen_at(NOW):  # 07:30: the 2-hour SMS (05:30) moves before quiet hours, to 20:59 the evening before
        appointment = clinic.book(clinic.patient(), "2026-03-11T07:30:00-04:00")
    late = datetime(2026, 3, 11, 1, 30, tzinfo=UTC)  # 21:30 EDT: quiet until 08:00, after the visit began
    assert run(clinic, late, stub).expired == 1
    assert rows_of(clinic, appointment)[("reminder_2h", "sms")] == ("expired", "quiet_until_appointment")
    assert stub.sent == []


def test_the_cap_counts_the_number_a_patient_has_now_not_the_one_their_rows_were_planned_for(store, make_clinic):
    clinic, stub = make_clinic(), StubNotifier()
    with frozen_at(NOW):
        clinic.book(clinic.patient(phone=FAMILY_PHONE), "2026-03-10T11:30:00-04:00")
        moved = clinic.patient(first_name="Leo")
        child = clinic.book(moved, "2026-03-10T14:00:00-04:00")
    clinic.set_patient(moved["id"], phone=FAMILY_PHONE)  # after planning: the rows name the old number
    assert run(clinic, datetime(2026, 3, 8, 15, 30, 30, tzinfo=UTC), stub).sent == 2
    assert run(clinic, datetime(2026, 3, 8, 18, 0, 30, tzinfo=UTC), stub).suppressed == 1
    assert rows_of(clinic, child)[("reminder_2d", "sms")] == ("suppressed", "sms_daily_cap")
