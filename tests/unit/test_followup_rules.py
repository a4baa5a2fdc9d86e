import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.domain.followup_rules import (
    FollowUpKind,
    FollowUpPlan,
    benefit_year_start,
    classify_cancellation,
    flag_repeat_no_show,
    followup_id,
    plan_cancellation,
    plan_installment_due,
    plan_installment_overdue,
    plan_no_show,
    plan_unaccepted_plan,
    plan_unscheduled_treatment,
    plan_unused_benefits,
)
from shared.domain.reminders import (
    AppointmentRef,
    Channel,
    ContactPrefs,
    ExistingSms,
    LocationSettings,
    MessagingContext,
    Purpose,
    message_id,
)
from shared.errors import InvalidInput

NY = "America/New_York"
AUCKLAND = "Pacific/Auckland"
ALL_CONSENTS = frozenset((channel, purpose) for channel in Channel for purpose in Purpose)


def local(tz_name: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz_name))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def context(now: datetime, tz_name: str = NY, existing=(), **prefs_overrides) -> MessagingContext:
    contact = ContactPrefs(
        **{"has_email": True, "has_phone": True, "consents": ALL_CONSENTS, **prefs_overrides}
    )
    return MessagingContext(
        location=LocationSettings(id="loc_1", tz_name=tz_name, name="Bright Smiles", phone="555-0100"),
        patient_id="pat_1",
        prefs=contact,
        now=now,
        existing_sms=tuple(existing),
    )


def appointment(start: datetime) -> AppointmentRef:
    return AppointmentRef(id="apt_1", patient_id="pat_1", location_id="loc_1", start=start)


def summary(plan: FollowUpPlan):
    return (
        [(task.kind, task.due_date) for task in plan.tasks],
        [(m.kind, m.channel, m.send_at, m.status, m.reason) for m in plan.messages],
    )


@pytest.mark.parametrize(
    ("notice", "code"),
    [
        (timedelta(hours=23, minutes=59), "D9986"),
        (timedelta(hours=24), "D9987"),
        (timedelta(days=3), "D9987"),
        (timedelta(0), "D9986"),
        (timedelta(hours=-1), "D9986"),  # cancelled after the start
    ],
)
def test_classify_cancellation(notice, code):
    start = utc(2025, 6, 17, 14, 0)
    assert classify_cancellation(start, start - notice) == code


def test_classify_cancellation_uses_elapsed_hours_across_dst():
    start = local(NY, 2025, 3, 10, 9, 0)  # EDT; the clocks sprang forward on March 9
    assert classify_cancellation(start, local(NY, 2025, 3, 9, 9, 30)) == "D9986"  # 22.5 hours before
    assert classify_cancellation(start, local(NY, 2025, 3, 9, 8, 0)) == "D9987"  # 24 hours before


def test_flag_repeat_no_show():
    now = utc(2025, 6, 30, 12)
    assert flag_repeat_no_show([now - timedelta(days=59), now - timedelta(days=1)], now)
    assert flag_repeat_no_show([now - timedelta(days=60), now], now)
    assert not flag_repeat_no_show([now - timedelta(days=61), now - timedelta(days=1)], now)
    assert not flag_repeat_no_show([now - timedelta(days=3)], now)
    assert not flag_repeat_no_show([now - timedelta(days=3), now + timedelta(days=1)], now)  # future ignored
    assert not flag_repeat_no_show([], now)
    assert flag_repeat_no_show(
        [now - timedelta(days=100), now - timedelta(days=80)], now, window=timedelta(days=120)
    )


