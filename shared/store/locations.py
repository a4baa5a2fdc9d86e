"""Repository of locations (the clinics of a group) and, with each, its entry in the jobs' registry.

Location (`kind` "location"): pk `{org}#LOC`, sk `{location_id}`: all of a group's locations in one
partition, so listing them is one Query. Creating a location, or changing its time zone, writes its
registry item (`shared.store.registry`) in the same unit of work.
"""

from __future__ import annotations

from typing import Any

from shared.store import records, registry
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, stale


def pk(org: str) -> str:
    return f"{org}#LOC"


def get(org: str, location_id: str) -> Record | None:
    return records.get(pk(org), location_id)


def record(org: str, doc: dict[str, Any]) -> Record:
    return Record(pk=pk(org), sk=doc["id"], kind="location", doc=doc)


def add(uow: UnitOfWork, org: str, doc: dict[str, Any]) -> Record:
    """A new location and its registry entry."""
    created = uow.put_new(record(org, doc))
    registry.register(uow, org, doc["id"], doc["timezone"])
    return created


def change(uow: UnitOfWork, org: str, current: Record, doc: dict[str, Any], read_version: int) -> Record:
    """The location as read at `read_version`, changed to `doc` (and its registry entry if the zone moved)."""
    changed = uow.put_at(record(org, doc), read_version, stale("location"))
    if doc["timezone"] != current.data()["timezone"]:
        registry.register(uow, org, doc["id"], doc["timezone"])
    return changed


def page(org: str, limit: int, start_key: dict | None) -> records.Page:
    return records.query(pk(org), limit=limit, start_key=start_key)
