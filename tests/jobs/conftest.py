"""Fixtures for the scheduled, queued and SNS-driven jobs: a clinic in a time zone, patients, bookings
through the services (as the API would make them), and a notifier that records what it was asked to send."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from shared.auth import Principal
from shared.commands.appointments import AppointmentCreate
from shared.commands.locations import LocationCreate
from shared.commands.patients import PatientCreate
from shared.services import appointments, locations, patients
from shared.store import outbox as outbox_store
from shared.store import patients as patient_store
from tests.factories import commit
from tests.helpers import FULL_CONSENT, StubNotifier

_numbers = itertools.count(1000)


@dataclass
class Clinic:
    org: str
    principal: Principal
    location: dict[str, Any]

    def patient(self, **overrides: Any) -> dict[str, Any]:
        body = {"location_id": self.location["id"], "first_name": "Ana", "last_name": "Núñez",
                "date_of_birth": "1985-04-12", "phone": f"+1555{next(_numbers):07d}",
                "email": f"patient{next(_numbers)}@example.com", "language": "en", "consent": FULL_CONSENT}
        body.update(overrides)
        return patients.view(patients.create(self.principal, PatientCreate.model_validate(body)))

    def book(self, patient: dict[str, Any], start: str, minutes: int = 60) -> dict[str, Any]:
        command = AppointmentCreate(patient_id=patient["id"], start=datetime.fromisoformat(start),
                                    duration_minutes=minutes)
        return appointments.view(appointments.create(self.principal, command))

    def rows(self, appointment_id: str | None = None, patient_id: str | None = None) -> list[dict[str, Any]]:
        """Stored outbox rows of an appointment or a patient (consistent reads, whatever the indexes say)."""
        from shared.services.messages import list_messages

        items, _ = list_messages(self.principal, patient_id, appointment_id, None, None, 100, None)
        fresh = outbox_store.get_many(self.org, [item.id for item in items])
        docs = (outbox_store.document(row) for row in fresh.values())
        return sorted(docs, key=lambda doc: (doc["send_at"], doc["id"]))

    def set_patient(self, patient_id: str, **fields: Any) -> None:
        patient = patient_store.load(self.org, patient_id, consistent=True)
        commit(lambda uow: patient_store.put(uow, self.org, dataclasses.replace(patient, **fields), patient.version))


@pytest.fixture
def make_clinic(org):
    """A clinic factory; the test names its store (`store`: moto and DynamoDB Local, or `moto_store`)."""
    def make(tz: str = "America/New_York", group: str | None = None, **overrides: Any) -> Clinic:
        """`group`: another group's org id, for what must stay within one group (or reach several)."""
        principal = Principal(sub="coord-1", org=group or org, role="admin", locations=("*",))
        body = {"name": "Riverside Dental", "timezone": tz, "phone": "+15551230000", "languages": ["en", "es"],
                **overrides}
        location = locations.create(principal, LocationCreate.model_validate(body))
        return Clinic(group or org, principal, locations.view(location))

    return make


@pytest.fixture
def stub() -> StubNotifier:
    return StubNotifier()