def test_no_show_gives_a_same_day_task_and_a_message_the_next_morning_at_ten():
    # Saturday 2025-03-08 (EST); the next morning is the spring-forward Sunday, 10:00 EDT = 14:00 UTC.
    missed_at = local(NY, 2025, 3, 8, 16, 0)
    plan = plan_no_show(appointment(local(NY, 2025, 3, 8, 15, 0)), missed_at, context(now=missed_at))
    assert summary(plan) == (
        [("no_show", date(2025, 3, 8))],
        [("no_show_rebook", "sms", utc(2025, 3, 9, 14, 0), "planned", None)],
    )
    task = plan.tasks[0]
    assert (task.patient_id, task.location_id, task.subject_id) == ("pat_1", "loc_1", "apt_1")
    assert task.id == followup_id("loc_1", "apt_1", "no_show")
    assert re.fullmatch(r"fup_[0-9a-f]{26}", task.id)
    assert plan.messages[0].purpose == Purpose.APPOINTMENT


def test_no_show_recorded_late_in_the_evening_uses_the_local_day():
    missed_at = local(NY, 2025, 6, 10, 22, 30)  # already June 11 in UTC
    plan = plan_no_show(appointment(local(NY, 2025, 6, 10, 19, 0)), missed_at, context(now=missed_at))
    assert plan.tasks[0].due_date == date(2025, 6, 10)
    assert plan.messages[0].send_at == local(NY, 2025, 6, 11, 10, 0)


def test_no_show_message_falls_back_to_email_when_sms_is_suppressed():
    missed_at = local(NY, 2025, 6, 10, 16, 0)
    plan = plan_no_show(appointment(missed_at), missed_at, context(now=missed_at, sms_opted_out=True))
    assert [(m.channel, m.status, m.reason) for m in plan.messages] == [
        ("sms", "suppressed", "opted_out"),
        ("email", "planned", None),
    ]


def test_no_show_sms_capped_by_an_existing_sms_falls_back_to_email():
    missed_at = local(NY, 2025, 6, 10, 16, 0)
    existing = [ExistingSms("msg_reminder", local(NY, 2025, 6, 11, 9, 0))]
    plan = plan_no_show(appointment(missed_at), missed_at, context(now=missed_at, existing=existing))
    assert [(m.channel, m.reason) for m in plan.messages] == [("sms", "sms_daily_cap"), ("email", None)]


def test_late_cancellation_is_followed_up_like_a_no_show_and_an_early_one_is_not():
    start = local(NY, 2025, 6, 11, 9, 0)
    late = local(NY, 2025, 6, 10, 17, 0)
    assert plan_cancellation(appointment(start), late, context(now=late)) == plan_no_show(
        appointment(start), late, context(now=late)
    )
    early = local(NY, 2025, 6, 9, 17, 0)
    assert plan_cancellation(appointment(start), early, context(now=early)) == FollowUpPlan()


def test_unscheduled_treatment_across_the_fall_back():
    accepted_at = local(NY, 2025, 10, 28, 15, 0)
    plan = plan_unscheduled_treatment("pln_1", accepted_at, context(now=accepted_at))
    assert summary(plan) == (
        [("unscheduled_treatment", date(2025, 10, 31))],
        [
            ("unscheduled_treatment", "email", utc(2025, 11, 4, 15, 0), "planned", None),  # 10:00 EST
            ("unscheduled_treatment", "email", utc(2025, 11, 27, 15, 0), "planned", None),
        ],
    )
    assert {m.purpose for m in plan.messages} == {Purpose.TREATMENT}
    assert [m.id for m in plan.messages] == [
        message_id("loc_1", "pln_1", "unscheduled_treatment", "email", "day7"),
        message_id("loc_1", "pln_1", "unscheduled_treatment", "email", "day30"),
    ]


def test_unaccepted_plan_task_and_messages():
    presented_at = local(NY, 2025, 6, 2, 11, 0)
    plan = plan_unaccepted_plan("pln_1", presented_at, context(now=presented_at))
    assert summary(plan) == (
        [("unaccepted_plan", date(2025, 6, 4))],
        [
            ("unaccepted_plan", "email", local(NY, 2025, 6, 9, 10, 0), "planned", None),
            ("unaccepted_plan", "email", local(NY, 2025, 6, 23, 10, 0), "planned", None),
        ],
    )


