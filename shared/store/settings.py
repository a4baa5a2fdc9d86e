"""Repository of messaging and payment settings: a group's defaults and each location's overrides.

Settings (`kind` "settings"): pk `{org}#SETTINGS`, sk `GROUP` (the group's defaults) or
`LOC#{location_id}` (one location's overrides); `doc` is the layer as `shared.domain.messaging_settings`
normalises it; `version` counts changes (an absent item reads as version 0, empty). A location's
effective settings need its two items: one BatchGetItem. Many locations' (a group report): one Query of
the group's settings partition, which holds only the layers that were ever written.
"""

from __future__ import annotations

from typing import Any

from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork

GROUP = "GROUP"


def pk(org: str) -> str:
    return f"{org}#SETTINGS"


def location_sk(location_id: str) -> str:
    return f"LOC#{location_id}"


def layer_keys(org: str, location_id: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """The keys of (the group's item, the location's item), to fetch with other items in one BatchGetItem."""
    return (pk(org), GROUP), (pk(org), location_sk(location_id))


def layers(org: str, location_id: str | None) -> tuple[Record | None, Record | None]:
    """(the group's item, the location's item), each None when never written; one BatchGetItem."""
    keys = [(pk(org), GROUP)] + ([(pk(org), location_sk(location_id))] if location_id else [])
    found = {item.sk: item for item in Record.batch_get(keys)}
    return found.get(GROUP), found.get(location_sk(location_id)) if location_id else None


BY_KEY = 10  # up to this many locations, their items by key; more: the group's partition, by Query


def layers_of_locations(org: str, location_ids: list[str]) -> tuple[Record | None, dict[str, Record]]:
    """(the group's item, the locations' items by location id): one BatchGetItem for a few locations
    (the keys asked cost a read each, written or not); for more, one Query of the partition (paged)."""
    ids = list(dict.fromkeys(location_ids))
    if len(ids) <= BY_KEY:
        items = Record.batch_get([(pk(org), GROUP)] + [(pk(org), location_sk(i)) for i in ids])
    else:
        items = Record.query(pk(org))
    group: Record | None = None
    found: dict[str, Record] = {}
    wanted = set(ids)
    for item in items:
        if item.sk == GROUP:
            group = item
        elif (location_id := item.sk.removeprefix("LOC#")) in wanted:
            found[location_id] = item
    return group, found


def put(uow: UnitOfWork, org: str, location_id: str | None, layer: dict[str, Any], read_version: int) -> Record:
    """The layer written over the one read at `read_version` (0: none existed): 412 if it changed since."""
    sk = location_sk(location_id) if location_id else GROUP
    record = Record(pk=pk(org), sk=sk, kind="settings", doc=layer)
    return uow.put_at(record, read_version or None)
