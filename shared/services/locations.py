"""Locations of a group: the clinics, each with its time zone, contact details and policies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared import clock
from shared.auth import Principal
from shared.domain.codec import from_json, to_json
from shared.domain.locations import Location
from shared.errors import NotFound
from shared.ids import new_id
from shared.services.documents import patched, require_version
from shared.services.visibility import Kind, get_visible, visible
from shared.store import locations as store
from shared.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from shared.commands.locations import LocationCreate, LocationPatch

REQUIRED = ("name", "timezone", "phone")
LEGACY_POLICIES = ("in_house_terms", "financing_providers")  # never written through the API


def view(location: Location) -> dict[str, Any]:
    """The location as the API shows it (its optional contact fields null when empty, as created)."""
    data = to_json(location)
    return {name: value for name, value in data.items() if value is not None or name not in LEGACY_POLICIES}


def load(org: str, location_id: str) -> Location:
    """A location of the group, for code that already checked the caller may see it (or runs as a job)."""
    location = store.load(org, location_id)
    if location is None:
        raise NotFound("location not found")
    return location


def load_visible(principal: Principal, location_id: str) -> Location:
    """The location if it exists in the caller's group and the caller was granted it; 404 otherwise."""
    return get_visible(principal, Kind.LOCATION, location_id)


def create(principal: Principal, request: LocationCreate) -> Location:
    stamp = clock.now_iso()
    location = from_json(Location, {**request.model_dump(mode="json"), "id": new_id("loc"), "created_at": stamp,
                                    "updated_at": stamp})
    uow = UnitOfWork()
    created = store.add(uow, principal.org, location)
    uow.commit()
    return created


def get(principal: Principal, location_id: str) -> Location:
    return load_visible(principal, location_id)


def update(principal: Principal, location_id: str, patch: LocationPatch, expected_version: int) -> Location:
    current = require_version(load_visible(principal, location_id), expected_version)
    uow = UnitOfWork()
    changed = store.change(uow, principal.org, current, patched(current, patch, REQUIRED, updated_at=clock.now()))
    uow.commit()
    return changed


def list_visible(principal: Principal, limit: int, start_key: dict | None) -> tuple[list[Location], dict | None]:
    """One page of the group's locations that the caller may see."""
    found, last_key = store.page(principal.org, limit, start_key)
    return visible(principal, found, Kind.LOCATION), last_key
