"""Rendering messages: SMS within one 160-unit GSM-7 segment, email as subject, text and HTML.

Every SMS carries the practice's name and phone and the opt-out line ("Reply STOP to opt out", or in
Spanish "Responda STOP para darse de baja"); the opt-out confirmation says STOP was received and how
to opt back in instead. When a long practice name would push an SMS past 160 units the name is
truncated; nothing required is ever dropped. Context values are sanitised (whitespace collapsed, so
no header or line injection) and, in SMS, transliterated to GSM-7; in HTML they are escaped.
"""

from __future__ import annotations

import html
import string
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from shared.clock import require_utc, zone
from shared.domain.template_text import (
    EMAIL_FOOTER,
    EMAIL_TEXT,
    SMS_STOP_LINE,
    SMS_TEXT,
    SMS_WITHOUT_STOP_LINE,
    EmailText,
)
from shared.errors import InvalidInput

SMS_MAX_UNITS = 160
MIN_PRACTICE_NAME_UNITS = 20  # below this a truncated name no longer identifies the sender
MAX_PHONE_UNITS = 20
LANGUAGES = ("en", "es")
KINDS = tuple(SMS_TEXT)

Entry = TypeVar("Entry")

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")  # sent as an escape plus a character: two units each

_LOOKALIKES = {
    "‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"',
    "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "…": "...", "•": "-", "·": "-",
    "ç": "c", "\t": " ",
}  # fmt: skip

WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 default alphabet or its extension table."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def gsm7_length(text: str) -> int:
    """Length in GSM-7 units (extension-table characters count 2); InvalidInput if not GSM-7."""
    if not is_gsm7(text):
        bad = sorted({char for char in text if char not in GSM7_BASIC and char not in GSM7_EXTENSION})
        raise InvalidInput(f"text is not GSM-7: {bad!r}", details=[{"field": "text", "message": "not GSM-7"}])
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


def to_gsm7(text: str) -> str:
    """`text` in GSM-7: typographic lookalikes replaced, accents GSM-7 lacks removed, the rest dropped."""
    out = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
        elif char in _LOOKALIKES:
            out.append(_LOOKALIKES[char])
        elif char.isspace():
            out.append(" ")
        else:
            base = unicodedata.normalize("NFKD", char)
            out.append("".join(part for part in base if part in GSM7_BASIC or part in GSM7_EXTENSION))
    return "".join(out)


def format_cents(cents: int) -> str:
    """Integer cents as US dollars: 123456 -> "$1,234.56"; negatives as "-$1.00"."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise InvalidInput(
            "amount must be integer cents", details=[{"field": "amount_cents", "message": "integer cents"}]
        )
    dollars, remainder = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}${dollars:,}.{remainder:02d}"


def format_local_datetime(instant: datetime, tz_name: str, language: str = "en") -> str:
    """The location's local date and time: "Tue Mar 10, 2:30 PM" / "martes 10 mar, 14:30"."""
    local = require_utc(instant, "appointment_start").astimezone(zone(tz_name))
    language = _language(language)
    weekday = WEEKDAYS[language][local.weekday()]
    month = MONTHS[language][local.month - 1]
    if language == "es":
        return f"{weekday} {local.day} {month}, {local.hour:02d}:{local.minute:02d}"
    hour = local.hour % 12 or 12
    return f"{weekday} {month} {local.day}, {hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def format_local_date(day: date, language: str = "en") -> str:
    """A calendar date: "Mar 10" / "10 mar"."""
    language = _language(language)
    month = MONTHS[language][day.month - 1]
    return f"{day.day} {month}" if language == "es" else f"{month} {day.day}"


@dataclass(frozen=True)
class RenderContext:
    """What a message may say. There is deliberately no field for procedures or clinical notes."""

    practice_name: str
    practice_phone: str
    appointment_start: datetime | None = None
    tz_name: str | None = None
    amount_cents: int | None = None
    due_date: date | None = None

    def __post_init__(self) -> None:
        for field in ("practice_name", "practice_phone"):
            if not isinstance(getattr(self, field), str) or not getattr(self, field).strip():
                raise InvalidInput(f"{field} is required", details=[{"field": field, "message": "required"}])


@dataclass(frozen=True)
class Wording:
    """A location's own wording of one kind in one language (checked by `template_checks`); a part left
    None keeps the catalogue's text. `email_body` holds paragraphs separated by blank lines."""

    sms: str | None = None
    email_subject: str | None = None
    email_body: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {name: value for name, value in (("sms", self.sms), ("email_subject", self.email_subject),
                                                ("email_body", self.email_body)) if value is not None}


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    text: str
    html: str | None


