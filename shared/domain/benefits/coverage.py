"""A patient's dental coverage (DESIGN.md section 3 shape plus the benefits-engine fields), checked in one
place: `Coverage.from_dict` is the only gate from the wire, and `json_schema()` documents the same table
of fields for OpenAPI, so the request schema and the domain cannot disagree on a default or a bound.

Required: carrier, member_id, annual_max_cents, coverage_pct. Every other field has the default in
`FIELDS`: renewal month 1 (calendar year), amounts 0, tables empty, rank 1, COB standard, deductible
exempt categories diagnostic, xray and preventive. A category missing from coverage_pct is covered at 0%.
Amounts used or met above their maximum are accepted as the insurer reported them and clamped in use.

`used_cents`, `pending_cents` and `deductible_met_cents` are what the insurer reported at set-up for the
benefit year containing `usage_as_of` (the service stamps the day they were given); a later benefit year
starts from nothing. `ortho_used_cents` is lifetime.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from shared.domain.benefits import fields as f
from shared.domain.catalog import CATEGORIES, Category, category_for


class CobMethod(StrEnum):
    """How a secondary coverage pays after the primary (Open Dental's definitions)."""

    STANDARD = "standard"
    BASIC = "basic"
    CARVE_OUT = "carve_out"


class Period(StrEnum):
    BENEFIT_YEAR = "benefit_year"
    CALENDAR_YEAR = "calendar_year"
    LIFETIME = "lifetime"
    MONTHS = "months"


RELATIONSHIPS = ("self", "spouse", "child", "other")
DEFAULT_EXEMPT = (Category.DIAGNOSTIC.value, Category.XRAY.value, Category.PREVENTIVE.value)


@dataclass(frozen=True)
class Subscriber:
    relationship: str
    name: str
    date_of_birth: date | None = None

    def to_dict(self) -> dict[str, Any]:
        born = self.date_of_birth.isoformat() if self.date_of_birth else None
        return {"relationship": self.relationship, "name": self.name, "date_of_birth": born}


@dataclass(frozen=True)
class FrequencyLimit:
    """At most `count` of these procedures per period (per tooth when `per_tooth`): codes or a category."""

    codes: tuple[str, ...]
    category: str | None
    count: int
    period: Period
    months: int | None = None
    per_tooth: bool = False

    def covers(self, code: str) -> bool:
        return code in self.codes if self.codes else category_for(code).value == self.category

    def to_dict(self) -> dict[str, Any]:
        return {"codes": list(self.codes), "category": self.category, "count": self.count,
                "period": self.period.value, "months": self.months, "per_tooth": self.per_tooth}


@dataclass(frozen=True)
class AgeLimit:
    """These codes are covered only up to and including `max_age` years of age."""

    codes: tuple[str, ...]
    max_age: int

    def to_dict(self) -> dict[str, Any]:
        return {"codes": list(self.codes), "max_age": self.max_age}


def _subscriber(value: object, path: str, problems: f.Problems) -> Subscriber | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.add(path, "must be an object")
        return None
    f.unknown_fields(value, {"relationship", "name", "date_of_birth"}, f"{path}.", problems)
    relationship = f.choice(RELATIONSHIPS).check(value.get("relationship"), f"{path}.relationship", problems)
    name = f.text(200).check(value.get("name"), f"{path}.name", problems)
    born = value.get("date_of_birth")
    birth = None if born is None else f.check_date(born, f"{path}.date_of_birth", problems)
    return Subscriber(relationship, name, birth)


def _frequency_limit(item: Mapping[str, Any], path: str, problems: f.Problems) -> FrequencyLimit | None:
    before = len(problems.details)
    f.unknown_fields(item, {"codes", "category", "count", "period", "months", "per_tooth"}, f"{path}.", problems)
    codes = _CODES.check(item.get("codes", []), f"{path}.codes", problems)
    category = item.get("category")
    if category is not None:
        category = f.category(category, f"{path}.category", problems)
    if bool(codes) == (item.get("category") is not None):
        problems.add(path, "give either codes or a category")
    count = f.int_kind(1, 100, "a whole number of times").check(item.get("count"), f"{path}.count", problems)
    period = Period(f.choice(tuple(Period)).check(item.get("period"), f"{path}.period", problems))
    months = item.get("months")
    if period is Period.MONTHS:
        months = f.int_kind(1, 120, "whole months").check(months, f"{path}.months", problems)
    elif months is not None:
        problems.add(f"{path}.months", "only with period months")
    per_tooth = item.get("per_tooth", False)
    if not isinstance(per_tooth, bool):
        problems.add(f"{path}.per_tooth", "must be true or false")
    if len(problems.details) > before:
        return None
    return FrequencyLimit(codes, category, count, period, months, per_tooth)


def _age_limit(item: Mapping[str, Any], path: str, problems: f.Problems) -> AgeLimit | None:
    before = len(problems.details)
    f.unknown_fields(item, {"codes", "max_age"}, f"{path}.", problems)
    codes = _CODES.check(item.get("codes"), f"{path}.codes", problems)
    if not codes:
        problems.add(f"{path}.codes", "name at least one code")
    max_age = f.int_kind(0, f.MAX_AGE, "whole years").check(item.get("max_age"), f"{path}.max_age", problems)
    return None if len(problems.details) > before else AgeLimit(codes, max_age)


_CODES = f.listed(f.code, "CDT codes", f.CODE_SCHEMA)
_CODE_CENTS = f.keyed(f.code, f.CENTS.check, "CDT code -> cents", f.CODE_SCHEMA, f.CENTS.schema)
_FREQUENCY_SCHEMA = {"type": "object", "required": ["count", "period"], "properties": {
    "codes": _CODES.schema, "category": f.CATEGORY_SCHEMA, "count": {"type": "integer", "minimum": 1, "maximum": 100},
    "period": {"type": "string", "enum": [p.value for p in Period]},
    "months": {"type": "integer", "minimum": 1, "maximum": 120, "description": "with period months"},
    "per_tooth": {"type": "boolean", "default": False}}, "additionalProperties": False}
_AGE_SCHEMA = {"type": "object", "required": ["codes", "max_age"], "properties": {
    "codes": _CODES.schema, "max_age": {"type": "integer", "minimum": 0, "maximum": f.MAX_AGE}},
    "additionalProperties": False}
_SUBSCRIBER_SCHEMA = {"anyOf": [{"type": "object", "required": ["relationship", "name"], "properties": {
    "relationship": {"type": "string", "enum": list(RELATIONSHIPS)}, "name": {"type": "string", "maxLength": 200},
    "date_of_birth": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}},
    "additionalProperties": False}, {"type": "null"}]}
