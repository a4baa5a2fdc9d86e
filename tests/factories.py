"""Valid request bodies for tests, so each test states only what it is about."""

from __future__ import annotations


def location_body(**overrides) -> dict:
    body = {"name": "Riverside Dental", "timezone": "America/New_York", "phone": "+15551230000",
            "email": "front@riverside.example", "languages": ["en", "es"]}
    body.update(overrides)
    return body


def patient_body(location_id: str, **overrides) -> dict:
    body = {"location_id": location_id, "first_name": "Ana", "last_name": "Núñez", "date_of_birth": "1985-04-12",
            "phone": "+15557654321", "email": "ana.nunez@example.com", "language": "es",
            "consent": {"sms": {"appointment": True}, "email": {"appointment": True, "billing": True}}}
    body.update(overrides)
    return body