def test_follow_up_messages_fall_back_to_sms_and_count_against_the_caps_in_order():
    presented_at = local(NY, 2025, 6, 2, 11, 0)
    existing = [ExistingSms(f"msg_{day}", local(NY, 2025, 6, day, 12, 0)) for day in (5, 6)]
    ctx = context(now=presented_at, existing=existing, has_email=False)
    plan = plan_unaccepted_plan("pln_1", presented_at, ctx)
    assert [(m.channel, m.status, m.reason) for m in plan.messages] == [
        ("email", "suppressed", "no_address"),
        ("sms", "planned", None),  # June 9: third SMS in June 3..9
        ("email", "suppressed", "no_address"),
        ("sms", "planned", None),  # June 23: a new week
    ]
    capped = plan_unaccepted_plan(
        "pln_1",
        presented_at,
        context(
            now=presented_at,
            existing=[*existing, ExistingSms("msg_7", local(NY, 2025, 6, 7, 12, 0))],
            has_email=False,
        ),
    )
    assert capped.messages[1].reason == "sms_weekly_cap"


def test_auckland_follow_up_messages_at_ten_local_across_daylight_start():
    accepted_at = local(AUCKLAND, 2025, 9, 24, 12, 0)  # NZST, UTC+12
    plan = plan_unscheduled_treatment("pln_1", accepted_at, context(now=accepted_at, tz_name=AUCKLAND))
    assert plan.tasks[0].due_date == date(2025, 9, 27)
    assert plan.messages[0].send_at == utc(2025, 9, 30, 21, 0)  # October 1, 10:00 NZDT (UTC+13)


def test_installment_due_message_three_days_before_at_ten():
    now = local(NY, 2025, 3, 1, 9, 0)
    plan = plan_installment_due("ins_1", date(2025, 3, 12), context(now=now))
    assert summary(plan) == ([], [("installment_due", "email", utc(2025, 3, 9, 14, 0), "planned", None)])
    assert plan.messages[0].purpose == Purpose.BILLING


def test_installment_messages_need_billing_consent():
    now = local(NY, 2025, 3, 1, 9, 0)
    consents = {("email", "appointment"), ("sms", "billing")}
    plan = plan_installment_due("ins_1", date(2025, 3, 12), context(now=now, consents=consents))
    assert [(m.channel, m.reason) for m in plan.messages] == [("email", "no_consent"), ("sms", None)]


def test_installment_due_planned_too_late_is_suppressed_as_past_without_fallback():
    now = local(NY, 2025, 3, 10, 9, 0)
    plan = plan_installment_due("ins_1", date(2025, 3, 12), context(now=now))
    assert [(m.channel, m.reason) for m in plan.messages] == [("email", "past")]


def test_installment_overdue_tasks_and_messages_one_and_seven_days_after():
    now = local(NY, 2025, 6, 11, 9, 0)
    plan = plan_installment_overdue("ins_1", date(2025, 6, 10), context(now=now))
    assert summary(plan) == (
        [("installment_overdue", date(2025, 6, 11)), ("installment_overdue", date(2025, 6, 17))],
        [
            ("installment_overdue", "email", local(NY, 2025, 6, 11, 10, 0), "planned", None),
            ("installment_overdue", "email", local(NY, 2025, 6, 17, 10, 0), "planned", None),
        ],
    )
    assert len({task.id for task in plan.tasks}) == 2
    assert len({m.id for m in plan.messages}) == 2


def test_planning_the_same_event_twice_gives_the_same_rows():
    accepted_at = local(NY, 2025, 6, 2, 11, 0)
    first = plan_unscheduled_treatment("pln_1", accepted_at, context(now=accepted_at))
    again = plan_unscheduled_treatment("pln_1", accepted_at, context(now=accepted_at + timedelta(hours=1)))
    assert first == again
    other = plan_unaccepted_plan("pln_1", accepted_at, context(now=accepted_at))
    assert {t.id for t in first.tasks}.isdisjoint(t.id for t in other.tasks)


