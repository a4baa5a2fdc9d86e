"""Patients: identity, contact details, consent per channel and purpose, and insurance coverage."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from shared import clock
from shared.auth import Principal
from shared.domain.coverage import Coverage
from shared.errors import NotFound
from shared.ids import has_prefix, new_id
from shared.services import locations
from shared.services.documents import apply_patch, require_version, view
from shared.store import records
from shared.store.table import Record

REQUIRED = ("first_name", "last_name", "date_of_birth", "language", "consent")
# Set by the messaging side (inbound STOP, bounces), never through the API.
SYSTEM_FIELDS = {"sms_opted_out": False, "email_suppressed": False}
PROFILE, COVERAGE = "PROFILE", "COVERAGE"


def pk(org: str, patient_id: str) -> str:
    return f"{org}#PAT#{patient_id}"


def _by_location(org: str, location_id: str) -> str:
    return f"{org}#LOC#{location_id}#PATIENTS"


def search_key(text: str) -> str:
    """Lower case, accents and punctuation removed: 'Núñez-Ortiz' -> 'nunezortiz'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9 ]", "", plain).strip()


def _index_keys(org: str, doc: dict[str, Any]) -> dict[str, str]:
    name = search_key(f"{doc['last_name']} {doc['first_name']}")
    return {"gsi1pk": _by_location(org, doc["location_id"]), "gsi1sk": f"{name}#{doc['id']}"}


def load(principal: Principal, patient_id: str) -> Record:
    """The patient's profile if it is in the caller's group and in a location the caller may see."""
    record = records.get(pk(principal.org, patient_id), PROFILE) if has_prefix(patient_id, "pat") else None
    if record is None or not principal.may_see(record.data()["location_id"]):
        raise NotFound("patient not found")
    return record


def create(principal: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    locations.load_visible(principal, fields["location_id"])
    patient_id = new_id("pat")
    stamp = clock.now_iso()
    doc = {**SYSTEM_FIELDS, **fields, "id": patient_id, "created_at": stamp, "updated_at": stamp}
    record = Record(pk=pk(principal.org, patient_id), sk=PROFILE, kind="patient", doc=doc,
                    **_index_keys(principal.org, doc))
    return view(records.create(record))


def get(principal: Principal, patient_id: str) -> dict[str, Any]:
    return view(load(principal, patient_id))


def update(principal: Principal, patient_id: str, changes: dict[str, Any], expected_version: int) -> dict[str, Any]:
    record = require_version(load(principal, patient_id), expected_version)
    doc = {**apply_patch(record.data(), changes, REQUIRED), "updated_at": clock.now_iso()}
    record.doc = doc
    for key, value in _index_keys(principal.org, doc).items():
        setattr(record, key, value)
    return view(records.replace(record, expected_version))


def list_for_location(principal: Principal, location_id: str, q: str | None, limit: int,
                      start_key: dict | None) -> tuple[list[dict], dict | None]:
    """Patients of one location, by name; `q` matches the start of 'last first' (accents ignored)."""
    locations.load_visible(principal, location_id)
    prefix = search_key(q) if q else None
    page = records.query(_by_location(principal.org, location_id), index="gsi1", sk_prefix=prefix or None,
                         limit=limit, start_key=start_key)
    return [view(r) for r in page.records], page.last_key


def get_coverage(principal: Principal, patient_id: str) -> dict[str, Any]:
    load(principal, patient_id)
    record = records.get(pk(principal.org, patient_id), COVERAGE)
    if record is None:
        raise NotFound("patient has no coverage on file")
    return view(record)


def put_coverage(principal: Principal, patient_id: str, fields: dict[str, Any],
                 expected_version: int | None) -> dict[str, Any]:
    """Replace the coverage. With If-Match the replacement is conditional on that version."""
    load(principal, patient_id)
    doc = {**Coverage.from_dict(fields).to_dict(), "patient_id": patient_id, "updated_at": clock.now_iso()}
    current = records.get(pk(principal.org, patient_id), COVERAGE, consistent=True)
    record = Record(pk=pk(principal.org, patient_id), sk=COVERAGE, kind="coverage", doc=doc)
    if current is None:
        if expected_version is not None:
            raise NotFound("patient has no coverage on file to match If-Match against")
        return view(records.create(record))
    if expected_version is not None:
        require_version(current, expected_version)
    return view(records.replace(record, expected_version or int(current.version)))


def coverage_of(org: str, patient_id: str) -> Coverage | None:
    """The patient's coverage for estimates (no access check: callers have loaded the patient)."""
    record = records.get(pk(org, patient_id), COVERAGE)
    if record is None:
        return None
    data = {k: v for k, v in record.data().items() if k not in ("patient_id", "updated_at")}
    return Coverage.from_dict(data)
