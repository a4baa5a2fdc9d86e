"""Locations of a group: the clinics, each with its time zone, contact details and policies."""

from __future__ import annotations

from typing import Any

from shared import authz, clock
from shared.auth import Principal
from shared.errors import NotFound
from shared.ids import has_prefix, new_id
from shared.services.documents import apply_patch, require_version, view
from shared.store import records
from shared.store.registry import registry_record
from shared.store.table import Record

REQUIRED = ("name", "timezone", "phone")


def _pk(org: str) -> str:
    return f"{org}#LOC"


def load(org: str, location_id: str) -> Record:
    record = records.get(_pk(org), location_id) if has_prefix(location_id, "loc") else None
    if record is None:
        raise NotFound("location not found")
    return record


def load_visible(principal: Principal, location_id: str) -> Record:
    """The location if it exists in the caller's group and the caller was granted it; 404 otherwise."""
    authz.require_location(principal, location_id)
    return load(principal.org, location_id)


def create(principal: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    location_id = new_id("loc")
    stamp = clock.now_iso()
    doc = {**fields, "id": location_id, "created_at": stamp, "updated_at": stamp}
    record = Record(pk=_pk(principal.org), sk=location_id, kind="location", doc=doc, version=1)

    def build(tx) -> None:
        tx.save(record, condition=Record.pk.does_not_exist())
        tx.save(registry_record(principal.org, location_id, doc["timezone"]))

    records.transact(build, "location already exists")
    return view(record)


def get(principal: Principal, location_id: str) -> dict[str, Any]:
    return view(load_visible(principal, location_id))


def update(principal: Principal, location_id: str, changes: dict[str, Any], expected_version: int) -> dict[str, Any]:
    record = require_version(load_visible(principal, location_id), expected_version)
    record.doc = {**apply_patch(record.data(), changes, REQUIRED), "updated_at": clock.now_iso()}
    if "timezone" in changes:  # the registry carries the zone the scheduled jobs plan in

        def build(tx) -> None:
            tx.save(record, condition=Record.version == expected_version)
            tx.save(registry_record(principal.org, location_id, record.doc["timezone"]))

        record.version = expected_version + 1
        records.transact(build, "the location was changed by someone else; fetch it again")
        return view(record)
    return view(records.replace(record, expected_version))


def list_visible(principal: Principal, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
    """One page of the group's locations that the caller may see."""
    page = records.query(_pk(principal.org), limit=limit, start_key=start_key)
    items = [view(r) for r in page.records if principal.may_see(r.sk)]
    return items, page.last_key
