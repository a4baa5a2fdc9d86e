"""Helpers shared by the services that keep an entity as a versioned document."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from shared.domain.codec import from_json, to_json
from shared.errors import InvalidInput, StaleVersion
from shared.store.table import Record

if TYPE_CHECKING:
    from shared.commands.common import Patch

T = TypeVar("T")


def _refuse_nulled(nulled: list[str]) -> None:
    if nulled:
        details = [{"field": name, "message": "may not be null"} for name in nulled]
        raise InvalidInput("required fields cannot be null", details)


def apply_patch(current: dict[str, Any], changes: Mapping[str, Any], required: Iterable[str]) -> dict[str, Any]:
    """Merge a PATCH: a field set to null is removed, except required fields, which are refused."""
    _refuse_nulled([name for name in required if name in changes and changes[name] is None])
    merged = dict(current)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def patched(current: T, patch: Patch, required: Iterable[str], **stamps: Any) -> T:
    """A typed entity with a PATCH applied (`shared.commands.common.Patch`: only the fields sent change;
    null puts an optional field back to its default, and is refused for a required one), and `stamps`
    (such as `updated_at`) set. The entity's rules (`__post_init__`) check the result."""
    _refuse_nulled([name for name in required if patch.sent(name) and getattr(patch, name) is None])
    return from_json(type(current), {**apply_patch(to_json(current), patch.changes(), ()), **to_json(stamps)})


def view(record: Record) -> dict[str, Any]:
    """The document as the API shows it, with its version."""
    return {**record.data(), "version": int(record.version)}


def without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    """A typed entity's JSON form as the API shows documents: empty optional fields left out."""
    return {name: value for name, value in data.items() if value is not None}


def require_version(item: Any, expected_version: int) -> Any:
    """412 when the caller's If-Match names a version other than the current one (a Record, or a typed
    entity with its `version`)."""
    what = item.kind if isinstance(item, Record) else re.sub(r"(?<!^)(?=[A-Z])", " ", type(item).__name__).lower()
    check_version(what, int(item.version), expected_version)  # InsuranceClaim: "insurance claim was changed..."
    return item


def check_version(what: str, version: int, expected_version: int) -> None:
    """412 when the caller's If-Match names a version other than the current one (`version`)."""
    if version != expected_version:
        raise StaleVersion(f"{what} was changed since you read it (current version {version})")
