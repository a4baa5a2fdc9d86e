"""The tenancy boundary, in one place: what a caller may see.

Every key starts with the caller's group, so another group's ids are simply not found. Within the
group, a location the caller was not granted is, to that caller, a location that does not exist: the
location and everything in it answer 404 exactly as an unknown id does. Services load what a request
names through `get_visible` and filter the items of a list through `visible`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from shared.auth import Principal
from shared.domain.locations import Location
from shared.errors import NotFound
from shared.ids import has_prefix
from shared.store import appointments, financing, followups, locations, outbox, patients, payments
from shared.store import plans as plan_store
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
    prefix: str
    load: Callable[[str, str, bool], Any]


_SOURCES: dict[Kind, _Source] = {
    Kind.LOCATION: _Source("loc", lambda org, i, _consistent: locations.load(org, i)),
    Kind.PATIENT: _Source("pat", lambda org, i, consistent: patients.load(org, i, consistent)),
    Kind.PLAN: _Source("pln", lambda org, i, _consistent: plan_store.load(org, i)),
    Kind.PAYMENT: _Source("pay", lambda org, i, consistent: payments.load_payment(org, i, consistent)),
    Kind.FINANCING: _Source("fin", lambda org, i, _consistent: financing.load_financing(org, i)),
    Kind.CLAIM: _Source("clm", lambda org, i, _consistent: financing.load_claim(org, i)),
    Kind.APPOINTMENT: _Source("apt", lambda org, i, consistent: appointments.load(org, i, consistent)),
    Kind.FOLLOWUP: _Source("fup", lambda org, i, consistent: followups.load(org, i, consistent)),
    Kind.MESSAGE: _Source("msg", lambda org, i, consistent: outbox.get(org, i, consistent)),
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
