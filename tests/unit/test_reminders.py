import hashlib
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.domain.quiet_hours import QuietHours
from shared.domain.reminders import (
    AppointmentRef,
    Channel,
    ContactPrefs,
    ExistingSms,
    LocationSettings,
    MessageRequest,
    MessageStatus,
    MessagingContext,
    Purpose,
    SuppressionReason,
    message_id,
    plan_message,
    plan_messages,
    plan_reminders,
)
from shared.errors import InvalidInput

NY = "America/New_York"
ALL_CONSENTS = frozenset((channel, purpose) for channel in Channel for purpose in Purpose)


def local(tz_name: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz_name))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def location(tz_name: str = NY, **overrides) -> LocationSettings:
    return LocationSettings(
        id="loc_1", tz_name=tz_name, name="Bright Smiles", phone="(555) 010-2000", **overrides
    )


def prefs(**overrides) -> ContactPrefs:
    values = {"has_email": True, "has_phone": True, "consents": ALL_CONSENTS}
    return ContactPrefs(**{**values, **overrides})


def context(
    now: datetime, tz_name: str = NY, existing=(), contact=None, **location_overrides
) -> MessagingContext:
    return MessagingContext(
        location=location(tz_name, **location_overrides),
        patient_id="pat_1",
        prefs=contact or prefs(),
        now=now,
        existing_sms=tuple(existing),
    )


def appointment(start: datetime) -> AppointmentRef:
    return AppointmentRef(id="apt_1", patient_id="pat_1", location_id="loc_1", start=start.astimezone(UTC))


def by_key(messages):
    return {(m.kind, m.channel): m for m in messages}


def test_reminder_schedule_in_a_plain_week():
    start = local(NY, 2025, 6, 17, 14, 30)
    messages = plan_reminders(appointment(start), context(now=utc(2025, 6, 1)))
    assert [(m.kind, m.channel) for m in messages] == [
        ("reminder_7d", "email"),
        ("reminder_2d", "email"),
        ("reminder_2d", "sms"),
        ("reminder_2h", "sms"),
    ]
    sends = [m.send_at for m in messages]
    assert sends == [
        local(NY, 2025, 6, 10, 14, 30),
        local(NY, 2025, 6, 15, 14, 30),
        local(NY, 2025, 6, 15, 14, 30),
        local(NY, 2025, 6, 17, 12, 30),
    ]
    assert all(m.send_at.tzinfo == UTC for m in messages)
    assert all(m.status == MessageStatus.PLANNED and m.reason is None for m in messages)
    assert all(m.purpose == Purpose.APPOINTMENT for m in messages)
    assert all((m.patient_id, m.location_id, m.subject_id) == ("pat_1", "loc_1", "apt_1") for m in messages)


def test_days_before_keep_local_wall_time_across_new_york_spring_forward():
    messages = by_key(
        plan_reminders(appointment(local(NY, 2025, 3, 12, 10, 0)), context(now=utc(2025, 3, 1)))
    )
    assert messages[("reminder_7d", "email")].send_at == utc(2025, 3, 5, 15, 0)  # 10:00 EST
    assert messages[("reminder_2d", "sms")].send_at == utc(2025, 3, 10, 14, 0)  # 10:00 EDT
    assert messages[("reminder_2h", "sms")].send_at == utc(2025, 3, 12, 12, 0)  # 08:00 EDT


def test_days_before_keep_local_wall_time_across_new_york_fall_back():
    messages = by_key(
        plan_reminders(appointment(local(NY, 2025, 11, 5, 10, 0)), context(now=utc(2025, 10, 1)))
    )
    assert messages[("reminder_7d", "email")].send_at == utc(2025, 10, 29, 14, 0)  # 10:00 EDT
    assert messages[("reminder_2d", "email")].send_at == utc(2025, 11, 3, 15, 0)  # 10:00 EST


def test_london_spring_forward():
    london = "Europe/London"
    start = local(london, 2025, 4, 2, 9, 0)  # BST
    messages = by_key(plan_reminders(appointment(start), context(now=utc(2025, 3, 1), tz_name=london)))
    assert messages[("reminder_7d", "email")].send_at == utc(2025, 3, 26, 9, 0)  # 09:00 GMT
    assert messages[("reminder_2d", "sms")].send_at == utc(2025, 3, 31, 8, 0)  # 09:00 BST


