import re
from dataclasses import fields
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.template_text import EMAIL_TEXT, SMS_TEXT
from shared.domain.templates import (
    KINDS,
    LANGUAGES,
    RenderContext,
    format_cents,
    format_local_date,
    format_local_datetime,
    gsm7_length,
    is_gsm7,
    render,
    to_gsm7,
)
from shared.errors import InvalidInput

NY = "America/New_York"
LONG_NAME = "Bright Smiles Family and Cosmetic Dentistry of Greater Springs"[:60]
LONG_PHONE = "+1 (555) 555-0100 x12"[:20]
STOP_LINES = {"en": "Reply STOP to opt out", "es": "Responda STOP para darse de baja"}
ALL_KINDS = (
    "reminder_7d",
    "reminder_2d",
    "reminder_2h",
    "no_show_rebook",
    "unscheduled_treatment",
    "unaccepted_plan",
    "installment_due",
    "installment_overdue",
    "unused_benefits",
    "opt_out_confirmation",
    "opt_in_confirmation",
    "help_reply",
    "appointment_confirmed",
)
EMAIL_KINDS = tuple(
    kind for kind in ALL_KINDS if kind not in ("opt_out_confirmation", "opt_in_confirmation", "help_reply")
)


def worst_case_context(name: str = LONG_NAME, phone: str = LONG_PHONE) -> RenderContext:
    # A Wednesday in September at 12:30 PM: the longest weekday and time strings in both languages.
    return RenderContext(
        practice_name=name,
        practice_phone=phone,
        appointment_start=datetime(2025, 9, 24, 16, 30, tzinfo=UTC),
        tz_name=NY,
        amount_cents=99_999_999,
        due_date=date(2025, 9, 30),
    )


def test_the_catalogue_covers_every_kind_in_both_languages():
    assert set(KINDS) == set(ALL_KINDS)
    assert set(LANGUAGES) == {"en", "es"}
    assert all(set(SMS_TEXT[kind]) == {"en", "es"} for kind in ALL_KINDS)
    assert set(EMAIL_TEXT) == set(EMAIL_KINDS)
    assert all(set(EMAIL_TEXT[kind]) == {"en", "es"} for kind in EMAIL_KINDS)
    assert len(LONG_NAME) == 60


@pytest.mark.parametrize(
    "text", ["Hello", "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ", "¡¿ÄÖÑÜ§äöñüà", "é ñ ü à ò ù ì É Ñ Ü ¿ ¡"]
)
def test_gsm7_basic_characters_count_one(text):
    assert is_gsm7(text)
    assert gsm7_length(text) == len(text)


def test_gsm7_extension_characters_count_two():
    assert gsm7_length("^{}\\[~]|€") == 18
    assert gsm7_length("Total: 5€ [paid]") == 19


@pytest.mark.parametrize("char", ["á", "í", "ó", "ú", "Á", "ç", "’", "“", "—", "…", "\t", "😀", "ã"])
def test_characters_outside_gsm7(char):
    assert not is_gsm7(f"a{char}b")
    with pytest.raises(InvalidInput):
        gsm7_length(f"a{char}b")


def test_to_gsm7_transliterates_and_keeps_gsm_accents():
    assert to_gsm7("Clínica Dental Sonrisa Año") == "Clinica Dental Sonrisa Año"
    assert to_gsm7("O’Brien “Family” Dental — Smiles…") == 'O\'Brien "Family" Dental - Smiles...'
    assert to_gsm7("Françoise Ünal café ÁÍÓÚ") == "Francoise Ünal café AIOU"
    assert to_gsm7("Smile 😀 Studio") == "Smile  Studio"
    assert all(is_gsm7(to_gsm7(text)) for text in ("ąčęėįšųūž", "日本歯科", "Ωmega €uro"))


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (5, "$0.05"),
        (100, "$1.00"),
        (123_456, "$1,234.56"),
        (100_000_000, "$1,000,000.00"),
        (-250, "-$2.50"),
    ],
)
def test_format_cents(cents, text):
    assert format_cents(cents) == text


def test_format_cents_refuses_floats():
    with pytest.raises(InvalidInput):
        format_cents(12.5)  # type: ignore[arg-type]


