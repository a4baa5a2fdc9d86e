"""Field kinds of the coverage shape: each knows how to check a wire value and how to describe itself as
JSON Schema, so validation and the OpenAPI document come from one definition.

A check never raises: it records every problem (dotted path and message) in `Problems` and returns a
usable placeholder, so one InvalidInput can name every bad field at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.domain.catalog import CATEGORIES, normalize_code
from shared.errors import InvalidInput

MAX_CENTS = 100_000_000
MAX_ENTRIES = 500  # codes per table: keeps a coverage well inside one item
MAX_RULES = 50  # frequency or age limits per coverage
MAX_WAITING_MONTHS = 120
MAX_AGE = 130
CODE_SCHEMA = {"type": "string", "pattern": "^D[0-9]{4}$"}
CATEGORY_SCHEMA = {"type": "string", "enum": list(CATEGORIES)}


class Problems:
    """Per-field problems collected while checking one document."""

    def __init__(self) -> None:
        self.details: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.details.append({"field": path, "message": message})

    def raise_if_any(self, message: str) -> None:
        if self.details:
            raise InvalidInput(message, details=self.details)


Check = Callable[[object, str, Problems], Any]


@dataclass(frozen=True)
class Kind:
    """How one field is checked (`check(value, path, problems)`), written back, and documented."""

    check: Check
    schema: Mapping[str, Any]
    dump: Callable[[Any], Any] = lambda value: value


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_in(low: int, high: int, what: str) -> Check:
    def check(value: object, path: str, problems: Problems) -> int:
        if is_int(value) and low <= value <= high:
            return value  # type: ignore[return-value]
        problems.add(path, f"must be {what} ({low}-{high})")
        return low
    return check


def int_kind(low: int, high: int, what: str, description: str = "") -> Kind:
    schema: dict[str, Any] = {"type": "integer", "minimum": low, "maximum": high}
    if description:
        schema["description"] = description
    return Kind(_int_in(low, high, what), schema)


CENTS = int_kind(0, MAX_CENTS, "integer cents")
PERCENT_CHECK = _int_in(0, 100, "an integer percent")


def text(max_chars: int, *, optional: bool = False) -> Kind:
    def check(value: object, path: str, problems: Problems) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > max_chars:
            problems.add(path, f"must be a non-empty string of at most {max_chars} characters")
            return None if optional else ""
        return value.strip()
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": max_chars}
    return Kind(check, {"anyOf": [schema, {"type": "null"}]} if optional else schema)


def choice(values: tuple[str, ...]) -> Kind:
    def check(value: object, path: str, problems: Problems) -> str:
        if value in values:
            return str(value)
        problems.add(path, f"must be one of {', '.join(values)}")
        return values[0]
    return Kind(check, {"type": "string", "enum": list(values)})


def check_date(value: object, path: str, problems: Problems) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(path, "must be a date YYYY-MM-DD")
    return None


def optional_date(description: str) -> Kind:
    def check(value: object, path: str, problems: Problems) -> date | None:
        return None if value is None else check_date(value, path, problems)
    schema = {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}], "description": description}
    return Kind(check, schema, lambda value: value.isoformat() if value else None)


def code(value: object, path: str, problems: Problems) -> str | None:
    try:
        return normalize_code(value, path)
    except InvalidInput as error:
        problems.details.extend(error.details)
        return None


def category(value: object, path: str, problems: Problems) -> str | None:
    if value in CATEGORIES:
        return str(value)
    problems.add(path, f"unknown category; use one of {', '.join(CATEGORIES)}")
    return None


def _mapping(value: object, path: str, problems: Problems, what: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        problems.add(path, f"must be an object of {what}")
        return {}
    if len(value) > MAX_ENTRIES:
        problems.add(path, f"at most {MAX_ENTRIES} entries")
        return {}
    return value


def _sequence(value: object, path: str, problems: Problems, what: str, most: int) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        problems.add(path, f"must be a list of {what}")
        return []
    if len(value) > most:
        problems.add(path, f"at most {most} entries")
        return []
    return list(value)


def keyed(key_check: Check, value_check: Check, what: str, key_schema: Mapping[str, Any],
          value_schema: Mapping[str, Any]) -> Kind:
    """An object whose keys and values are each checked; a key given twice (after normalising) is refused."""
    def check(value: object, path: str, problems: Problems) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, item in _mapping(value, path, problems, what).items():
            where = f"{path}.{key}"
            canonical, checked = key_check(key, where, problems), value_check(item, where, problems)
            if canonical is None:
                continue
            if canonical in result:
                problems.add(where, f"{canonical} is listed twice")
            result[canonical] = checked
        return result
    return Kind(check, {"type": "object", "propertyNames": dict(key_schema),
                        "additionalProperties": dict(value_schema)}, dict)


def listed(item_check: Check, what: str, item_schema: Mapping[str, Any], default: tuple[str, ...] = ()) -> Kind:
    """A list of distinct checked strings, kept in the order given."""
    def check(value: object, path: str, problems: Problems) -> tuple[str, ...]:
        result: list[str] = []
        for index, item in enumerate(_sequence(value, path, problems, what, MAX_ENTRIES)):
            checked = item_check(item, f"{path}.{index}", problems)
            if checked is not None and checked not in result:
                result.append(checked)
        return tuple(result)
    schema: dict[str, Any] = {"type": "array", "items": dict(item_schema), "maxItems": MAX_ENTRIES}
    if default:
        schema["default"] = list(default)
    return Kind(check, schema, list)


def records(build: Callable[[Mapping[str, Any], str, Problems], Any], item_schema: Mapping[str, Any],
            what: str) -> Kind:
    """A list of small objects, each built by `build(item, path, problems)` (None when it is unusable)."""
    def check(value: object, path: str, problems: Problems) -> tuple[Any, ...]:
        result = []
        for index, item in enumerate(_sequence(value, path, problems, what, MAX_RULES)):
            where = f"{path}.{index}"
            if not isinstance(item, Mapping):
                problems.add(where, "must be an object")
                continue
            built = build(item, where, problems)
            if built is not None:
                result.append(built)
        return tuple(result)
    return Kind(check, {"type": "array", "items": dict(item_schema), "maxItems": MAX_RULES},
                lambda items: [item.to_dict() for item in items])


def unknown_fields(data: Mapping[str, Any], known: frozenset[str] | set[str], path: str,
                   problems: Problems) -> None:
    for name in sorted(str(key) for key in set(data) - set(known)):
        problems.add(f"{path}{name}", "unknown or read-only field")
