"""Repository of locations (the clinics of a group) and, with each, its entry in the jobs' registry.

Location (`kind` "location"): pk `{org}#LOC`, sk `{location_id}`: all of a group's locations in one
partition, so listing them is one Query. Its doc is `shared.domain.locations.Location`. Creating a
location, or changing its time zone, writes its registry item (`shared.store.registry`) in the same
unit of work.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from shared.domain.locations import Location
from shared.store import records, registry
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, stale


def pk(org: str) -> str:
    return f"{org}#LOC"


def key(org: str, location_id: str) -> tuple[str, str]:
    """The location's item key, for a batch read with other items."""
    return pk(org), location_id


def of(record: Record) -> Location:
    """A location item read with other items (a batch) as the location."""
    return records.typed(Location, record)


def load(org: str, location_id: str) -> Location | None:
    record = records.get(pk(org), location_id)
    return of(record) if record is not None else None


def _record(org: str, location: Location) -> Record:
    return Record(pk=pk(org), sk=location.id, kind="location", doc=records.document(location))


def add(uow: UnitOfWork, org: str, location: Location) -> Location:
    """A new location and its registry entry; the location as it will be stored (version 1)."""
    created = uow.put_new(_record(org, location))
    registry.register(uow, org, location.id, location.timezone)
    return dataclasses.replace(location, version=int(created.version))


def change(uow: UnitOfWork, org: str, current: Location, location: Location) -> Location:
    """The location as read (`current`, at its version), changed to `location` (and its registry entry
    if the zone moved)."""
    changed = uow.put_at(_record(org, location), current.version, stale("location"))
    if location.timezone != current.timezone:
        registry.register(uow, org, location.id, location.timezone)
    return dataclasses.replace(location, version=int(changed.version))


def page(org: str, limit: int, start_key: dict | None) -> tuple[list[Location], dict[str, Any] | None]:
    found = records.query(pk(org), limit=limit, start_key=start_key)
    return [of(record) for record in found.records if record.kind == "location"], found.last_key
