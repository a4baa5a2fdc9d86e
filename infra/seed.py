"""The demo group a fresh local stack starts with: two locations in different time zones and a few patients."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from shared import clock
from shared.auth import Principal
from shared.commands.appointments import AppointmentCreate
from shared.commands.locations import LocationCreate
from shared.commands.patients import PatientCreate
from shared.domain.locations import Location
from shared.services import appointments, coverages, locations, patients
from shared.store import records

DEMO_ORG = "org_demo"
DEMO_ADMIN = Principal(sub="demo-admin", org=DEMO_ORG, role="admin", locations=("*",))

_LOCATIONS = [
    {"name": "Chairside Demo Dental - Brooklyn", "timezone": "America/New_York", "phone": "+17185550100",
     "email": "brooklyn@demo.chairside.example", "languages": ["en", "es"]},
    {"name": "Chairside Demo Dental - Pasadena", "timezone": "America/Los_Angeles", "phone": "+16265550100",
     "email": "pasadena@demo.chairside.example", "languages": ["en", "es"]},
]
_PATIENTS = [
    ("Maria", "Garcia", "1979-03-02", "es"), ("James", "Okafor", "1990-11-21", "en"),
    ("Lena", "Fischer", "1965-07-09", "en"), ("Diego", "Ramirez", "2001-01-30", "es"),
]
_COVERAGE = {"carrier": "Demo Dental PPO", "member_id": "DEMO-0001", "renewal_month": 1, "annual_max_cents": 150000,
             "used_cents": 20000, "pending_cents": 0, "deductible_cents": 5000, "deductible_met_cents": 0,
             "coverage_pct": {"diagnostic": 100, "xray": 100, "preventive": 100, "restorative": 80,
                              "endodontics": 80, "periodontics": 80, "oral_surgery": 80, "crowns": 50,
                              "prosthodontics": 50, "implants": 50, "orthodontics": 50, "adjunctive": 50},
             "ortho_lifetime_max_cents": 150000, "ortho_used_cents": 0}


def demo_exists() -> bool:
    return bool(records.query(f"{DEMO_ORG}#LOC", limit=1).records)


def seed_demo() -> dict[str, list[str]]:
    """Create the demo group; returns the ids made. Call only when demo_exists() is False."""
    made: dict[str, list[str]] = {"locations": [], "patients": []}
    for index, fields in enumerate(_LOCATIONS):
        location = locations.create(DEMO_ADMIN, LocationCreate(**fields))
        made["locations"].append(location.id)
        for n, (first, last, born, language) in enumerate(_PATIENTS):
            patient = patients.create(DEMO_ADMIN, PatientCreate.model_validate({
                "location_id": location.id, "first_name": first, "last_name": last, "date_of_birth": born,
                "phone": f"+1555010{index}{n:03d}", "email": f"{first.lower()}.{last.lower()}@patient.example",
                "language": language,
                "consent": {"email": {"appointment": True, "billing": True, "treatment": True},
                            "sms": {"appointment": True, "billing": False, "treatment": False}},
            }))
            made["patients"].append(patient.id)
            coverages.put_coverage(DEMO_ADMIN, patient.id, 1, dict(_COVERAGE), None)
        _missed_visit(location, made["patients"][-len(_PATIENTS) + 1])
    return made


def _missed_visit(location: Location, patient_id: str) -> None:
    """Yesterday at 10:00 the second patient did not come: the worklist starts with a task to rebook them."""
    zone = clock.zone(location.timezone)
    yesterday = clock.now().astimezone(zone).date() - timedelta(days=1)
    start = datetime.combine(yesterday, time(10, 0), zone)
    with clock.frozen_at(clock.require_utc(start) - timedelta(days=1)):  # booked the day before, as it would have been
        visit = appointments.create(DEMO_ADMIN, AppointmentCreate.model_validate(
            {"patient_id": patient_id, "start": start.isoformat()}))
    appointments.no_show(DEMO_ADMIN, visit.id)
