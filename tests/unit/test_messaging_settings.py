from datetime import UTC, date, datetime, time

import pytest

from shared.domain.messaging_settings import (
    DEFAULT_REMINDERS,
    MessagingSettings,
    count_working_days,
    effective,
    next_working_day,
    parse_layer,
    patch_layer,
)
from shared.domain.template_checks import CUSTOMISABLE_KINDS, check_wording
from shared.domain.template_text import EMAIL_TEXT, SMS_TEXT
from shared.domain.templates import LANGUAGES, RenderContext, Wording, render, to_gsm7
from shared.errors import InvalidInput


def fields_of(document):
    with pytest.raises(InvalidInput) as caught:
        parse_layer(document)
    return {detail["field"]: detail["message"] for detail in caught.value.details}


def test_the_defaults_round_trip_and_are_the_design_values():
    settings = effective()
    assert settings.reminders == DEFAULT_REMINDERS
    assert settings.quiet_hours.earliest == time(8) and settings.working_days == frozenset(range(5))
    document = settings.to_dict()
    assert effective(parse_layer(document)) == settings
    assert settings.reminder_schedule() == (("reminder_7d", "email"), ("reminder_2d", "email"),
                                            ("reminder_2d", "sms"), ("reminder_2h", "sms"))


@pytest.mark.parametrize("kind", CUSTOMISABLE_KINDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_wording_passes_its_own_checks(kind, language):
    emails = EMAIL_TEXT[kind][language]
    wording = Wording(sms=SMS_TEXT[kind][language], email_subject=emails.subject,
                      email_body="\n\n".join(emails.paragraphs))
    assert check_wording(kind, language, wording, "t") == []


def test_location_overrides_group_defaults_section_by_section_and_templates_by_language():
    group = parse_layer({"quiet_hours": {"start": "09:00", "end": "20:00"}, "working_days": ["mon", "tue"],
                         "templates": {"reminder_2d": {"en": {"sms": "{practice}: see you {when}. {phone}"},
                                                       "es": {"sms": "{practice}: hasta el {when}. {phone}"}}}})
    location = parse_layer({"working_days": ["sat"], "sms_daily_cap": 0,
                            "templates": {"reminder_2d": {"en": {"sms": "{practice} {when} call {phone}"}}}})
    settings = effective(group, location)
    assert settings.quiet_hours.earliest == time(9)
    assert settings.working_days == frozenset({5})
    assert settings.sms_daily_cap == 0
    assert settings.wording("reminder_2d", "en").sms == "{practice} {when} call {phone}"
    assert settings.wording("reminder_2d", "es").sms == "{practice}: hasta el {when}. {phone}"


def test_an_sms_template_over_160_gsm7_characters_is_refused_with_its_field():
    long_text = "{practice}: " + "x" * 100 + " on {when}. Call {phone}."
    problems = fields_of({"templates": {"reminder_2d": {"en": {"sms": long_text}}}})
    assert "too long for one SMS" in problems["templates.reminder_2d.en.sms"]


@pytest.mark.parametrize(("text", "message"), [
    ("{practice}: your {procedure} is on {when}. {phone}", "clinical detail"),
    ("{practice}: your crown is on {when}. {phone}", "clinical detail"),
    ("{practice}: D2740 on {when}. {phone}", "clinical detail"),
    ("{practice}: payment {amount} on {when}. {phone}", "{amount} is not allowed"),
    ("see you {when}", "add {practice} and {phone}"),
    ("{practice}: {when} {phone} 🙂", "GSM-7"),
    ("{practice}: {when.year} {phone}", "must be written as {when}"),
    ("{practice}: {when {phone}", "brace"),
])
def test_sms_wording_problems_are_named(text, message):
    problems = fields_of({"templates": {"reminder_2h": {"en": {"sms": text}}}})
    assert message in problems["templates.reminder_2h.en.sms"]


@pytest.mark.parametrize(("hours", "message"), [
    ({"start": "21:00", "end": "08:00"}, "leaves no sending time"),
    ({"start": "10:00", "end": "10:30"}, "leaves no sending time"),
    ({"start": "07:00", "end": "20:00"}, "between 08:00 and 21:00"),
    ({"start": "7am", "end": "20:00"}, "HH:MM"),
])
def test_quiet_hours_must_leave_lawful_sending_time(hours, message):
    assert message in fields_of({"quiet_hours": hours})["quiet_hours"]


def test_every_problem_is_reported_at_once_with_its_path():
    problems = fields_of({
        "reminders": [{"kind": "reminder_9d", "days_before": 0, "channels": ["fax"]}],
        "working_days": [],
        "sms_weekly_cap": 99,
        "payment_terms": {"pay_in_full_discount_pct": 101, "in_house_terms": [{"count": 0}]},
        "financing_offers": [{"id": "x", "name": "X", "offers": [{"months": 12, "apr_bps": 0,
                                                                   "deferred_interest": True}]}],
        "colour": "blue",
    })
    assert {"reminders[0].kind", "reminders[0].days_before", "reminders[0].channels", "working_days",
            "sms_weekly_cap", "payment_terms.pay_in_full_discount_pct", "payment_terms.in_house_terms[0].count",
            "financing_offers[0].offers[0].apr_bps", "colour"} <= set(problems)


def test_a_weekly_cap_below_the_daily_cap_is_refused():
    with pytest.raises(InvalidInput):
        effective(parse_layer({"sms_daily_cap": 2, "sms_weekly_cap": 1}))


def test_a_patch_replaces_sections_and_null_removes_an_override():
    stored = parse_layer({"working_days": ["mon"], "templates": {
        "reminder_7d": {"en": {"sms": "{practice} {when} {phone}"}, "es": {"sms": "{practice} {when} {phone}"}}}})
    patched = patch_layer(stored, {"working_days": None, "sms_daily_cap": 2,
                                   "templates": {"reminder_7d": {"es": None}}})
    assert "working_days" not in patched and patched["sms_daily_cap"] == 2
    assert patched["templates"] == {"reminder_7d": {"en": {"sms": "{practice} {when} {phone}"}}}


def test_a_configured_schedule_changes_offsets_and_channels():
    settings = effective(parse_layer({"reminders": [
        {"kind": "reminder_7d", "days_before": 3, "channels": ["sms"]},
        {"kind": "reminder_2h", "hours_before": 4, "channels": []}]}))
    assert settings.reminder_schedule() == (("reminder_7d", "sms"),)
    start = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    assert settings.step("reminder_7d").send_time(start, "America/New_York") == datetime(2026, 3, 7, 16, 0, tzinfo=UTC)


def test_own_wording_renders_with_the_stop_line_and_the_values():
    ctx = RenderContext("Bright Smiles", "+15550001111", appointment_start=datetime(2026, 3, 10, 15, tzinfo=UTC),
                        tz_name="America/New_York")
    text = render("reminder_2d", "sms", "en", ctx, Wording(sms="{practice}: hola {when}, {phone}")).text
    assert text == "Bright Smiles: hola Tue Mar 10, 11:00 AM, +15550001111 Reply STOP to opt out"
    email = render("reminder_2d", "email", "es", ctx, Wording(email_body="Hola.\n\nLlame al {phone}."))
    assert email.text.startswith("Hola.\n\nLlame al +15550001111.") and to_gsm7(email.subject)


def test_working_days():
    weekdays = MessagingSettings().working_days
    assert next_working_day(date(2026, 11, 28), weekdays) == date(2026, 11, 30)  # Saturday -> Monday
    assert count_working_days(date(2026, 11, 1), date(2026, 11, 30), weekdays) == 21
    assert count_working_days(date(2026, 11, 2), date(2026, 11, 1), weekdays) == 0