REQUIRED = object()

# name -> (kind, default). The one definition of the coverage's wire shape.
FIELDS: dict[str, tuple[f.Kind, Any]] = {
    "rank": (f.int_kind(1, 2, "1 (primary) or 2 (secondary)"), 1),
    "carrier": (f.text(100), REQUIRED),
    "member_id": (f.text(50), REQUIRED),
    "group_number": (f.text(50, optional=True), None),
    "subscriber": (f.Kind(_subscriber, _SUBSCRIBER_SCHEMA, lambda s: s.to_dict() if s else None), None),
    "effective_date": (f.optional_date("first day of coverage; waiting periods run from it"), None),
    "renewal_month": (f.int_kind(1, 12, "a month", "benefit year starts on the 1st of it"), 1),
    "usage_as_of": (f.optional_date("the day used/pending/met were reported (default: when stored)"), None),
    "annual_max_cents": (f.CENTS, REQUIRED),
    "used_cents": (f.CENTS, 0),
    "pending_cents": (f.CENTS, 0),
    "deductible_cents": (f.CENTS, 0),
    "deductible_met_cents": (f.CENTS, 0),
    "deductible_exempt_categories": (f.listed(f.category, "categories", f.CATEGORY_SCHEMA, DEFAULT_EXEMPT),
                                     DEFAULT_EXEMPT),
    "coverage_pct": (f.keyed(f.category, f.PERCENT_CHECK, "category -> percent", f.CATEGORY_SCHEMA,
                             {"type": "integer", "minimum": 0, "maximum": 100}), REQUIRED),
    "ortho_lifetime_max_cents": (f.CENTS, 0),
    "ortho_used_cents": (f.CENTS, 0),
    "ortho_deductible_cents": (f.CENTS, 0),
    "allowed_fees": (_CODE_CENTS, {}),
    "copays": (_CODE_CENTS, {}),
    "excluded_codes": (_CODES, ()),
    "cob_method": (f.choice(tuple(CobMethod)), CobMethod.STANDARD.value),
    "frequency_limits": (f.records(_frequency_limit, _FREQUENCY_SCHEMA, "frequency limits"), ()),
    "waiting_periods": (f.keyed(f.category, f.int_kind(0, f.MAX_WAITING_MONTHS, "whole months").check,
                                "category -> months", f.CATEGORY_SCHEMA,
                                {"type": "integer", "minimum": 0, "maximum": f.MAX_WAITING_MONTHS}), {}),
    "age_limits": (f.records(_age_limit, _AGE_SCHEMA, "age limits"), ()),
    "alternate_benefits": (f.keyed(f.code, f.code, "CDT code -> paid-as CDT code", f.CODE_SCHEMA, f.CODE_SCHEMA), {}),
    "code_maximums": (_CODE_CENTS, {}),
}


