"""The one JSON codec of the domain's values: frozen dataclasses to JSON-ready data and back, read from
their type hints, so no value type writes its own `to_dict`/`from_dict`.

JSON forms: an enum is its value; an instant is `shared.clock.iso` (UTC, milliseconds, `Z`); a date is
ISO `YYYY-MM-DD`; a Decimal is its string (exact); tuples and lists are arrays; a set is a sorted array;
a mapping is an object. `from_json` reverses each of these from the field's declared type; it trusts
its input's shape (stored documents, or bodies a request model validated), while a value's own
`__post_init__` keeps checking its rules.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from shared.clock import iso, parse_instant

T = TypeVar("T")


def to_json(value: Any) -> Any:
    """`value` as JSON-ready data (dicts, lists, strings, numbers, booleans, None)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_json(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, frozenset | set):
        return sorted(to_json(item) for item in value)
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    return value


def from_json(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a dataclass from `to_json` output. Fields absent from `data` take their defaults; keys
    that are not fields are ignored (derived figures a view adds, such as a plan's `totals`)."""
    hints = _hints(cls)
    values = {field.name: _decode(hints[field.name], data[field.name])
              for field in dataclasses.fields(cls) if field.init and field.name in data}
    return cls(**values)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        (kind,) = [arg for arg in args if arg is not type(None)]  # Optional[X]: the codec's only union
        return _decode(kind, value)
    if origin is tuple:
        item = args[0] if len(args) == 2 and args[1] is Ellipsis else Any
        return tuple(_decode(item, entry) for entry in value)
    if origin is list:
        return [_decode(args[0], entry) for entry in value]
    if origin in (frozenset, set):
        return origin(_decode(args[0], entry) for entry in value)
    if origin in (dict, Mapping):
        return {key: _decode(args[1], entry) for key, entry in value.items()}
    if kind is Any or not isinstance(kind, type):
        return value
    if dataclasses.is_dataclass(kind):
        return from_json(kind, value)
    if issubclass(kind, Enum):
        return kind(value)
    if issubclass(kind, datetime):
        return parse_instant(value)
    if issubclass(kind, date):
        return date.fromisoformat(value)
    if issubclass(kind, Decimal):
        return Decimal(value)
    return value


class JsonValue:
    """Mixed into a domain dataclass: `to_dict()` is its `to_json` form."""

    def to_dict(self) -> dict[str, Any]:
        return to_json(self)
