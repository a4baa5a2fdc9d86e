"""Messaging and payment settings: the group's defaults and each location's overrides (GET|PATCH).

What a location runs on is `effective_for`: the system defaults (DESIGN.md section 2), then the group's
defaults, then the policies a location document carried before settings existed (quiet hours, SMS caps,
payment terms: read as they were accepted then), then the location's own overrides. Each layer is
versioned (its ETag); a PATCH needs If-Match, is validated as a layer and as the settings it adds up
to (400 naming the field), and then re-plans the reminders not yet sent of the locations it changes:
rows already sent or being sent are never touched (shared/services/outbox.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.auth import Principal
from shared.domain.codec import to_json
from shared.domain.locations import Location
from shared.domain.messaging_settings import MessagingSettings, effective, parse_layer, patch_layer
from shared.errors import StaleVersion
from shared.services import locations
from shared.store import locations as location_store
from shared.store import settings as store
from shared.store.unit_of_work import UnitOfWork


def legacy_layer(location: Location) -> dict[str, Any]:
    """The policies kept on the location document itself, as a settings layer."""
    document: dict[str, Any] = {name: to_json(getattr(location, name))
                                for name in ("quiet_hours", "sms_daily_cap", "sms_weekly_cap")
                                if getattr(location, name) is not None}
    terms = {name: to_json(getattr(location, name)) for name in ("pay_in_full_discount_pct", "in_house_terms")
             if getattr(location, name) is not None}
    if terms:
        document["payment_terms"] = terms
    if location.financing_providers is not None:
        document["financing_offers"] = to_json(location.financing_providers)
    return parse_layer(document, lawful_hours=False)


def effective_for(org: str, location: Location) -> MessagingSettings:
    """The settings the location runs on (one BatchGetItem for the two settings items)."""
    group, own = store.layers(org, location.id)
    return of_layers(location, _doc(group), _doc(own))


def of_layers(location: Location, group: Mapping[str, Any] | None,
              own: Mapping[str, Any] | None) -> MessagingSettings:
    """The location's effective settings from the documents of its two settings items (None: never
    written); for callers that fetch them with other items (`store.layer_keys`)."""
    return effective(group or {}, legacy_layer(location), own or {})


def effective_for_many(org: str, location_ids: list[str]) -> dict[str, MessagingSettings]:
    """The group's and each location's settings layers added up, by location id (by key for a few
    locations, one Query of the group's settings for many), without the policies of the location
    documents (a report reads only the locations' names and zones: what it asks of the settings, the
    working days, is not one of those policies)."""
    group, own = store.layers_of_locations(org, location_ids)
    return {location_id: effective(_doc(group), _doc(own.get(location_id))) for location_id in location_ids}


def without_reads(location: Location) -> MessagingSettings:
    """The location's settings from its own document only (no group or location overrides read)."""
    return effective(legacy_layer(location))


def _doc(record: Any) -> dict[str, Any]:
    return record.data() if record is not None else {}


def _version(record: Any) -> int:
    return int(record.version) if record is not None else 0


def _view(record: Any, settings: MessagingSettings, location_id: str | None) -> dict[str, Any]:
    return {"location_id": location_id, "version": _version(record), "settings": _doc(record),
            "effective": settings.to_dict()}


def get_group(principal: Principal) -> dict[str, Any]:
    group, _ = store.layers(principal.org, None)
    return _view(group, effective(_doc(group)), None)


def get_location(principal: Principal, location_id: str) -> dict[str, Any]:
    location = locations.load_visible(principal, location_id)
    group, own = store.layers(principal.org, location_id)
    return _view(own, effective(_doc(group), legacy_layer(location), _doc(own)), location_id)


def patch_group(principal: Principal, patch: Mapping[str, Any], expected_version: int, now: datetime) -> dict[str, Any]:
    group, _ = store.layers(principal.org, None)
    layer = _checked_patch(group, patch, expected_version)
    settings = effective(layer)
    uow = UnitOfWork()
    record = store.put(uow, principal.org, None, layer, expected_version)
    uow.commit()
    _replan_group(principal.org, now)
    return _view(record, settings, None)


def patch_location(principal: Principal, location_id: str, patch: Mapping[str, Any], expected_version: int,
                   now: datetime) -> dict[str, Any]:
    location = locations.load_visible(principal, location_id)
    group, own = store.layers(principal.org, location_id)
    layer = _checked_patch(own, patch, expected_version)
    settings = effective(_doc(group), legacy_layer(location), layer)
    uow = UnitOfWork()
    record = store.put(uow, principal.org, location_id, layer, expected_version)
    uow.commit()
    _replan(principal.org, location, settings, now)
    return _view(record, settings, location_id)


def _checked_patch(current: Any, patch: Mapping[str, Any], expected_version: int) -> dict[str, Any]:
    if _version(current) != expected_version:
        raise StaleVersion(f"the settings were changed since you read them (current version {_version(current)})")
    layer = patch_layer(_doc(current), dict(patch))
    effective(layer)  # cross-section rules (a weekly SMS cap below the daily one) hold within the layer too
    return layer


def _replan_group(org: str, now: datetime) -> None:
    start: dict | None = None
    while True:
        found, start = location_store.page(org, 100, start)
        for location in found:
            _replan(org, location, effective_for(org, location), now)
        if not start:
            return


def _replan(org: str, location: Location, settings: MessagingSettings, now: datetime) -> None:
    from shared.services import planner  # the planner imports the services this module is imported by

    planner.replan_reminders(org, location, settings, now)