def test_format_local_datetime_in_the_location_zone():
    instant = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)  # 14:30 EDT, two days after spring-forward
    assert format_local_datetime(instant, NY) == "Tue Mar 10, 2:30 PM"
    assert format_local_datetime(instant, NY, "es") == "martes 10 mar, 14:30"
    midnight = datetime(2026, 1, 1, 5, 0, tzinfo=UTC)
    assert format_local_datetime(midnight, NY) == "Thu Jan 1, 12:00 AM"
    noon = datetime(2026, 1, 1, 17, 5, tzinfo=UTC)
    assert format_local_datetime(noon, NY) == "Thu Jan 1, 12:05 PM"
    assert format_local_datetime(noon, "Pacific/Auckland", "es") == "viernes 2 ene, 06:05"


def test_format_local_date():
    assert format_local_date(date(2025, 9, 30)) == "Sep 30"
    assert format_local_date(date(2025, 9, 30), "es") == "30 sep"


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_sms_fits_one_gsm7_segment_with_a_60_character_name(kind, language):
    rendered = render(kind, "sms", language, worst_case_context())
    text = rendered.text
    assert rendered.subject is None and rendered.html is None
    assert is_gsm7(text)
    assert gsm7_length(text) <= 160
    assert LONG_PHONE in text
    name_part = text.split(":", 1)[0]
    assert LONG_NAME.startswith(name_part) and len(name_part) >= 20
    assert "STOP" in text
    if kind == "opt_out_confirmation":
        assert "START" in text
    else:
        assert text.endswith(STOP_LINES[language])


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_short_practice_name_is_kept_whole(kind, language):
    text = render(
        kind, "sms", language, worst_case_context(name="Bright Smiles", phone="(555) 010-2000")
    ).text
    assert text.startswith("Bright Smiles: ")
    assert "(555) 010-2000" in text


def test_sms_content_examples():
    context = RenderContext(
        "Bright Smiles",
        "(555) 010-2000",
        appointment_start=datetime(2026, 3, 10, 18, 30, tzinfo=UTC),
        tz_name=NY,
        amount_cents=123_456,
        due_date=date(2026, 3, 12),
    )
    assert render("reminder_2d", "sms", "en", context).text == (
        "Bright Smiles: see you Tue Mar 10, 2:30 PM. Reply C to confirm or call (555) 010-2000 to change it. "
        "Reply STOP to opt out"
    )
    assert render("installment_due", "sms", "es", context).text == (
        "Bright Smiles: su pago de $1,234.56 vence el 12 mar. ¿Preguntas? Llame al (555) 010-2000. "
        "Responda STOP para darse de baja"
    )


def test_spanish_sms_loses_only_the_accents_gsm7_lacks():
    context = worst_case_context(name="Clínica Dental", phone="555-0100")
    text = render("appointment_confirmed", "sms", "es", context).text
    assert text.startswith("Clinica Dental: su cita del miércoles 24 sep, 12:30 esta confirmada")


def test_characters_dropped_from_the_name_leave_no_double_spaces():
    text = render(
        "help_reply", "sms", "en", worst_case_context(name="Smile 😀 Studio", phone="555-0100")
    ).text
    assert text.startswith("Smile Studio: ")


def test_extension_characters_in_the_name_count_double_when_truncating():
    text = render("reminder_2d", "sms", "es", worst_case_context(name="€" * 60)).text
    assert gsm7_length(text) <= 160
    assert text.startswith("€" * 10)


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(ALL_KINDS),
    language=st.sampled_from(["en", "es", "fr", "es-MX"]),
    name=st.text(min_size=1, max_size=80).filter(lambda value: value.strip()),
    phone=st.from_regex(r"\+?[0-9 ()\-.]{7,19}", fullmatch=True),
    start=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    cents=st.integers(0, 9_999_999_99),
)
def test_any_sms_is_gsm7_within_160_with_phone_and_stop(kind, language, name, phone, start, cents):
    context = RenderContext(name, phone, start, "Pacific/Auckland", cents, start.date())
    text = render(kind, "sms", language, context).text
    assert is_gsm7(text) and gsm7_length(text) <= 160
    assert " ".join(phone.split()) in text
    assert "STOP" in text


