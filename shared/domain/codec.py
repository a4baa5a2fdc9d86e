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
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from shared.clock import iso, parse_instant

T = TypeVar("T")
_SCALARS = frozenset({str, int, bool, float})


def to_json(value: Any) -> Any:
    """`value` as JSON-ready data (dicts, lists, strings, numbers, booleans, None)."""
    if value is None or type(value) in _SCALARS:  # the common case first; an enum is not one of them
        return value
    names = _field_names(type(value))
    if names is not None:
        return {name: to_json(getattr(value, name)) for name in names}
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


@cache
def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None for any other type), worked out once per type."""
    return tuple(field.name for field in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else None


def from_json(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a dataclass from `to_json` output. Fields absent from `data` take their defaults (an
    optional field without one: None); keys that are not fields are ignored (derived figures a view
    adds, such as a plan's `totals`). Values typed `Any` are deep copies: the result shares nothing."""
    return _decoder(cls)(data)


Decoder = Callable[[Any], Any]


@cache
def _decoder(kind: Any) -> Decoder:
    """The function that decodes JSON data of type `kind`, worked out once per type from its hints."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if _is_optional(kind):
        (inner,) = [arg for arg in args if arg is not type(None)]  # Optional[X]: the codec's only union
        decode = _decoder(inner)
        return lambda value: None if value is None else decode(value)
    if origin is tuple:
        item = _decoder(args[0] if len(args) == 2 and args[1] is Ellipsis else Any)
        return lambda value: tuple(item(entry) for entry in value)
    if origin in (list, frozenset, set):
        item, container = _decoder(args[0]), origin
        return lambda value: container(item(entry) for entry in value)
    if origin in (dict, Mapping):
        item = _decoder(args[1])
        return lambda value: {key: item(entry) for key, entry in value.items()}
    if kind is Any or not isinstance(kind, type):
        return json_copy
    if dataclasses.is_dataclass(kind):
        return _dataclass_decoder(kind)
    if issubclass(kind, Enum):
        return kind
    if issubclass(kind, datetime):
        return parse_instant
    if issubclass(kind, date):
        return date.fromisoformat
    if issubclass(kind, Decimal):
        return Decimal
    return lambda value: value


def _dataclass_decoder(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls)
    fields = [(field.name, _decoder(hints[field.name]), _none_when_absent(field, hints[field.name]))
              for field in dataclasses.fields(cls) if field.init]

    def decode(data: Mapping[str, Any]) -> Any:
        values = {}
        for name, decode_field, none_when_absent in fields:
            if name in data:
                value = data[name]
                values[name] = None if value is None else decode_field(value)
            elif none_when_absent:
                values[name] = None
        return cls(**values)
    return decode


def _none_when_absent(field: dataclasses.Field, kind: Any) -> bool:
    """An optional field without a default: None when the data leaves it out."""
    no_default = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    return no_default and _is_optional(kind)


def _is_optional(kind: Any) -> bool:
    return typing.get_origin(kind) in (typing.Union, types.UnionType) and type(None) in typing.get_args(kind)


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars), so a frozen value shares nothing."""
    if isinstance(value, Mapping):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_copy(item) for item in value]
    return value


class JsonValue:
    """Mixed into a domain dataclass: `to_dict()` is its `to_json` form."""

    def to_dict(self) -> dict[str, Any]:
        return to_json(self)