def render(kind: str, channel: str, language: str, context: RenderContext,
           wording: Wording | None = None) -> Rendered:
    """The message of `kind` for `channel` ("sms" or "email") in `language` (unknown ones fall back to en),
    in the location's own `wording` where it has one."""
    language = _language(language)
    wording = wording or Wording()
    if channel == "sms":
        return Rendered(subject=None, text=_render_sms(kind, language, context, wording.sms), html=None)
    if channel == "email":
        return _render_email(kind, language, context, wording)
    raise InvalidInput(
        f"unknown channel {channel!r}", details=[{"field": "channel", "message": "sms or email"}]
    )


def _language(language: str | None) -> str:
    primary = (language or "en").replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else "en"


def _clean(value: str) -> str:
    return " ".join(str(value).split())


def _values(template: str, language: str, context: RenderContext) -> dict[str, str]:
    """The placeholder values `template` uses, formatted for `language`; InvalidInput if one is missing."""
    needed = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    values = {"practice": _clean(context.practice_name), "phone": _clean(context.practice_phone)}
    if "when" in needed:
        if context.appointment_start is None or context.tz_name is None:
            raise _missing("appointment_start")
        values["when"] = format_local_datetime(context.appointment_start, context.tz_name, language)
    if "amount" in needed:
        if context.amount_cents is None:
            raise _missing("amount_cents")
        values["amount"] = format_cents(context.amount_cents)
    if "due" in needed:
        if context.due_date is None:
            raise _missing("due_date")
        values["due"] = format_local_date(context.due_date, language)
    return values


def _missing(field: str) -> InvalidInput:
    return InvalidInput(f"this message needs {field}", details=[{"field": field, "message": "required"}])


def _catalogue_entry(catalogue: dict[str, dict[str, Entry]], kind: str, channel: str, language: str) -> Entry:
    if kind not in catalogue:
        raise InvalidInput(
            f"no {channel} template for kind {kind!r}", details=[{"field": "kind", "message": "unknown"}]
        )
    return catalogue[kind][language]


def _render_sms(kind: str, language: str, context: RenderContext, own: str | None = None) -> str:
    template = own if own is not None else _catalogue_entry(SMS_TEXT, kind, "sms", language)
    if kind not in SMS_WITHOUT_STOP_LINE:
        template = f"{template} {SMS_STOP_LINE[language]}"
    return fit_sms(template, _values(template, language, context), repr(kind))


def fit_sms(template: str, values: dict[str, str], what: str) -> str:
    """`template` (STOP line included) filled with `values` (`practice` and `phone` among them) in one segment:
    values transliterated to GSM-7, the practice's name truncated to what is left of 160 units; InvalidInput
    when fewer than MIN_PRACTICE_NAME_UNITS would be left for it, or the phone is too long."""
    values = {key: _clean(to_gsm7(value)) for key, value in values.items()}
    if not values["phone"] or gsm7_length(values["phone"]) > MAX_PHONE_UNITS:
        raise InvalidInput(
            "practice phone must be 1 to 20 characters",
            details=[{"field": "practice_phone", "message": "1 to 20 characters"}],
        )
    body = to_gsm7(template)
    fixed_units = gsm7_length(body.format(**{**values, "practice": ""}))
    name_budget = SMS_MAX_UNITS - fixed_units
    if name_budget < MIN_PRACTICE_NAME_UNITS:
        raise InvalidInput(f"SMS {what} cannot fit {SMS_MAX_UNITS} characters with the practice's name")
    values["practice"] = _truncate_units(values["practice"], name_budget) or "?"
    return body.format(**values)


def _truncate_units(text: str, max_units: int) -> str:
    """The longest prefix of `text` within `max_units` GSM-7 units, without dangling spaces or punctuation."""
    if gsm7_length(text) <= max_units:
        return text
    kept, used = [], 0
    for char in text:
        cost = 2 if char in GSM7_EXTENSION else 1
        if used + cost > max_units:
            break
        kept.append(char)
        used += cost
    return "".join(kept).rstrip(" ,.;:-&/(")


def email_paragraphs(body: str) -> tuple[str, ...]:
    """An email body's paragraphs: blank lines separate them, other whitespace runs become one space."""
    return tuple(" ".join(part.split()) for part in body.split("\n\n") if part.strip())


def _render_email(kind: str, language: str, context: RenderContext, wording: Wording) -> Rendered:
    entry = _catalogue_entry(EMAIL_TEXT, kind, "email", language)
    if wording.email_subject is not None or wording.email_body is not None:
        entry = EmailText(wording.email_subject or entry.subject,
                          email_paragraphs(wording.email_body) if wording.email_body else entry.paragraphs)
    footer = EMAIL_FOOTER[language]
    paragraphs = (*entry.paragraphs, *footer)
    values = _values(" ".join((entry.subject, *paragraphs)), language, context)
    subject = entry.subject.format(**values)
    text_paragraphs = [paragraph.format(**values) for paragraph in paragraphs]
    html_paragraphs = "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in text_paragraphs)
    html_body = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head><body>{html_paragraphs}</body></html>"
    )
    return Rendered(subject=subject, text="\n\n".join(text_paragraphs), html=html_body)
