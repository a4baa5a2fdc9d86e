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


def plan_body(patient_id: str, **overrides) -> dict:
    """Exam, cleaning, a crown on #3 and a root canal on #14, in two phases."""
    body = {"patient_id": patient_id, "phases": [
        {"name": "Phase 1: diagnose and clean", "steps": [
            {"procedures": [{"code": "D0150"}, {"code": "D1110"}]}]},
        {"name": "Phase 2: restore", "steps": [
            {"procedures": [{"code": "D3330", "tooth": "14"}]},
            {"procedures": [{"code": "D2740", "tooth": 3}]}]},
    ]}
    body.update(overrides)
    return body


def coverage_body(**overrides) -> dict:
    body = {"carrier": "Delta Dental", "member_id": "DD-1", "renewal_month": 1, "annual_max_cents": 150000,
            "used_cents": 90000, "deductible_cents": 5000,
            "coverage_pct": {"diagnostic": 100, "xray": 100, "preventive": 100, "restorative": 80,
                             "endodontics": 80, "periodontics": 80, "crowns": 50, "prosthodontics": 50}}
    body.update(overrides)
    return body
