"""The registry of every group's locations, for the scheduled jobs that fan out per location.

The nightly planner must find all locations of all groups without a Scan: each location, when created,
also writes one small registry item (ids and time zone only, no patient data) in the same transaction.
Items: pk `SYSTEM#LOCATIONS`, sk `{org}#{location_id}`. This is the only key that does not start with a
group id, and it is read only by the scheduled jobs, never by a request path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, conflict

REGISTRY_PK = "SYSTEM#LOCATIONS"


@dataclass(frozen=True)
class RegisteredLocation:
    org: str
    location_id: str
    timezone: str


def register(uow: UnitOfWork, org: str, location_id: str, timezone: str) -> None:
    """Write (or rewrite) the location's registry item in the location's unit of work."""
    item = Record(pk=REGISTRY_PK, sk=f"{org}#{location_id}", kind="location_registry",
                  doc={"org": org, "location_id": location_id, "timezone": timezone})
    uow.put(item, None, conflict("the location registry refused an unconditional put"))


def all_locations(page_size: int = 500) -> Iterator[RegisteredLocation]:
    """Every registered location, paging through one partition with Query."""
    start: dict | None = None
    while True:
        page = records.query(REGISTRY_PK, limit=page_size, start_key=start)
        for record in page.records:
            doc = record.data()
            yield RegisteredLocation(doc["org"], doc["location_id"], doc["timezone"])
        if not page.last_key:
            return
        start = page.last_key
