"""Repository of patients: the profile and the insurance coverage, two items of one partition.

Profile (`kind` "patient"): pk `{org}#PAT#{patient_id}`, sk `PROFILE`; gsi1
`{org}#LOC#{location_id}#PATIENTS` / `{search key of 'last first'}#{id}` (a location's patients by
name, and a search by the start of the name as one Query).
Coverages, history and claim usage are items of the same partition: see shared/store/benefits.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork

PROFILE = "PROFILE"
BATCH_GET_LIMIT = 100


def pk(org: str, patient_id: str) -> str:
    return f"{org}#PAT#{patient_id}"


def by_location(org: str, location_id: str) -> str:
    return f"{org}#LOC#{location_id}#PATIENTS"


def search_key(text: str) -> str:
    """Lower case, accents and punctuation removed: 'Núñez-Ortiz' -> 'nunezortiz'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9 ]", "", plain).strip()


def profile_record(org: str, doc: dict[str, Any]) -> Record:
    name = search_key(f"{doc['last_name']} {doc['first_name']}")
    return Record(pk=pk(org, doc["id"]), sk=PROFILE, kind="patient", doc=doc,
                  gsi1pk=by_location(org, doc["location_id"]), gsi1sk=f"{name}#{doc['id']}")


def get(org: str, patient_id: str, consistent: bool = False) -> Record | None:
    return records.get(pk(org, patient_id), PROFILE, consistent)


def profiles(org: str, patient_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Profiles by patient id, 100 a BatchGetItem (missing ones left out)."""
    keys = [(pk(org, patient_id), PROFILE) for patient_id in dict.fromkeys(patient_ids)]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        for item in Record.batch_get(keys[start:start + BATCH_GET_LIMIT]):
            found[item.data()["id"]] = item.data()
    return found


def put_profile(uow: UnitOfWork, org: str, doc: dict[str, Any], read_version: int | None) -> Record:
    """A new profile (read_version None) or the one read at `read_version`, changed to `doc`."""
    return uow.put_at(profile_record(org, doc), read_version)


def page_for_location(org: str, location_id: str, name_prefix: str | None, limit: int,
                      start_key: dict | None) -> records.Page:
    return records.query(by_location(org, location_id), index="gsi1", sk_prefix=name_prefix or None, limit=limit,
                         start_key=start_key)
