"""Helpers shared by the services that keep an entity as a versioned document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.errors import InvalidInput, StaleVersion
from shared.store.table import Record


def apply_patch(current: dict[str, Any], changes: Mapping[str, Any], required: Iterable[str]) -> dict[str, Any]:
    """Merge a PATCH: a field set to null is removed, except required fields, which are refused."""
    nulled = [name for name in required if name in changes and changes[name] is None]
    if nulled:
        details = [{"field": name, "message": "may not be null"} for name in nulled]
        raise InvalidInput("required fields cannot be null", details)
    merged = dict(current)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def view(record: Record) -> dict[str, Any]:
    """The document as the API shows it, with its version."""
    return {**record.data(), "version": int(record.version)}


def require_version(record: Record, expected_version: int) -> Record:
    """412 when the caller's If-Match names a version other than the current one."""
    if int(record.version) != expected_version:
        raise StaleVersion(f"{record.kind} was changed since you read it (current version {int(record.version)})")
    return record
