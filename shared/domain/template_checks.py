"""Checks on a location's own message wording, so that every message it can produce is lawful and fits.

A location may reword any message kind of the catalogue except the replies to STOP, START and HELP
(their wording is what carriers and the CTIA handbook expect). For each kind and language:

- placeholders: only those the catalogue's own wording of that kind uses (a reminder may say {when},
  an installment message {amount} and {due}; nothing may name a procedure, a tooth or a diagnosis),
  written as bare names (`{when}`, not `{when.year}` or `{when!r}`);
- no clinical detail in the literal text either: no CDT code, no procedure or diagnosis word;
- SMS: the practice's name and phone ({practice} and {phone}) are required, every character must be
  GSM-7 (after the same transliteration the renderer applies), and the text with the STOP line the
  renderer appends must fit 160 GSM-7 units with the longest value each placeholder can take and a
  practice name of at least `MIN_PRACTICE_NAME_UNITS` (longer names are truncated when rendered);
- email: a one-line subject of at most 150 characters and a body of at most 2,000; the footer with the
  practice's contact and how to stop the emails is always appended.

Problems are returned as `{"field", "message"}` details, the field a dotted path such as
`templates.reminder_2d.en.sms`, so a 400 names what to fix.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from shared.domain.template_text import EMAIL_TEXT, SMS_STOP_LINE, SMS_TEXT, SMS_WITHOUT_STOP_LINE
from shared.domain.templates import (
    LANGUAGES,
    MAX_PHONE_UNITS,
    MIN_PRACTICE_NAME_UNITS,
    SMS_MAX_UNITS,
    Wording,
    email_paragraphs,
    format_cents,
    format_local_date,
    format_local_datetime,
    gsm7_length,
    to_gsm7,
)

FIXED_WORDING_KINDS = frozenset({"opt_out_confirmation", "opt_in_confirmation", "help_reply"})
CUSTOMISABLE_KINDS = tuple(kind for kind in SMS_TEXT if kind not in FIXED_WORDING_KINDS)
MAX_MESSAGE_AMOUNT_CENTS = 99_999_999  # $999,999.99: the longest amount a message is checked against
MAX_SUBJECT_CHARS = 150
MAX_BODY_CHARS = 2000
MAX_SMS_TEMPLATE_CHARS = 320  # before placeholders are filled; the 160-unit check is the real limit
REQUIRED_IN_SMS = ("practice", "phone")

CDT_CODE = re.compile(r"\bD\d{4}\b", re.IGNORECASE)
CLINICAL_WORDS = re.compile(
    r"\b(crowns?|root canals?|extractions?|implants?|fillings?|cavit(y|ies)|caries|periodontal|perio|"
    r"gum disease|gingivitis|abscess|diagnos[ie]s|x-?rays?|dentures?|bridges?|veneers?|scaling|"
    r"corona|coronas|endodoncia|extracci[oó]n|implantes?|empastes?|caries|diagn[oó]stico|radiograf[ií]as?)\b",
    re.IGNORECASE,
)


def _placeholders(text: str) -> list[tuple[str, str | None, str | None]]:
    """(field name, conversion, format spec) of each placeholder; ValueError on a malformed brace."""
    return [(name, conversion, spec) for _, name, spec, conversion in string.Formatter().parse(text)
            if name is not None]


@cache
def allowed_placeholders(kind: str) -> frozenset[str]:
    """The placeholders the catalogue's own wording of `kind` uses, in any language or channel."""
    texts = [*SMS_TEXT.get(kind, {}).values()]
    for entry in EMAIL_TEXT.get(kind, {}).values():
        texts.extend((entry.subject, *entry.paragraphs))
    return frozenset(name for text in texts for name, _, _ in _placeholders(text))


@cache
def longest_values(language: str) -> dict[str, str]:
    """The longest text each placeholder can render to in `language` (measured over a whole year)."""
    first = date(2027, 1, 1)
    days = [first + timedelta(days=n) for n in range(365)]
    whens = [format_local_datetime(datetime.combine(day, moment, UTC), "UTC", language)
             for day in days for moment in (time(12, 59), time(23, 59))]
    dues = [format_local_date(day, language) for day in days]
    return {
        "when": max(whens, key=_units),
        "due": max(dues, key=_units),
        "amount": format_cents(MAX_MESSAGE_AMOUNT_CENTS),
        "phone": "9" * MAX_PHONE_UNITS,
        "practice": "P" * MIN_PRACTICE_NAME_UNITS,
    }