def test_no_clinical_detail_can_reach_a_message():
    assert {field.name for field in fields(RenderContext)} == {
        "practice_name",
        "practice_phone",
        "appointment_start",
        "tz_name",
        "amount_cents",
        "due_date",
    }
    clinical = re.compile(
        r"\bD\d{4}\b|crown|root canal|extraction|implant|filling|cavity|periodont|ortho", re.I
    )
    wording = [text for kind in SMS_TEXT.values() for text in kind.values()]
    wording += [
        part
        for kind in EMAIL_TEXT.values()
        for email in kind.values()
        for part in (email.subject, *email.paragraphs)
    ]
    assert not [text for text in wording if clinical.search(text)]


def test_unknown_languages_fall_back_to_english_and_regional_tags_to_their_language():
    context = worst_case_context(name="Bright Smiles", phone="555-0100")
    english = render("no_show_rebook", "sms", "en", context)
    assert render("no_show_rebook", "sms", "fr", context) == english
    assert render("no_show_rebook", "sms", "", context) == english
    assert render("no_show_rebook", "sms", "es-MX", context) == render("no_show_rebook", "sms", "es", context)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", EMAIL_KINDS)
def test_every_email_has_subject_text_and_html_with_practice_contact(kind, language):
    rendered = render(
        kind, "email", language, worst_case_context(name="Bright Smiles", phone="(555) 010-2000")
    )
    assert rendered.subject and "\n" not in rendered.subject
    assert "Bright Smiles" in rendered.text and "(555) 010-2000" in rendered.text
    assert rendered.html.startswith("<!DOCTYPE html>") and "(555) 010-2000" in rendered.html
    assert rendered.html.count("<p>") == rendered.text.count("\n\n") + 1


def test_email_spanish_keeps_its_accents():
    rendered = render("reminder_7d", "email", "es", worst_case_context(name="Clínica", phone="555-0100"))
    assert "Clínica" in rendered.text
    assert "llámenos" in rendered.text
    assert "miércoles 24 sep, 12:30" in rendered.subject


def test_email_html_escapes_context_values_and_text_keeps_them():
    context = worst_case_context(
        name='Smith & <script>alert("x")</script>\r\nBcc: evil@example.com', phone="555"
    )
    rendered = render("no_show_rebook", "email", "en", context)
    assert "<script>" not in rendered.html
    assert "Smith &amp; &lt;script&gt;" in rendered.html
    assert 'Smith & <script>alert("x")</script> Bcc: evil@example.com' in rendered.text
    assert "\r" not in rendered.subject and "\n" not in rendered.subject


def test_missing_context_is_an_invalid_input():
    bare = RenderContext("Bright Smiles", "555-0100")
    for kind, field_name in [
        ("reminder_2d", "appointment_start"),
        ("installment_due", "amount_cents"),
        ("installment_overdue", "amount_cents"),
    ]:
        with pytest.raises(InvalidInput) as raised:
            render(kind, "sms", "en", bare)
        assert raised.value.details[0]["field"] == field_name
    no_due_date = RenderContext("Bright Smiles", "555-0100", amount_cents=100)
    with pytest.raises(InvalidInput):
        render("installment_due", "email", "en", no_due_date)
    assert render("no_show_rebook", "sms", "en", bare).text.startswith("Bright Smiles: ")


def test_unknown_kind_channel_or_unfit_values_are_rejected():
    context = worst_case_context()
    with pytest.raises(InvalidInput):
        render("birthday", "sms", "en", context)
    with pytest.raises(InvalidInput):
        render("help_reply", "email", "en", context)
    with pytest.raises(InvalidInput):
        render("reminder_2d", "fax", "en", context)
    with pytest.raises(InvalidInput):
        render("reminder_2d", "sms", "en", worst_case_context(phone="1" * 21))
    with pytest.raises(InvalidInput):
        RenderContext("  ", "555-0100")
    with pytest.raises(InvalidInput):
        RenderContext("Bright Smiles", "")


def test_naive_appointment_start_is_rejected():
    context = RenderContext(
        "Bright Smiles", "555-0100", appointment_start=datetime(2025, 9, 24, 12, 30), tz_name=NY
    )
    with pytest.raises(InvalidInput):
        render("reminder_2h", "sms", "en", context)


def test_local_time_comes_from_the_zone_not_the_instant_offset():
    instant = datetime(2025, 9, 24, 12, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    context = RenderContext("Bright Smiles", "555-0100", appointment_start=instant, tz_name=NY)
    assert "Tue Sep 23, 11:30 PM" in render("reminder_2h", "sms", "en", context).text
