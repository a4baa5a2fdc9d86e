"""A patient's dental insurance coverage (the DESIGN.md section 3 shape) and benefit-year dates.

`Coverage.from_dict` is the one gate from the wire: it checks every field and reports every bad field
at once. Amounts used or met above their maximum are accepted as given (an insurer's records can say so)
and clamped where they are used, in the estimate.

Defaults where the wire omits a field: used, pending, met and ortho amounts are 0, the fee, copay and
exclusion tables are empty, and a category missing from coverage_pct is covered at 0%.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.domain.catalog import CATEGORIES, normalize_code
from shared.errors import InvalidInput

_REQUIRED_FIELDS = ("carrier", "member_id", "renewal_month", "annual_max_cents", "deductible_cents",
                    "coverage_pct")
_OPTIONAL_CENTS = ("used_cents", "pending_cents", "deductible_met_cents", "ortho_lifetime_max_cents",
                   "ortho_used_cents")
_ALL_FIELDS = frozenset(_REQUIRED_FIELDS + _OPTIONAL_CENTS + ("allowed_fees", "copays", "excluded_codes"))


@dataclass(frozen=True)
class Coverage:
    """Insurance benefits for one patient. Mappings are private copies: treat them as read-only."""

    carrier: str
    member_id: str
    renewal_month: int
    annual_max_cents: int
    used_cents: int
    pending_cents: int
    deductible_cents: int
    deductible_met_cents: int
    coverage_pct: Mapping[str, int]
    ortho_lifetime_max_cents: int
    ortho_used_cents: int
    allowed_fees: Mapping[str, int] = field(default_factory=dict)
    copays: Mapping[str, int] = field(default_factory=dict)
    excluded_codes: tuple[str, ...] = ()

    def pct_for(self, category: str) -> int:
        """Coverage percent of a category; 0 when the plan does not list it."""
        return self.coverage_pct.get(category, 0)

    @property
    def remaining_annual_max_cents(self) -> int:
        return max(0, self.annual_max_cents - self.used_cents - self.pending_cents)

    @property
    def remaining_deductible_cents(self) -> int:
        return max(0, self.deductible_cents - self.deductible_met_cents)

    @property
    def remaining_ortho_max_cents(self) -> int:
        return max(0, self.ortho_lifetime_max_cents - self.ortho_used_cents)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Coverage:
        """Validate the wire shape; InvalidInput lists every bad field (dotted path in `field`)."""
        if not isinstance(data, Mapping):
            raise InvalidInput("coverage must be an object",
                               details=[{"field": "coverage", "message": "must be an object"}])
        checker = _Checker()
        for name in sorted(set(data) - _ALL_FIELDS):
            checker.fail(str(name), "unknown field")
        for name in _REQUIRED_FIELDS:
            if name not in data:
                checker.fail(name, "is required")
        carrier = checker.text(data, "carrier")
        member_id = checker.text(data, "member_id")
        renewal_month = checker.month(data.get("renewal_month"), "renewal_month")
        cents = {name: checker.cents(data.get(name, 0), name) for name in
                 ("annual_max_cents", "deductible_cents") + _OPTIONAL_CENTS}
        coverage_pct = checker.percents(data.get("coverage_pct", {}), "coverage_pct")
        allowed_fees = checker.code_cents(data.get("allowed_fees", {}), "allowed_fees")
        copays = checker.code_cents(data.get("copays", {}), "copays")
        excluded_codes = checker.codes(data.get("excluded_codes", []), "excluded_codes")
        if checker.details:
            raise InvalidInput("invalid coverage", details=checker.details)
        return cls(
            carrier=carrier,
            member_id=member_id,
            renewal_month=renewal_month,
            coverage_pct=coverage_pct,
            allowed_fees=allowed_fees,
            copays=copays,
            excluded_codes=excluded_codes,
            **cents,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready wire shape; `from_dict(c.to_dict()) == c`."""
        return {
            "carrier": self.carrier,
            "member_id": self.member_id,
            "renewal_month": self.renewal_month,
            "annual_max_cents": self.annual_max_cents,
            "used_cents": self.used_cents,
            "pending_cents": self.pending_cents,
            "deductible_cents": self.deductible_cents,
            "deductible_met_cents": self.deductible_met_cents,
            "coverage_pct": dict(self.coverage_pct),
            "ortho_lifetime_max_cents": self.ortho_lifetime_max_cents,
            "ortho_used_cents": self.ortho_used_cents,
            "allowed_fees": dict(self.allowed_fees),
            "copays": dict(self.copays),
            "excluded_codes": list(self.excluded_codes),
        }


def benefit_year_start(renewal_month: int, on: date) -> date:
    """First day of the benefit year containing `on`: the 1st of the latest renewal month not after it."""
    if isinstance(renewal_month, bool) or not isinstance(renewal_month, int) or not 1 <= renewal_month <= 12:
        raise InvalidInput("renewal_month must be 1-12",
                           details=[{"field": "renewal_month", "message": "must be an integer 1-12"}])
    year = on.year if on.month >= renewal_month else on.year - 1
    return date(year, renewal_month, 1)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Checker:
    """Collects per-field problems so that one InvalidInput names all of them."""

    def __init__(self) -> None:
        self.details: list[dict[str, str]] = []

    def fail(self, name: str, message: str) -> None:
        self.details.append({"field": name, "message": message})

    def text(self, data: Mapping[str, Any], name: str) -> str:
        value = data.get(name)
        if name in data and (not isinstance(value, str) or not value.strip()):
            self.fail(name, "must be a non-empty string")
            return ""
        return value.strip() if isinstance(value, str) else ""

    def month(self, value: object, name: str) -> int:
        if value is not None and not (_is_int(value) and 1 <= value <= 12):
            self.fail(name, "must be an integer 1-12")
        return value if _is_int(value) else 0

    def cents(self, value: object, name: str) -> int:
        if not (_is_int(value) and value >= 0):
            self.fail(name, "must be non-negative integer cents")
            return 0
        return value

    def percents(self, value: object, name: str) -> dict[str, int]:
        if not isinstance(value, Mapping):
            self.fail(name, "must be an object of category -> percent")
            return {}
        result = {}
        for category, pct in value.items():
            path = f"{name}.{category}"
            if category not in CATEGORIES:
                self.fail(path, f"unknown category; use one of {', '.join(CATEGORIES)}")
            elif not (_is_int(pct) and 0 <= pct <= 100):
                self.fail(path, "must be an integer percent 0-100")
            else:
                result[str(category)] = pct
        return result

    def code_cents(self, value: object, name: str) -> dict[str, int]:
        if not isinstance(value, Mapping):
            self.fail(name, "must be an object of CDT code -> cents")
            return {}
        result = {}
        for code, cents in value.items():
            path = f"{name}.{code}"
            canonical = self.code(code, path)
            amount = self.cents(cents, path)
            if canonical is not None:
                if canonical in result:
                    self.fail(path, f"{canonical} is listed twice")
                result[canonical] = amount
        return result

    def codes(self, value: object, name: str) -> tuple[str, ...]:
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            self.fail(name, "must be a list of CDT codes")
            return ()
        result: list[str] = []
        for index, code in enumerate(value):
            canonical = self.code(code, f"{name}.{index}")
            if canonical is not None and canonical not in result:
                result.append(canonical)
        return tuple(result)

    def code(self, code: object, path: str) -> str | None:
        try:
            return normalize_code(code, path)
        except InvalidInput as error:
            self.details.extend(error.details)
            return None