def _units(text: str) -> int:
    return gsm7_length(to_gsm7(text))


def check_wording(kind: str, language: str, wording: Wording, path: str) -> list[dict[str, str]]:
    """Every problem with a location's wording of `kind` in `language` (an empty list when it is fine)."""
    if kind not in CUSTOMISABLE_KINDS:
        return [{"field": path, "message": "no such message kind, or its wording is fixed: one of "
                 + ", ".join(CUSTOMISABLE_KINDS)}]
    if language not in LANGUAGES:
        return [{"field": path, "message": "language must be one of " + ", ".join(LANGUAGES)}]
    problems: list[dict[str, str]] = []
    if wording.sms is not None:
        problems += _check_sms(kind, language, wording.sms, f"{path}.sms")
    if wording.email_subject is not None:
        problems += _check_text(kind, wording.email_subject, f"{path}.email_subject", MAX_SUBJECT_CHARS)
        if "\n" in wording.email_subject or "\r" in wording.email_subject:
            problems.append({"field": f"{path}.email_subject", "message": "must be one line"})
    if wording.email_body is not None:
        problems += _check_text(kind, wording.email_body, f"{path}.email_body", MAX_BODY_CHARS)
        if not email_paragraphs(wording.email_body):
            problems.append({"field": f"{path}.email_body", "message": "must not be empty"})
    return problems


def _check_text(kind: str, text: str, field: str, max_chars: int) -> list[dict[str, str]]:
    """Length, placeholders and clinical detail: the checks every channel shares."""
    if not text.strip() or len(text) > max_chars:
        return [{"field": field, "message": f"must be 1 to {max_chars} characters"}]
    try:
        found = _placeholders(text)
    except ValueError:
        return [{"field": field, "message": "a brace is not closed: write placeholders as {name}, e.g. {phone}"}]
    problems = []
    allowed = allowed_placeholders(kind)
    for written, conversion, spec in found:
        name = re.split(r"[.\[]", written)[0]
        if name not in allowed:
            clinical = " (clinical detail is never allowed in messages)" if name not in _ALL_PLACEHOLDERS else ""
            problems.append({"field": field, "message": f"placeholder {{{name}}} is not allowed in {kind}{clinical};"
                             " allowed: " + ", ".join(f"{{{n}}}" for n in sorted(allowed))})
        elif conversion or spec or written != name:
            problems.append({"field": field, "message": f"placeholder {{{name}}} must be written as {{{name}}}"})
    literal = "".join(part for part, _, _, _ in string.Formatter().parse(text))
    if CDT_CODE.search(literal) or CLINICAL_WORDS.search(literal):
        problems.append({"field": field, "message": "clinical detail (a procedure, code or diagnosis) is not "
                         "allowed in messages: say 'treatment' or 'appointment'"})
    return problems


def _check_sms(kind: str, language: str, text: str, field: str) -> list[dict[str, str]]:
    problems = _check_text(kind, text, field, MAX_SMS_TEMPLATE_CHARS)
    if problems:
        return problems
    names = {name for name, _, _ in _placeholders(text)}
    missing = [name for name in REQUIRED_IN_SMS if name not in names]
    if missing:
        problems.append({"field": field, "message": "an SMS must carry the practice's name and phone: add "
                         + " and ".join(f"{{{name}}}" for name in missing)})
    untransliterable = sorted({char for char in text if not char.isspace() and not to_gsm7(char)})
    if untransliterable:
        problems.append({"field": field, "message": f"characters outside GSM-7 are not allowed in SMS: "
                         f"{''.join(untransliterable)!r}"})
    if problems:
        return problems
    full = text if kind in SMS_WITHOUT_STOP_LINE else f"{text} {SMS_STOP_LINE[language]}"
    longest = to_gsm7(full).format(**longest_values(language))
    units = gsm7_length(to_gsm7(longest))
    if units > SMS_MAX_UNITS:
        problems.append({"field": field, "message": f"too long for one SMS: up to {units} GSM-7 characters with "
                         f"the longest date, amount and phone and the line '{SMS_STOP_LINE[language]}' "
                         f"(at most {SMS_MAX_UNITS})"})
    return problems


_ALL_PLACEHOLDERS = frozenset({"practice", "phone", "when", "amount", "due"})
