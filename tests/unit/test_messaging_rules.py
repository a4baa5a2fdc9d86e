"""Outbox expiry, SMS caps per phone and per patient, the 02:00-local job, and month arithmetic."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.domain.installments import build_schedule, due_dates
from shared.domain.local_jobs import runs_at
from shared.domain.outbox_expiry import ExpiryReason, expiry_reason
from shared.domain.payment_options import PaymentPolicy, payment_options
from shared.domain.sms_caps import CapReason, Caps, CountedSms, SmsCandidate, allocate

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
H = timedelta(hours=1)
NY = "America/New_York"


def test_a_7_day_reminder_expires_once_the_2_day_one_is_due():
    start = NOW + timedelta(days=2) - H
    week_before, two_days_before = start - timedelta(days=7), start - timedelta(days=2)
    assert expiry_reason("reminder_7d", week_before, NOW, appointment_start=start,
                         sibling_send_ats=[two_days_before]) == ExpiryReason.SUPERSEDED
    # the 2-day rows themselves (email and SMS at the same instant) do not supersede each other
    assert expiry_reason("reminder_2d", two_days_before, NOW, appointment_start=start,
                         sibling_send_ats=[week_before, two_days_before, start - 2 * H]) is None


def test_rows_beyond_their_kinds_grace_expire_and_nothing_goes_after_the_visit():
    assert expiry_reason("reminder_2h", NOW - 61 * timedelta(minutes=1), NOW) == ExpiryReason.LATE
    assert expiry_reason("reminder_2h", NOW - 59 * timedelta(minutes=1), NOW) is None
    assert expiry_reason("no_show_rebook", NOW - timedelta(hours=30), NOW) is None
    assert expiry_reason("reminder_2h", NOW - 30 * timedelta(minutes=1), NOW,
                         appointment_start=NOW) == ExpiryReason.APPOINTMENT_PASSED


def sms(ident, patient, send_at, start=None, phone="+15550001111"):
    return SmsCandidate(ident, patient, phone, send_at, start)


def test_a_family_on_one_phone_gets_one_sms_a_day_and_the_nearer_appointment_wins():
    morning = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    verdicts = allocate([sms("later", "pat_a", morning, start=morning + timedelta(days=2)),
                         sms("nearer", "pat_b", morning + H, start=morning + 3 * H)], [], Caps(), NY)
    assert verdicts == {"nearer": None, "later": CapReason.SMS_DAILY_CAP}


def test_caps_count_per_patient_across_numbers_and_per_number_across_patients():
    day = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    counted = [CountedSms("pat_a", "+15550002222", day - H)]
    verdicts = allocate([sms("same_patient_other_phone", "pat_a", day),
                         sms("other_patient", "pat_c", day, phone="+15550003333")], counted, Caps(), NY)
    assert verdicts == {"same_patient_other_phone": CapReason.SMS_DAILY_CAP, "other_patient": None}
    week = [CountedSms("pat_x", "+15550001111", day - timedelta(days=n)) for n in (1, 2, 3)]
    assert allocate([sms("fourth", "pat_y", day)], week, Caps(), NY) == {"fourth": CapReason.SMS_WEEKLY_CAP}


def local_runs(tz_name, first_utc, last_utc):
    ticks = [first_utc + n * H for n in range(int((last_utc - first_utc) / H) + 1)]
    return [tick.astimezone(ZoneInfo(tz_name)) for tick in ticks if runs_at(tz_name, tick + timedelta(minutes=3))]


@pytest.mark.parametrize(("tz_name", "day", "local_time"), [
    ("America/Los_Angeles", date(2026, 3, 8), time(3, 0)),   # 02:00 skipped: the 03:00 tick
    ("America/Los_Angeles", date(2026, 11, 1), time(2, 0)),  # 01:00 repeats; 02:00 once
    ("Europe/London", date(2026, 3, 29), time(2, 0)),        # 01:00 skipped
    ("Europe/London", date(2026, 10, 25), time(2, 0)),       # 01:00 repeats
    ("Pacific/Auckland", date(2026, 4, 5), time(2, 0)),      # 02:00 shown twice: the first only
    ("Pacific/Auckland", date(2026, 9, 27), time(3, 0)),     # 02:00 skipped
    ("Asia/Kathmandu", date(2026, 6, 1), time(2, 45)),       # a quarter-hour zone
])
def test_each_location_runs_once_per_local_day_at_2_local_including_dst_change_days(tz_name, day, local_time):
    first = datetime.combine(day - timedelta(days=2), time(), UTC)
    runs = local_runs(tz_name, first, first + timedelta(days=5))
    dates = [run.date() for run in runs]
    assert len(dates) == len(set(dates)) and day in dates
    (on_the_day,) = [run for run in runs if run.date() == day]
    assert on_the_day.time() == local_time
    assert all(run.time() >= time(2) for run in runs)


def test_month_arithmetic_clamps_per_month_and_never_carries_the_clamp():
    assert due_dates(date(2026, 1, 31), 4, "monthly") == [date(2026, 1, 31), date(2026, 2, 28),
                                                          date(2026, 3, 31), date(2026, 4, 30)]
    # A first installment one month after Jan 31 is Feb 28; the next is Mar 31 (issue 11), not Mar 28.
    schedule = build_schedule(30000, 0, 3, "monthly", 0, date(2026, 2, 28), month_day=31)
    assert [i.due_date for i in schedule.installments] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    options = payment_options(120000, 0, PaymentPolicy(), date(2026, 1, 31))
    assert options["in_house"][0]["first_due_date"] == "2026-02-28"
