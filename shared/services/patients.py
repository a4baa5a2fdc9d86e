"""Patients: identity, contact details, consent per channel and purpose, and insurance coverage."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.auth import Principal
from shared.domain.codec import from_json, to_json
from shared.domain.patients import Patient
from shared.ids import new_id
from shared.services import locations
from shared.services.documents import patched, require_version, without_nulls
from shared.services.visibility import Kind, get_visible
from shared.store import patients as store
from shared.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from shared.commands.patients import PatientCreate, PatientPatch

REQUIRED = ("first_name", "last_name", "date_of_birth", "language", "consent")


def view(patient: Patient) -> dict[str, Any]:
    """The patient as the API shows it (empty optional fields left out)."""
    return without_nulls(to_json(patient))


def load(principal: Principal, patient_id: str) -> Patient:
    """The patient's profile if it is in the caller's group and in a location the caller may see."""
    return get_visible(principal, Kind.PATIENT, patient_id)


def create(principal: Principal, request: PatientCreate) -> Patient:
    locations.load_visible(principal, request.location_id)
    stamp = clock.now_iso()
    patient = from_json(Patient, {**request.model_dump(mode="json"), "id": new_id("pat"), "created_at": stamp,
                                  "updated_at": stamp})
    uow = UnitOfWork()
    created = store.put(uow, principal.org, patient, None)
    uow.commit()
    return created


def get(principal: Principal, patient_id: str) -> Patient:
    return load(principal, patient_id)


def update(principal: Principal, patient_id: str, patch: PatientPatch, expected_version: int) -> Patient:
    current = require_version(load(principal, patient_id), expected_version)
    uow = UnitOfWork()
    updated = store.put(uow, principal.org, patched(current, patch, REQUIRED, updated_at=clock.now()), expected_version)
    uow.commit()
    return updated


def list_for_location(principal: Principal, location_id: str, q: str | None, limit: int,
                      start_key: dict | None) -> tuple[list[Patient], dict | None]:
    """Patients of one location, by name; `q` matches the start of 'last first' (accents ignored)."""
    locations.load_visible(principal, location_id)
    prefix = store.search_key(q) if q else None
    return store.page_for_location(principal.org, location_id, prefix, limit, start_key)


def display_names(org: str, patient_ids: Iterable[str]) -> dict[str, str]:
    """First and last name by patient id, for a list that names its patients (one BatchGetItem per 100;
    a missing patient is left out). The list's route names these patients in its audit record."""
    return {patient_id: patient.full_name for patient_id, patient in store.load_many(org, patient_ids).items()}
