"""The CDT procedure catalog: codes, insurance categories, default fees, tooth and surface rules.

ADA CDT codes are "D" followed by 4 digits. Every syntactically valid code has a category, derived from
its CDT range the way dental benefit plans group procedures for coverage percentages (catalog entry or
not, so a code newer than this table still estimates correctly):

    D0000-D0199  diagnostic      clinical oral evaluations (D0120-D0191); D00xx is unassigned and stays
                                 with the diagnostic section it belongs to
    D0200-D0399  xray            diagnostic imaging with interpretation (D0210-D0395)
    D0400-D0699  diagnostic      tests, laboratory, oral pathology, caries risk (D0411-D0606)
    D0700-D0799  xray            diagnostic imaging, image capture only (D0701-D0709): the same
                                 radiographs as D02xx/D03xx without the reading, so plans treat them alike
    D0800-D0999  diagnostic      3D surface scans (D0801-D0804, non-ionizing), D0999 unspecified
    D1000-D1999  preventive
    D2000-D2699  restorative     amalgam, resin-based composite, gold foil, inlays and onlays
    D2700-D2899  crowns          single crowns (D2710-D2799); D2800-D2899 holds no CDT code today and is
                                 kept with crowns, the block it continues
    D2900-D2999  restorative     other restorative services: re-cement, prefabricated (stainless steel)
                                 crowns, core buildups, posts, veneers, repairs
    D3000-D3999  endodontics
    D4000-D4999  periodontics
    D5000-D5899  prosthodontics  removable prosthodontics
    D5900-D5999  prosthodontics  maxillofacial prosthetics (no category of its own among ours)
    D6000-D6199  implants        implant services
    D6200-D6999  prosthodontics  fixed prosthodontics (pontics, retainers, bridges)
    D7000-D7999  oral_surgery    oral and maxillofacial surgery
    D8000-D8999  orthodontics
    D9000-D9999  adjunctive      adjunctive general services (anesthesia, palliative, guards, missed and
                                 cancelled appointments)

Teeth are Universal numbering: "1"-"32" permanent, "A"-"T" primary. Surfaces are letters of MODBIFL
(mesial, occlusal, distal, buccal, incisal, facial, lingual), kept in that order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.domain import cdt_codes
from shared.errors import InvalidInput


class Category(StrEnum):
    """Insurance category of a procedure; the value is the wire string."""

    DIAGNOSTIC = "diagnostic"
    XRAY = "xray"
    PREVENTIVE = "preventive"
    RESTORATIVE = "restorative"
    CROWNS = "crowns"
    ENDODONTICS = "endodontics"
    PERIODONTICS = "periodontics"
    PROSTHODONTICS = "prosthodontics"
    IMPLANTS = "implants"
    ORAL_SURGERY = "oral_surgery"
    ORTHODONTICS = "orthodontics"
    ADJUNCTIVE = "adjunctive"


CATEGORIES: tuple[str, ...] = tuple(category.value for category in Category)

# (first, last, category) over the 4-digit number of the code; contiguous and covering 0000-9999.
CATEGORY_RANGES: tuple[tuple[int, int, Category], ...] = (
    (0, 199, Category.DIAGNOSTIC),
    (200, 399, Category.XRAY),
    (400, 699, Category.DIAGNOSTIC),
    (700, 799, Category.XRAY),
    (800, 999, Category.DIAGNOSTIC),
    (1000, 1999, Category.PREVENTIVE),
    (2000, 2699, Category.RESTORATIVE),
    (2700, 2899, Category.CROWNS),
    (2900, 2999, Category.RESTORATIVE),
    (3000, 3999, Category.ENDODONTICS),
    (4000, 4999, Category.PERIODONTICS),
    (5000, 5999, Category.PROSTHODONTICS),
    (6000, 6199, Category.IMPLANTS),
    (6200, 6999, Category.PROSTHODONTICS),
    (7000, 7999, Category.ORAL_SURGERY),
    (8000, 8999, Category.ORTHODONTICS),
    (9000, 9999, Category.ADJUNCTIVE),
)

SURFACE_ORDER = "MODBIFL"
PRIMARY_TEETH = "ABCDEFGHIJKLMNOPQRST"

_CODE_PATTERN = re.compile(r"D[0-9]{4}")


class ToothRule(StrEnum):
    """Whether a procedure is recorded against a tooth."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class SurfaceRule:
    """How many surfaces a procedure takes: minimum..maximum, maximum None for "or more"."""

    minimum: int
    maximum: int | None

    @property
    def applies(self) -> bool:
        return self.maximum is None or self.maximum > 0

    def allows(self, count: int) -> bool:
        return count >= self.minimum and (self.maximum is None or count <= self.maximum)

    def describe(self) -> str:
        if self.maximum is None:
            return f"at least {self.minimum} surface(s)" if self.minimum else "any number of surfaces"
        if self.minimum == self.maximum:
            return f"exactly {self.minimum} surface(s)" if self.minimum else "no surfaces"
        return f"{self.minimum} to {self.maximum} surfaces"

    def to_dict(self) -> dict[str, int | None]:
        return {"min": self.minimum, "max": self.maximum}


