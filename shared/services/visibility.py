"""The tenancy boundary, in one place: what a caller may see.

Every key starts with the caller's group, so another group's ids are simply not found. Within the
group, a location the caller was not granted is, to that caller, a location that does not exist: the
location and everything in it answer 404 exactly as an unknown id does. Services load what a request
names through `get_visible` and filter the items of a list through `visible`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from shared.auth import Principal
from shared.domain.locations import Location
from shared.errors import NotFound
from shared.ids import has_prefix
from shared.store.table import Record


class Kind(Enum):
    LOCATION = "location"
    PATIENT = "patient"
    PLAN = "plan"
    PAYMENT = "payment"
    FINANCING = "financing application"
    CLAIM = "claim"
    APPOINTMENT = "appointment"
    FOLLOWUP = "follow-up"
    MESSAGE = "message"


@dataclass(frozen=True)
class _Source:
    """Where items of a kind load from: a repository's function, imported on first use, so a request that
    reads patients does not import the payments, claims and outbox code (a cold start pays only for its
    own kind)."""

    prefix: str
    module: str
    function: str
    reads_consistently: bool = True  # the function takes `consistent`

    def load(self, org: str, item_id: str, consistent: bool) -> Any:
        function = getattr(importlib.import_module(f"shared.store.{self.module}"), self.function)
        return function(org, item_id, consistent) if self.reads_consistently else function(org, item_id)


_SOURCES: dict[Kind, _Source] = {
    Kind.LOCATION: _Source("loc", "locations", "load", reads_consistently=False),
    Kind.PATIENT: _Source("pat", "patients", "load"),
    Kind.PLAN: _Source("pln", "plans", "load", reads_consistently=False),
    Kind.PAYMENT: _Source("pay", "payments", "load_payment"),
    Kind.FINANCING: _Source("fin", "financing", "load_financing", reads_consistently=False),
    Kind.CLAIM: _Source("clm", "financing", "load_claim", reads_consistently=False),
    Kind.APPOINTMENT: _Source("apt", "appointments", "load"),
    Kind.FOLLOWUP: _Source("fup", "followups", "load"),
    Kind.MESSAGE: _Source("msg", "outbox", "get"),
}


def location_of(item: Any, kind: Kind = Kind.PATIENT) -> str:
    """The location an item is in: a typed entity's `location_id` (a location's own id), or a stored
    document's (a Record, or its doc)."""
    if isinstance(item, Location):
        return item.id
    if not isinstance(item, Record | Mapping):
        return item.location_id
    data = item.data() if isinstance(item, Record) else item
    return data["id"] if kind is Kind.LOCATION else data["location_id"]


def get_visible(principal: Principal, kind: Kind, item_id: str, *, consistent: bool = False) -> Any:
    """The item of `kind` with this id (its typed entity, or a Record for kinds kept as documents) if it
    is in the caller's group and in a location the caller may see; NotFound (404) otherwise, whichever of
    those it is."""
    source = _SOURCES[kind]
    if kind is Kind.LOCATION and not principal.may_see(item_id):
        raise NotFound(f"{kind.value} not found")  # not granted: not even read
    item = source.load(principal.org, item_id, consistent) if has_prefix(item_id or "", source.prefix) else None
    if item is None or not principal.may_see(location_of(item, kind)):
        raise NotFound(f"{kind.value} not found")
    return item


def visible(principal: Principal, items: Iterable[Any], kind: Kind = Kind.PATIENT) -> list[Any]:
    """The items of a list (typed entities, Records or documents) in locations the caller may see."""
    return [item for item in items if principal.may_see(location_of(item, kind))]


def may_see(principal: Principal, location_id: str | None) -> bool:
    """For a stored response about a location (an idempotent replay): None is about no location."""
    return location_id is None or principal.may_see(location_id)
