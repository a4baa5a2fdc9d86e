"""Patients: identity, contact details, consent per channel and purpose, and insurance coverage."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared import clock
from shared.auth import Principal
from shared.ids import new_id
from shared.services import locations
from shared.services.documents import apply_patch, require_version, view
from shared.services.visibility import Kind, get_visible
from shared.store import patients as store
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork

REQUIRED = ("first_name", "last_name", "date_of_birth", "language", "consent")
# Set by the messaging side (inbound STOP, bounces), never through the API.
SYSTEM_FIELDS = {"sms_opted_out": False, "email_suppressed": False}


def load(principal: Principal, patient_id: str) -> Record:
    """The patient's profile if it is in the caller's group and in a location the caller may see."""
    return get_visible(principal, Kind.PATIENT, patient_id)


def create(principal: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    locations.load_visible(principal, fields["location_id"])
    stamp = clock.now_iso()
    doc = {**SYSTEM_FIELDS, **fields, "id": new_id("pat"), "created_at": stamp, "updated_at": stamp}
    uow = UnitOfWork()
    record = store.put_profile(uow, principal.org, doc, None)
    uow.commit()
    return view(record)


def get(principal: Principal, patient_id: str) -> dict[str, Any]:
    return view(load(principal, patient_id))


def update(principal: Principal, patient_id: str, changes: dict[str, Any], expected_version: int) -> dict[str, Any]:
    record = require_version(load(principal, patient_id), expected_version)
    doc = {**apply_patch(record.data(), changes, REQUIRED), "updated_at": clock.now_iso()}
    uow = UnitOfWork()
    updated = store.put_profile(uow, principal.org, doc, expected_version)
    uow.commit()
    return view(updated)


def list_for_location(principal: Principal, location_id: str, q: str | None, limit: int,
                      start_key: dict | None) -> tuple[list[dict], dict | None]:
    """Patients of one location, by name; `q` matches the start of 'last first' (accents ignored)."""
    locations.load_visible(principal, location_id)
    prefix = store.search_key(q) if q else None
    page = store.page_for_location(principal.org, location_id, prefix, limit, start_key)
    return [view(r) for r in page.records], page.last_key


def display_names(org: str, patient_ids: Iterable[str]) -> dict[str, str]:
    """First and last name by patient id, for a list that names its patients (one BatchGetItem per 100;
    a missing patient is left out). The list's route names these patients in its audit record."""
    return {patient_id: f"{doc['first_name']} {doc['last_name']}"
            for patient_id, doc in store.profiles(org, patient_ids).items()}
