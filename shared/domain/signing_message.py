"""The email that carries a signing link, in English and Spanish. It names no procedure or amount (the
page behind the link does), only the practice, how to reach it, and the link.

Signing links go by email only: an SMS must hold the practice's name, its phone and the STOP line in one
160-character GSM-7 segment, which leaves no room for a link (DESIGN §2's SMS rules).
"""

from __future__ import annotations

import html

from shared.domain.templates import Rendered

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


def render(language: str, practice: str, phone: str, link: str) -> Rendered:
    subject, paragraphs = _TEXT["es" if language == "es" else "en"]
    values = {"practice": " ".join(practice.split()), "phone": " ".join(phone.split()), "link": link}
    text = "\n\n".join(p.format(**values) for p in paragraphs)
    escaped = {name: html.escape(value) for name, value in values.items()}
    escaped["link"] = f'<a href="{html.escape(link)}">{html.escape(link)}</a>'
    body = "".join(f"<p>{p.format(**escaped)}</p>" for p in paragraphs)
    return Rendered(subject=subject.format(**values), text=text, html=body)