def unused(now: datetime, **overrides) -> FollowUpPlan:
    values = {"has_pending_treatment": True, "unused_max_cents": 50_000, **overrides}
    return plan_unused_benefits(context(now=now), **values)


def test_unused_benefits_from_october_first():
    assert unused(local(NY, 2025, 9, 30, 23, 0)) == FollowUpPlan()
    morning = unused(local(NY, 2025, 10, 1, 9, 0))
    assert summary(morning) == (
        [],
        [("unused_benefits", "email", local(NY, 2025, 10, 1, 10, 0), "planned", None)],
    )
    afternoon = unused(local(NY, 2025, 10, 1, 11, 0))
    assert afternoon.messages[0].send_at == local(NY, 2025, 10, 2, 10, 0)
    assert (
        morning.messages[0].id
        == afternoon.messages[0].id
        == unused(local(NY, 2025, 12, 1, 8, 0)).messages[0].id
    )
    assert morning.messages[0].subject_id == "pat_1"
    assert morning.messages[0].purpose == Purpose.TREATMENT


def test_unused_benefits_is_one_message_a_year_with_a_new_id_next_year():
    this_year = unused(local(NY, 2025, 10, 5, 9, 0)).messages[0].id
    next_year = unused(local(NY, 2026, 10, 5, 9, 0)).messages[0].id
    assert this_year != next_year
    assert this_year == message_id("loc_1", "pat_1", "unused_benefits", "email", "2025-01")


def test_unused_benefits_needs_pending_treatment_and_unused_maximum():
    now = local(NY, 2025, 10, 5, 9, 0)
    assert unused(now, has_pending_treatment=False) == FollowUpPlan()
    assert unused(now, unused_max_cents=0) == FollowUpPlan()


def test_unused_benefits_not_planned_once_the_next_ten_oclock_is_in_the_new_benefit_year():
    assert unused(local(NY, 2025, 12, 31, 9, 0)).messages
    assert unused(local(NY, 2025, 12, 31, 11, 0)) == FollowUpPlan()


def test_unused_benefits_with_a_july_renewal_open_in_april():
    assert unused(local(NY, 2026, 3, 31, 9, 0), renewal_month=7) == FollowUpPlan()
    april = unused(local(NY, 2026, 4, 1, 9, 0), renewal_month=7)
    assert april.messages[0].id == message_id("loc_1", "pat_1", "unused_benefits", "email", "2025-07")
    assert unused(local(NY, 2025, 10, 1, 9, 0), renewal_month=7) == FollowUpPlan()
    with pytest.raises(InvalidInput):
        unused(local(NY, 2025, 10, 1, 9, 0), renewal_month=13)


def test_benefit_year_start():
    assert benefit_year_start(date(2025, 10, 1), 1) == date(2025, 1, 1)
    assert benefit_year_start(date(2025, 6, 30), 7) == date(2024, 7, 1)
    assert benefit_year_start(date(2025, 7, 1), 7) == date(2025, 7, 1)


def test_follow_up_ids_are_deterministic_and_distinct():
    assert followup_id("loc_1", "apt_1", FollowUpKind.NO_SHOW) == followup_id("loc_1", "apt_1", "no_show")
    ids = {
        followup_id("loc_1", "apt_1", "no_show"),
        followup_id("loc_1", "apt_2", "no_show"),
        followup_id("loc_1", "ins_1", "installment_overdue", "day1"),
        followup_id("loc_1", "ins_1", "installment_overdue", "day7"),
    }
    assert len(ids) == 4


def test_an_appointment_of_another_patient_is_rejected():
    missed_at = local(NY, 2025, 6, 10, 16, 0)
    other = AppointmentRef(id="apt_9", patient_id="pat_9", location_id="loc_1", start=missed_at)
    with pytest.raises(InvalidInput):
        plan_no_show(other, missed_at, context(now=missed_at))
