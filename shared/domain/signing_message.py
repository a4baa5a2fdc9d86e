"""The message that carries a signing link, by email or SMS, in English and Spanish. It names no procedure
or amount (the page behind the link does), only the practice, how to reach it, and the link.

An SMS holds the practice's name and phone, the link and the STOP line in one 160-unit GSM-7 segment
(DESIGN §2's SMS rules), the name truncated as in every other SMS (templates.fit_sms). That fits because
the link is short: the console's `/s` path and a 24-character token (signing.py). A console URL too long
for it (a long custom domain) makes `fits_sms` false, and the service refuses the SMS with a 422.
"""

from __future__ import annotations

import html

from shared.domain.template_text import SMS_STOP_LINE
from shared.domain.templates import Rendered, fit_sms
from shared.errors import ChairsideError

_TEXT = {
    "en": ("Your treatment plan from {practice}",
           ("{practice} has prepared your treatment plan and its estimated costs.",
            "Review and sign it here: {link}",
            "The link works once and expires; questions? Call us at {phone}.")),
    "es": ("Su plan de tratamiento de {practice}",
           ("{practice} preparó su plan de tratamiento y sus costos estimados.",
            "Revíselo y fírmelo aquí: {link}",
            "El enlace funciona una sola vez y vence; ¿preguntas? Llámenos al {phone}.")),
}
_SMS = {
    "en": "{practice} {phone}: sign your plan {link}",
    "es": "{practice} {phone}: firme su plan {link}",
}


def _language(language: str) -> str:
    return "es" if language == "es" else "en"


def render(channel: str, language: str, practice: str, phone: str, link: str) -> Rendered:
    """The message for `channel` ("email" or "sms"); InvalidInput when the SMS cannot fit one segment."""
    language = _language(language)
    if channel == "sms":
        template = f"{_SMS[language]} {SMS_STOP_LINE[language]}"
        text = fit_sms(template, {"practice": practice, "phone": phone, "link": link}, "signing link")
        return Rendered(subject=None, text=text, html=None)
    subject, paragraphs = _TEXT[language]
    values = {"practice": " ".join(practice.split()), "phone": " ".join(phone.split()), "link": link}
    text = "\n\n".join(p.format(**values) for p in paragraphs)
    escaped = {name: html.escape(value) for name, value in values.items()}
    escaped["link"] = f'<a href="{html.escape(link)}">{html.escape(link)}</a>'
    body = "".join(f"<p>{p.format(**escaped)}</p>" for p in paragraphs)
    return Rendered(subject=subject.format(**values), text=text, html=body)


def fits_sms(language: str, practice: str, phone: str, link: str) -> bool:
    """Whether the SMS carrying `link` fits one segment with at least a recognisable practice name."""
    try:
        render("sms", language, practice, phone, link)
    except ChairsideError:
        return False
    return True
