"""The message carrying a signing link: an SMS fits one 160-unit GSM-7 segment with the practice's name and
phone, the whole link and the STOP line, in English and Spanish, with no clinical detail; a console address
too long for that is refused rather than cut."""

from __future__ import annotations

import pytest

from shared.domain.signing import new_token
from shared.domain.signing_message import fits_sms, render
from shared.domain.template_checks import CDT_CODE, CLINICAL_WORDS
from shared.domain.templates import MIN_PRACTICE_NAME_UNITS, gsm7_length

CLOUDFRONT = "https://d111111abcdef8.cloudfront.net/console"  # the default domain: the longest we plan for
PRACTICE = "Chairside Demo Dental - Brooklyn Heights Family Practice"
STOP = {"en": "Reply STOP to opt out", "es": "Responda STOP para darse de baja"}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("base", [CLOUDFRONT, "http://127.0.0.1:8000/console"])
def test_an_sms_link_fits_one_segment_with_name_phone_and_stop_line(language: str, base: str) -> None:
    link = f"{base}/s#{new_token(b'secret')[1]}"
    text = render("sms", language, PRACTICE, "(718) 555-0100", link).text
    assert gsm7_length(text) <= 160
    assert text.endswith(" " + STOP[language]) and f" {link} " in text and "(718) 555-0100" in text
    name = text.split(" (718)")[0]
    assert PRACTICE.startswith(name) and len(name) >= MIN_PRACTICE_NAME_UNITS
    assert not CLINICAL_WORDS.search(text) and not CDT_CODE.search(text)
    assert fits_sms(language, PRACTICE, "(718) 555-0100", link)


def test_a_console_address_too_long_for_one_sms_is_refused_not_cut() -> None:
    link = f"https://treatment-plans.riverside-family-dental-group.example.com/console/s#{new_token(b's')[1]}"
    assert not fits_sms("es", PRACTICE, "(718) 555-0100", link)
    assert render("email", "es", PRACTICE, "(718) 555-0100", link).text.count(link) == 1  # email has room


def test_the_email_names_no_procedure_either() -> None:
    rendered = render("email", "en", "Riverside Dental", "+15551230000", f"{CLOUDFRONT}/s#abc")
    assert rendered.subject == "Your treatment plan from Riverside Dental"
    assert not CDT_CODE.search(rendered.text) and not CLINICAL_WORDS.search(rendered.text)
