"""Repository of patients: the profile and the insurance coverage, two items of one partition.

Profile (`kind` "patient"): pk `{org}#PAT#{patient_id}`, sk `PROFILE`; gsi1
`{org}#LOC#{location_id}#PATIENTS` / `{search key of 'last first'}#{id}` (a location's patients by
name, and a search by the start of the name as one Query). Its doc is `shared.domain.patients.Patient`.
Coverages, history and claim usage are items of the same partition: see shared/store/benefits.py.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from shared.domain.patients import Patient
from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork

PROFILE = "PROFILE"


def pk(org: str, patient_id: str) -> str:
    return f"{org}#PAT#{patient_id}"


def key(org: str, patient_id: str) -> tuple[str, str]:
    """The profile's item key, for a batch read with other items."""
    return pk(org, patient_id), PROFILE


def by_location(org: str, location_id: str) -> str:
    return f"{org}#LOC#{location_id}#PATIENTS"


def search_key(text: str) -> str:
    """Lower case, accents and punctuation removed: 'Núñez-Ortiz' -> 'nunezortiz'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9 ]", "", plain).strip()


def profile_record(org: str, patient: Patient) -> Record:
    name = search_key(f"{patient.last_name} {patient.first_name}")
    return Record(pk=pk(org, patient.id), sk=PROFILE, kind="patient", doc=records.document(patient),
                  gsi1pk=by_location(org, patient.location_id), gsi1sk=f"{name}#{patient.id}")


def of(record: Record) -> Patient:
    """A profile item read with other items (a batch) as the patient."""
    return records.typed(Patient, record)


def load(org: str, patient_id: str, consistent: bool = False) -> Patient | None:
    record = records.get(pk(org, patient_id), PROFILE, consistent)
    return of(record) if record is not None else None


def load_many(org: str, patient_ids: Iterable[str]) -> dict[str, Patient]:
    """Patients by id, 100 a BatchGetItem (missing ones left out)."""
    found = records.get_many(key(org, patient_id) for patient_id in patient_ids)
    return {patient.id: patient for patient in map(of, found.values())}


def put(uow: UnitOfWork, org: str, patient: Patient, read_version: int | None) -> Patient:
    """A new patient (read_version None) or the one read at `read_version`, changed to `patient`; the
    patient as it will be stored (its new version)."""
    record = uow.put_at(profile_record(org, patient), read_version)
    return dataclasses.replace(patient, version=int(record.version))


def page_for_location(org: str, location_id: str, name_prefix: str | None, limit: int,
                      start_key: dict | None) -> tuple[list[Patient], dict[str, Any] | None]:
    page = records.query(by_location(org, location_id), index="gsi1", sk_prefix=name_prefix or None, limit=limit,
                         start_key=start_key)
    return records.typed_page(Patient, page)
