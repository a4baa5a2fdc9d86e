"""The wording of every message, per kind and language. Rendering rules live in `templates.py`.

Placeholders: {practice}, {phone}, {when} (the appointment's local date and time), {amount} (an amount
of money), {due} (a local due date). Spanish is written with its proper accents; SMS text is
transliterated to GSM-7 when rendered (a, i, o, u lose their acute accent; e, n-tilde and u-umlaut stay).
Wording never names a procedure, a code or a diagnosis: "treatment" and "appointment" at most.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmailText:
    subject: str
    paragraphs: tuple[str, ...]


# Appended to every SMS except the opt-out confirmation (which says STOP was received instead).
SMS_STOP_LINE = {
    "en": "Reply STOP to opt out",
    "es": "Responda STOP para darse de baja",
}

SMS_TEXT: dict[str, dict[str, str]] = {
    "reminder_7d": {
        "en": "{practice}: reminder of your appointment on {when}. To change it, call {phone}.",
        "es": "{practice}: le recordamos su cita el {when}. Para cambiarla llame al {phone}.",
    },
    "reminder_2d": {
        "en": "{practice}: see you {when}. Reply C to confirm or call {phone} to change it.",
        "es": "{practice}: le esperamos el {when}. Responda C para confirmar o llame al {phone}.",
    },
    "reminder_2h": {
        "en": "{practice}: your appointment is on {when}. Running late? Call {phone}.",
        "es": "{practice}: su cita es el {when}. ¿Llega tarde? Llame al {phone}.",
    },
    "appointment_confirmed": {
        "en": "{practice}: thank you, your appointment on {when} is confirmed. Questions? Call {phone}.",
        "es": "{practice}: su cita del {when} está confirmada, gracias. ¿Dudas? Llame al {phone}.",
    },
    "no_show_rebook": {
        "en": "{practice}: we missed you at your appointment. Call {phone} to book a new time.",
        "es": "{practice}: no pudimos verle en su cita. Llame al {phone} para elegir una nueva hora.",
    },
    "unscheduled_treatment": {
        "en": "{practice}: your recommended treatment is not scheduled yet. Call {phone} to book.",
        "es": "{practice}: su tratamiento recomendado aún no tiene cita. Llame al {phone} para reservar.",
    },
    "unaccepted_plan": {
        "en": "{practice}: questions about the treatment plan we discussed? Call {phone}, glad to help.",
        "es": "{practice}: ¿preguntas sobre el plan que revisamos? Llame al {phone}, con gusto le ayudamos.",
    },
    "installment_due": {
        "en": "{practice}: your payment of {amount} is due {due}. Questions? Call {phone}.",
        "es": "{practice}: su pago de {amount} vence el {due}. ¿Preguntas? Llame al {phone}.",
    },
    "installment_overdue": {
        "en": "{practice}: we have not received your payment of {amount} due {due}. Please call {phone}.",
        "es": "{practice}: no hemos recibido su pago de {amount} del {due}. Por favor llame al {phone}.",
    },
    "unused_benefits": {
        "en": "{practice}: you may have dental benefits left this year. Call {phone} before they reset.",
        "es": "{practice}: quizá tenga beneficios dentales este año. Llame al {phone} antes de que venzan.",
    },
    "opt_out_confirmation": {
        "en": "{practice}: you replied STOP and will get no more texts. Reply START to opt in. Help: {phone}",
        "es": "{practice}: respondió STOP y no recibirá más mensajes. Responda START para volver: {phone}",
    },
    "opt_in_confirmation": {
        "en": "{practice}: you will get our texts again. Questions? Call {phone}.",
        "es": "{practice}: volverá a recibir nuestros mensajes. ¿Preguntas? Llame al {phone}.",
    },
    "help_reply": {
        "en": "{practice}: for help call {phone}. Msg & data rates may apply.",
        "es": "{practice}: para ayuda llame al {phone}. Pueden aplicarse tarifas de mensajes.",
    },
}

SMS_WITHOUT_STOP_LINE = frozenset({"opt_out_confirmation"})

EMAIL_FOOTER = {
    "en": ("{practice}, {phone}. To stop these emails, call us at {phone}.",),
    "es": ("{practice}, {phone}. Para dejar de recibir estos correos, llámenos al {phone}.",),
}

EMAIL_TEXT: dict[str, dict[str, EmailText]] = {
    "reminder_7d": {
        "en": EmailText(
            "Your appointment at {practice} on {when}",
            (
                "This is a reminder of your appointment at {practice} on {when}.",
                "If you need to change it, please call us at {phone}.",
            ),
        ),
        "es": EmailText(
            "Su cita en {practice} el {when}",
            (
                "Le recordamos su cita en {practice} el {when}.",
                "Si necesita cambiarla, llámenos al {phone}.",
            ),
        ),
    },
    "reminder_2d": {
        "en": EmailText(
            "See you on {when}",
            (
                "We look forward to seeing you at {practice} on {when}.",
                "To confirm or change your appointment, please call us at {phone}.",
            ),
        ),
        "es": EmailText(
            "Le esperamos el {when}",
            (
                "Le esperamos en {practice} el {when}.",
                "Para confirmar o cambiar su cita, llámenos al {phone}.",
            ),
        ),
    },
    "reminder_2h": {
        "en": EmailText(
            "Your appointment is coming up",
            (
                "Your appointment at {practice} is on {when}.",
                "Running late? Please call us at {phone}.",
            ),
        ),
        "es": EmailText(
            "Su cita es pronto",
            (
                "Su cita en {practice} es el {when}.",
                "¿Llega tarde? Llámenos al {phone}.",
            ),
        ),
    },
    "appointment_confirmed": {
        "en": EmailText(
            "Your appointment on {when} is confirmed",
            (
                "Thank you for confirming your appointment at {practice} on {when}.",
                "If you have questions, please call us at {phone}.",
            ),
        ),
        "es": EmailText(
            "Su cita del {when} está confirmada",
            (
                "Gracias por confirmar su cita en {practice} el {when}.",
                "Si tiene preguntas, llámenos al {phone}.",
            ),
        ),
    },
    "no_show_rebook": {
        "en": EmailText(
            "We missed you at {practice}",
            (
                "We missed you at your appointment.",
                "Please call us at {phone} to book a new time that suits you.",
            ),
        ),
        "es": EmailText(
            "No pudimos verle en {practice}",
            (
                "No pudimos verle en su cita.",
                "Llámenos al {phone} para elegir una nueva hora que le convenga.",
            ),
        ),
    },
    "unscheduled_treatment": {
        "en": EmailText(
            "Your recommended treatment is not scheduled yet",
            (
                "The treatment you agreed to at {practice} is not scheduled yet.",
                "Please call us at {phone} to choose a time.",
            ),
        ),
        "es": EmailText(
            "Su tratamiento recomendado aún no tiene cita",
            (
                "El tratamiento que aceptó en {practice} aún no tiene cita.",
                "Llámenos al {phone} para elegir una hora.",
            ),
        ),
    },
    "unaccepted_plan": {
        "en": EmailText(
            "Questions about your treatment plan?",
            (
                "If you have questions about the treatment plan we discussed at {practice}, we can help.",
                "Please call us at {phone}.",
            ),
        ),
        "es": EmailText(
            "¿Preguntas sobre su plan de tratamiento?",
            (
                "Si tiene preguntas sobre el plan de tratamiento que revisamos en {practice}, le ayudamos.",
                "Llámenos al {phone}.",
            ),
        ),
    },
    "installment_due": {
        "en": EmailText(
            "Payment of {amount} due {due}",
            (
                "Your payment of {amount} to {practice} is due {due}.",
                "If you have questions, please call us at {phone}.",
            ),
        ),
        "es": EmailText(
            "Pago de {amount} con vencimiento el {due}",
            (
                "Su pago de {amount} a {practice} vence el {due}.",
                "Si tiene preguntas, llámenos al {phone}.",
            ),
        ),
    },
    "installment_overdue": {
        "en": EmailText(
            "Your payment of {amount} is past due",
            (
                "We have not received your payment of {amount} to {practice}, due {due}.",
                "Please call us at {phone} so we can help.",
            ),
        ),
        "es": EmailText(
            "Su pago de {amount} está vencido",
            (
                "No hemos recibido su pago de {amount} a {practice}, que vencía el {due}.",
                "Llámenos al {phone} para ayudarle.",
            ),
        ),
    },
    "unused_benefits": {
        "en": EmailText(
            "Use your dental benefits before they reset",
            (
                "You may still have dental benefits left this year, and they reset soon.",
                "Call {practice} at {phone} to book a visit.",
            ),
        ),
        "es": EmailText(
            "Aproveche sus beneficios dentales antes de que se renueven",
            (
                "Es posible que aún le queden beneficios dentales este año, y pronto se renuevan.",
                "Llame a {practice} al {phone} para reservar una cita.",
            ),
        ),
    },
}
