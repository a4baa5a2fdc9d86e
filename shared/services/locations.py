"""Locations of a group: the clinics, each with its time zone, contact details and policies."""

from __future__ import annotations

from typing import Any

from shared import clock
from shared.auth import Principal
from shared.errors import NotFound
from shared.ids import new_id
from shared.services.documents import apply_patch, require_version, view
from shared.services.visibility import Kind, get_visible, visible
from shared.store import locations as store
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork

REQUIRED = ("name", "timezone", "phone")


def load(org: str, location_id: str) -> Record:
    """A location of the group, for code that already checked the caller may see it (or runs as a job)."""
    record = store.get(org, location_id)
    if record is None:
        raise NotFound("location not found")
    return record


def load_visible(principal: Principal, location_id: str) -> Record:
    """The location if it exists in the caller's group and the caller was granted it; 404 otherwise."""
    return get_visible(principal, Kind.LOCATION, location_id)


def create(principal: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    stamp = clock.now_iso()
    doc = {**fields, "id": new_id("loc"), "created_at": stamp, "updated_at": stamp}
    uow = UnitOfWork()
    record = store.add(uow, principal.org, doc)
    uow.commit()
    return view(record)


def get(principal: Principal, location_id: str) -> dict[str, Any]:
    return view(load_visible(principal, location_id))


def update(principal: Principal, location_id: str, changes: dict[str, Any], expected_version: int) -> dict[str, Any]:
    current = require_version(load_visible(principal, location_id), expected_version)
    doc = {**apply_patch(current.data(), changes, REQUIRED), "updated_at": clock.now_iso()}
    uow = UnitOfWork()
    record = store.change(uow, principal.org, current, doc, expected_version)
    uow.commit()
    return view(record)


def list_visible(principal: Principal, limit: int, start_key: dict | None) -> tuple[list[dict], dict | None]:
    """One page of the group's locations that the caller may see."""
    page = store.page(principal.org, limit, start_key)
    return [view(r) for r in visible(principal, page.records, Kind.LOCATION)], page.last_key