@dataclass(frozen=True)
class Coverage:
    """One coverage of a patient. Mappings are private copies: treat them as read-only."""

    carrier: str
    member_id: str
    annual_max_cents: int
    coverage_pct: Mapping[str, int]
    rank: int = 1
    group_number: str | None = None
    subscriber: Subscriber | None = None
    effective_date: date | None = None
    renewal_month: int = 1
    usage_as_of: date | None = None
    used_cents: int = 0
    pending_cents: int = 0
    deductible_cents: int = 0
    deductible_met_cents: int = 0
    deductible_exempt_categories: tuple[str, ...] = DEFAULT_EXEMPT
    ortho_lifetime_max_cents: int = 0
    ortho_used_cents: int = 0
    ortho_deductible_cents: int = 0
    allowed_fees: Mapping[str, int] = field(default_factory=dict)
    copays: Mapping[str, int] = field(default_factory=dict)
    excluded_codes: tuple[str, ...] = ()
    cob_method: str = CobMethod.STANDARD.value
    frequency_limits: tuple[FrequencyLimit, ...] = ()
    waiting_periods: Mapping[str, int] = field(default_factory=dict)
    age_limits: tuple[AgeLimit, ...] = ()
    alternate_benefits: Mapping[str, str] = field(default_factory=dict)
    code_maximums: Mapping[str, int] = field(default_factory=dict)

    def pct_for(self, category: str) -> int:
        """Coverage percent of a category; 0 when the coverage does not list it."""
        return self.coverage_pct.get(category, 0)

    @classmethod
    def from_dict(cls, data: object, path: str = "") -> Coverage:
        """Check the wire shape; InvalidInput lists every bad field (dotted path in `field`)."""
        problems = f.Problems()
        if not isinstance(data, Mapping):
            problems.add(path or "coverage", "must be an object")
            problems.raise_if_any("coverage must be an object")
            raise AssertionError("unreachable")
        prefix = f"{path}." if path else ""
        f.unknown_fields(data, set(FIELDS), prefix, problems)
        values: dict[str, Any] = {}
        for name, (kind, default) in FIELDS.items():
            if name in data:
                values[name] = kind.check(data[name], prefix + name, problems)
            elif default is REQUIRED:
                problems.add(prefix + name, "is required")
            else:
                values[name] = default
        problems.raise_if_any("invalid coverage")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready wire shape; `from_dict(c.to_dict()) == c`."""
        return {name: kind.dump(getattr(self, name)) for name, (kind, _) in FIELDS.items()}


def json_schema() -> dict[str, Any]:
    """JSON Schema of the coverage body, from the same table `from_dict` checks against."""
    properties: dict[str, Any] = {}
    for name, (kind, default) in FIELDS.items():
        schema = dict(kind.schema)
        if default is not REQUIRED and "default" not in schema:
            schema["default"] = list(default) if isinstance(default, tuple) else default
        properties[name] = schema
    return {"type": "object", "title": "Coverage", "additionalProperties": False,
            "required": [name for name, (_, default) in FIELDS.items() if default is REQUIRED],
            "properties": properties, "description": "coverage_pct keys: " + ", ".join(CATEGORIES)}