NO_SURFACES = SurfaceRule(*cdt_codes.NO_SURFACES)
ANY_SURFACES = SurfaceRule(*cdt_codes.ANY_SURFACES)


@dataclass(frozen=True)
class Procedure:
    """One catalog entry."""

    code: str
    descriptor: str
    category: Category
    default_fee_cents: int
    tooth: ToothRule
    surfaces: SurfaceRule

    def to_dict(self, fee_schedule: Mapping[str, int] | None = None) -> dict[str, Any]:
        """JSON-ready entry; `fee_cents` is the location's fee when a schedule is given, else the default."""
        return {
            "code": self.code,
            "descriptor": self.descriptor,
            "category": self.category.value,
            "default_fee_cents": self.default_fee_cents,
            "fee_cents": fee_for(self.code, fee_schedule or {}),
            "tooth": self.tooth.value,
            "surfaces": self.surfaces.to_dict(),
        }


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": field, "message": message}])


def normalize_code(code: object, field: str = "code") -> str:
    """The canonical form of a CDT code ("d2740 " -> "D2740"); InvalidInput unless it is D + 4 digits."""
    if isinstance(code, str):
        candidate = code.strip().upper()
        if _CODE_PATTERN.fullmatch(candidate):
            return candidate
    raise _invalid(field, f"{code!r} is not a CDT code (D followed by 4 digits)")


def category_for(code: str) -> Category:
    """The insurance category of any syntactically valid CDT code, by its CDT range."""
    number = int(normalize_code(code)[1:])
    for first, last, category in CATEGORY_RANGES:
        if first <= number <= last:
            return category
    raise AssertionError(f"CATEGORY_RANGES does not cover D{number:04d}")  # ranges cover 0000-9999


def _build_catalog() -> dict[str, Procedure]:
    entries = {}
    for code, descriptor, fee_cents, tooth, (minimum, maximum) in cdt_codes.CDT_ROWS:
        entries[code] = Procedure(
            code=code,
            descriptor=descriptor,
            category=category_for(code),
            default_fee_cents=fee_cents,
            tooth=ToothRule(tooth),
            surfaces=SurfaceRule(minimum, maximum),
        )
    return entries


_CATALOG: dict[str, Procedure] = _build_catalog()


def all_procedures() -> tuple[Procedure, ...]:
    """Every catalog entry, ordered by code."""
    return tuple(_CATALOG[code] for code in sorted(_CATALOG))


def lookup(code: str) -> Procedure | None:
    """The catalog entry for a code, or None when the (valid) code is not in the catalog."""
    return _CATALOG.get(normalize_code(code))


def search(q: str, limit: int = 20) -> list[Procedure]:
    """Entries whose code or descriptor contains every word of `q` (case-insensitive), at most `limit`.

    Entries whose code starts with the query ("d27", or "27" for D27xx) come first; each group is in code
    order. An empty query lists the catalog from the start.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise _invalid("limit", "limit must be a positive integer")
    if not isinstance(q, str):
        raise _invalid("q", "q must be a string")
    query = q.strip().lower()
    words = query.split()
    prefix = ("d" + query if query.isascii() and query.isdigit() else query).upper()
    by_prefix: list[Procedure] = []
    by_words: list[Procedure] = []
    for entry in all_procedures():
        if query and entry.code.startswith(prefix):
            by_prefix.append(entry)
        elif all(word in f"{entry.code.lower()} {entry.descriptor.lower()}" for word in words):
            by_words.append(entry)
    return (by_prefix + by_words)[:limit]


def fee_for(code: str, fee_schedule: Mapping[str, int]) -> int:
    """The location's fee for `code` when its schedule has one, else the catalog default (cents)."""
    canonical = normalize_code(code)
    if canonical in fee_schedule:
        fee = fee_schedule[canonical]
        if isinstance(fee, bool) or not isinstance(fee, int) or fee < 0:
            raise _invalid(f"fee_schedule.{canonical}", "a fee must be non-negative integer cents")
        return fee
    entry = _CATALOG.get(canonical)
    if entry is None:
        raise _invalid("code", f"{canonical} is not in the catalog and the fee schedule has no fee for it")
    return entry.default_fee_cents