def test_auckland_end_of_daylight_time():
    auckland = "Pacific/Auckland"
    start = local(auckland, 2025, 4, 7, 9, 0)  # NZST, UTC+12 (daylight time ended on April 6)
    messages = by_key(plan_reminders(appointment(start), context(now=utc(2025, 3, 1), tz_name=auckland)))
    assert messages[("reminder_7d", "email")].send_at == utc(2025, 3, 30, 20, 0)  # 09:00 NZDT, UTC+13
    assert messages[("reminder_2d", "sms")].send_at == utc(2025, 4, 4, 20, 0)  # 09:00 NZDT: 49 hours before
    assert messages[("reminder_2h", "sms")].send_at == allowed_evening_before(start, auckland)


def allowed_evening_before(start: datetime, tz_name: str) -> datetime:
    day_before = start.astimezone(ZoneInfo(tz_name)).date() - timedelta(days=1)
    return datetime.combine(day_before, time(20, 59), tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def test_two_hour_reminder_for_an_early_appointment_moves_to_the_evening_before():
    start = local(NY, 2025, 6, 18, 8, 30)
    messages = by_key(plan_reminders(appointment(start), context(now=utc(2025, 6, 1))))
    two_hours = messages[("reminder_2h", "sms")]
    assert two_hours.send_at == local(NY, 2025, 6, 17, 20, 59)
    assert two_hours.status == MessageStatus.PLANNED
    # The 2-day SMS at 08:30 is inside the allowed window and on another day: both go out.
    assert messages[("reminder_2d", "sms")].send_at == local(NY, 2025, 6, 16, 8, 30)
    assert messages[("reminder_2d", "sms")].status == MessageStatus.PLANNED


def test_stricter_location_hours_apply():
    start = local(NY, 2025, 6, 18, 8, 30)
    ctx = context(now=utc(2025, 6, 1), quiet_hours=QuietHours(time(9, 0), time(20, 0)))
    messages = by_key(plan_reminders(appointment(start), ctx))
    assert messages[("reminder_2d", "sms")].send_at == local(NY, 2025, 6, 15, 19, 59)
    assert messages[("reminder_2h", "sms")].send_at == local(NY, 2025, 6, 17, 19, 59)


def test_reminders_already_past_are_kept_as_suppressed_with_reason_past():
    start = local(NY, 2025, 6, 17, 14, 30)
    messages = plan_reminders(appointment(start), context(now=local(NY, 2025, 6, 14, 9, 0)))
    assert [(m.kind, m.channel, m.status, m.reason) for m in messages] == [
        ("reminder_7d", "email", "suppressed", "past"),
        ("reminder_2d", "email", "planned", None),
        ("reminder_2d", "sms", "planned", None),
        ("reminder_2h", "sms", "planned", None),
    ]


def test_a_reminder_moved_back_out_of_quiet_hours_can_become_past():
    start = local(NY, 2025, 6, 18, 8, 30)
    messages = by_key(plan_reminders(appointment(start), context(now=local(NY, 2025, 6, 17, 21, 30))))
    assert messages[("reminder_2h", "sms")].reason == SuppressionReason.PAST


def test_a_send_time_equal_to_now_is_not_past():
    start = local(NY, 2025, 6, 17, 14, 30)
    messages = by_key(plan_reminders(appointment(start), context(now=local(NY, 2025, 6, 17, 12, 30))))
    assert messages[("reminder_2h", "sms")].status == MessageStatus.PLANNED


def reasons(contact: ContactPrefs, now=None, **ctx_overrides) -> dict[tuple[str, str], str | None]:
    start = local(NY, 2025, 6, 17, 14, 30)
    ctx = context(now=now or utc(2025, 6, 1), contact=contact, **ctx_overrides)
    return {key: message.reason for key, message in by_key(plan_reminders(appointment(start), ctx)).items()}


def test_opted_out_patient_gets_emails_but_no_sms():
    assert reasons(prefs(sms_opted_out=True)) == {
        ("reminder_7d", "email"): None,
        ("reminder_2d", "email"): None,
        ("reminder_2d", "sms"): "opted_out",
        ("reminder_2h", "sms"): "opted_out",
    }


def test_bounced_email_is_suppressed_and_sms_still_go():
    assert reasons(prefs(email_suppressed=True)) == {
        ("reminder_7d", "email"): "bounced",
        ("reminder_2d", "email"): "bounced",
        ("reminder_2d", "sms"): None,
        ("reminder_2h", "sms"): None,
    }


def test_consent_is_per_channel_and_purpose():
    only_email_appointments = prefs(consents={("email", "appointment"), ("sms", "billing")})
    assert reasons(only_email_appointments) == {
        ("reminder_7d", "email"): None,
        ("reminder_2d", "email"): None,
        ("reminder_2d", "sms"): "no_consent",
        ("reminder_2h", "sms"): "no_consent",
    }
    assert set(reasons(prefs(consents=frozenset())).values()) == {"no_consent"}


def test_missing_address_comes_before_consent():
    assert reasons(prefs(has_phone=False, has_email=False, consents=frozenset())) == dict.fromkeys(
        [("reminder_7d", "email"), ("reminder_2d", "email"), ("reminder_2d", "sms"), ("reminder_2h", "sms")],
        "no_address",
    )


def test_an_existing_sms_the_same_local_day_caps_the_two_day_sms():
    existing = [ExistingSms("msg_other", local(NY, 2025, 6, 15, 9, 0))]
    assert reasons(prefs(), existing=existing)[("reminder_2d", "sms")] == "sms_daily_cap"
    assert reasons(prefs(), existing=existing)[("reminder_2h", "sms")] is None


def test_the_daily_cap_counts_local_days_not_utc_days():
    # 23:30 EDT on June 14 is June 15 in UTC, but a different local day from the 2-day SMS (June 15).
    existing = [ExistingSms("msg_other", local(NY, 2025, 6, 14, 23, 30))]
    assert reasons(prefs(), existing=existing)[("reminder_2d", "sms")] is None


def test_a_fourth_sms_in_seven_local_days_hits_the_weekly_cap():
    existing = [ExistingSms(f"msg_{day}", local(NY, 2025, 6, day, 10, 0)) for day in (11, 12, 13)]
    result = reasons(prefs(), existing=existing)
    assert result[("reminder_2d", "sms")] == "sms_weekly_cap"  # June 15: 11, 12, 13 in the same week
    assert result[("reminder_2h", "sms")] == "sms_weekly_cap"  # June 17: 11..17 is seven days


def test_the_weekly_window_slides_and_counts_later_sms_too():
    older = [ExistingSms(f"msg_{day}", local(NY, 2025, 6, day, 10, 0)) for day in (8, 9, 10)]
    assert reasons(prefs(), existing=older)[("reminder_2h", "sms")] is None  # June 17 is 7+ days later
    later = [ExistingSms(f"msg_{day}", local(NY, 2025, 6, day, 10, 0)) for day in (18, 19)]
    result = reasons(prefs(), existing=later)
    assert result[("reminder_2d", "sms")] is None  # June 15: 15..21 holds 18, 19 and itself
    assert result[("reminder_2h", "sms")] == "sms_weekly_cap"  # June 17: 15, 18, 19 already counted


def test_caps_are_configurable_per_location():
    existing = [ExistingSms("msg_other", local(NY, 2025, 6, 15, 9, 0))]
    assert reasons(prefs(), existing=existing, sms_daily_cap=2)[("reminder_2d", "sms")] is None
    assert reasons(prefs(), sms_weekly_cap=1)[("reminder_2h", "sms")] == "sms_weekly_cap"


def test_two_sms_planned_for_the_same_day_suppress_the_second():
    ctx = context(now=utc(2025, 6, 1))
    requests = [
        MessageRequest(
            "apt_1", "reminder_2d", Channel.SMS, Purpose.APPOINTMENT, local(NY, 2025, 6, 15, 11, 0)
        ),
        MessageRequest(
            "inst_1", "installment_due", Channel.SMS, Purpose.BILLING, local(NY, 2025, 6, 15, 10, 0)
        ),
    ]
    first, second = plan_messages(requests, ctx)
    assert (first.kind, first.status) == ("installment_due", "planned")  # planned in send order
    assert (second.kind, second.status, second.reason) == ("reminder_2d", "suppressed", "sms_daily_cap")


def test_suppressed_sms_do_not_count_against_the_caps():
    ctx = context(now=utc(2025, 6, 1), contact=prefs(consents={("sms", "billing")}))
    requests = [
        MessageRequest(
            "apt_1", "reminder_2d", Channel.SMS, Purpose.APPOINTMENT, local(NY, 2025, 6, 15, 10, 0)
        ),
        MessageRequest(
            "inst_1", "installment_due", Channel.SMS, Purpose.BILLING, local(NY, 2025, 6, 15, 11, 0)
        ),
    ]
    assert [m.reason for m in plan_messages(requests, ctx)] == ["no_consent", None]


def test_replanning_with_its_own_rows_in_the_outbox_changes_nothing():
    start = local(NY, 2025, 6, 17, 14, 30)
    first = plan_reminders(appointment(start), context(now=utc(2025, 6, 1)))
    own_sms = [ExistingSms(m.id, m.send_at) for m in first if m.channel == Channel.SMS]
    again = plan_reminders(appointment(start), context(now=utc(2025, 6, 1), existing=own_sms))
    assert again == first


def test_message_ids_are_deterministic_and_distinct():
    expected_digest = hashlib.sha256(b"5:loc_15:apt_111:reminder_2d3:sms0:").hexdigest()[:26]
    assert message_id("loc_1", "apt_1", "reminder_2d", "sms") == f"msg_{expected_digest}"
    assert message_id("loc_1", "apt_1", "reminder_2d", "sms") == "msg_c202a0cf02a431a927090634cf"
    assert re.fullmatch(r"msg_[0-9a-f]{26}", message_id("loc_1", "apt_1", "reminder_2d", "sms"))
    ids = {
        message_id("loc_1", "apt_1", "reminder_2d", "sms"),
        message_id("loc_1", "apt_1", "reminder_2d", "email"),
        message_id("loc_1", "apt_1", "reminder_2h", "sms"),
        message_id("loc_1", "apt_2", "reminder_2d", "sms"),
        message_id("loc_2", "apt_1", "reminder_2d", "sms"),
        message_id("loc_1", "apt_1", "reminder_2d", "sms", occurrence="day7"),
        message_id("loc_1a", "pt_1", "reminder_2d", "sms"),  # no collision by shifting characters
    }
    assert len(ids) == 7


def test_plan_message_applies_the_same_checks_to_a_single_message():
    ctx = context(now=utc(2025, 6, 1), contact=prefs(sms_opted_out=True))
    request = MessageRequest("pln_1", "unaccepted_plan", "sms", "treatment", local(NY, 2025, 6, 10, 7, 0))
    message = plan_message(request, ctx)
    assert message.send_at == local(NY, 2025, 6, 9, 20, 59)
    assert (message.status, message.reason) == ("suppressed", "opted_out")
    assert message.id == message_id("loc_1", "pln_1", "unaccepted_plan", "sms")


def test_invalid_inputs_are_rejected():
    with pytest.raises(InvalidInput):
        location(tz_name="Not/AZone")
    with pytest.raises(InvalidInput):
        location(sms_daily_cap=-1)
    with pytest.raises(InvalidInput):
        location(sms_weekly_cap=True)
    with pytest.raises(InvalidInput):
        prefs(consents={("fax", "appointment")})
    with pytest.raises(InvalidInput):
        context(now=datetime(2025, 6, 1))
    with pytest.raises(InvalidInput):
        MessageRequest("apt_1", "reminder_2d", "pigeon", "appointment", utc(2025, 6, 1))
    other_patient = AppointmentRef("apt_9", "pat_9", "loc_1", utc(2025, 6, 17, 18, 30))
    with pytest.raises(InvalidInput):
        plan_reminders(other_patient, context(now=utc(2025, 6, 1)))