def normalize_tooth(tooth: object) -> str | None:
    """"1"-"32" (int or str, leading zeros allowed) or "A"-"T" (any case); None or blank means no tooth."""
    if tooth is None:
        return None
    if isinstance(tooth, int) and not isinstance(tooth, bool):
        if 1 <= tooth <= 32:
            return str(tooth)
    elif isinstance(tooth, str):
        text = tooth.strip().upper()
        if not text:
            return None
        if text.isascii() and text.isdigit() and 1 <= int(text) <= 32:
            return str(int(text))
        if len(text) == 1 and text in PRIMARY_TEETH:
            return text
    raise _invalid("tooth", f"{tooth!r} is not a tooth: use 1-32 (permanent) or A-T (primary)")


def normalize_surfaces(surfaces: object) -> str:
    """Distinct letters of MODBIFL, uppercased and put in MODBIFL order; None or blank means none."""
    if surfaces is None:
        return ""
    if not isinstance(surfaces, str):
        raise _invalid("surfaces", "surfaces must be a string of letters from MODBIFL")
    letters = surfaces.strip().upper()
    unknown = sorted(set(letters) - set(SURFACE_ORDER))
    if unknown:
        raise _invalid("surfaces", f"{surfaces!r} has letters outside MODBIFL: {''.join(unknown)}")
    if len(set(letters)) != len(letters):
        raise _invalid("surfaces", f"{surfaces!r} repeats a surface")
    return "".join(letter for letter in SURFACE_ORDER if letter in letters)


def validate_procedure(code: str, tooth: object, surfaces: object) -> tuple[str | None, str]:
    """Normalise and check a procedure's tooth and surfaces against its code; returns (tooth, surfaces).

    Codes outside the catalog take an optional tooth and any surfaces. Surfaces always need a tooth.
    Raises InvalidInput with one detail per bad field ("code", "tooth", "surfaces").
    """
    canonical = normalize_code(code)
    entry = _CATALOG.get(canonical)
    tooth_rule = entry.tooth if entry else ToothRule.OPTIONAL
    surface_rule = entry.surfaces if entry else ANY_SURFACES
    details: list[dict[str, Any]] = []

    normalized_tooth: str | None = None
    try:
        normalized_tooth = normalize_tooth(tooth)
    except InvalidInput as error:
        details.extend(error.details)
    else:
        if tooth_rule is ToothRule.REQUIRED and normalized_tooth is None:
            details.append({"field": "tooth", "message": f"{canonical} needs a tooth"})
        elif tooth_rule is ToothRule.NOT_APPLICABLE and normalized_tooth is not None:
            details.append({"field": "tooth", "message": f"{canonical} is not recorded against a tooth"})

    normalized_surfaces = ""
    try:
        normalized_surfaces = normalize_surfaces(surfaces)
    except InvalidInput as error:
        details.extend(error.details)
    else:
        count = len(normalized_surfaces)
        if not surface_rule.applies and count:
            details.append({"field": "surfaces", "message": f"{canonical} takes no surfaces"})
        elif not surface_rule.allows(count):
            details.append(
                {"field": "surfaces", "message": f"{canonical} needs {surface_rule.describe()}, got {count}"}
            )
        elif count and normalized_tooth is None and not any(d["field"] == "tooth" for d in details):
            details.append({"field": "surfaces", "message": "surfaces need a tooth"})

    if details:
        raise InvalidInput(f"invalid procedure {canonical}", details=details)
    return normalized_tooth, normalized_surfaces
