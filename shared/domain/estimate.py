"""The insurance estimate: how a plan's fees split into write-off, insurance and patient portions.

Per procedure, in plan order (DESIGN.md section 2, the order Open Dental's engine uses):

1. allowed = min(fee, the plan's allowed fee for the code, when it has one); write-off = fee - allowed.
2. The copay for the code is taken from the allowed amount (capped at it).
3. The deductible is taken from what remains, up to what is left of it (deductible - met, then reduced by
   earlier lines of this estimate). It never applies to diagnostic, xray or preventive procedures, nor
   where insurance pays nothing anyway: a 0% category or an excluded code (a deductible is satisfied only
   by covered services).
4. insurance = round_half_up(remaining x coverage% of the category); an excluded code pays 0.
5. The annual maximum (annual max - used - pending, then reduced by earlier lines) caps insurance;
   orthodontics is capped by its own lifetime maximum (ortho max - ortho used) instead and does not
   consume the annual maximum.
6. patient = fee - write-off - insurance.

Every remaining amount below zero counts as zero. A line's `limits` name what bit it, i.e. changed an
amount: "allowed_fee", "copay", "deductible", "not_covered" (0%), "excluded", "annual_max",
"ortho_lifetime_max". Without coverage insurance pays nothing and no limit is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from shared.domain.catalog import CATEGORIES, Category, normalize_code
from shared.domain.coverage import Coverage
from shared.errors import InvalidInput
from shared.money import percent_of

LIMIT_KINDS: tuple[str, ...] = (
    "allowed_fee", "copay", "deductible", "not_covered", "excluded", "annual_max", "ortho_lifetime_max",
)

# Categories the deductible never applies to (xray counts as diagnostic).
DEDUCTIBLE_EXEMPT = frozenset({Category.DIAGNOSTIC, Category.XRAY, Category.PREVENTIVE})


@dataclass(frozen=True)
class EstimateInput:
    """One procedure of the plan, as priced: its code, fee and category, and optionally an id to echo."""

    code: str
    fee_cents: int
    category: str
    line_id: str | None = None


@dataclass(frozen=True)
class EstimateLine:
    line_id: str | None
    code: str
    category: str
    fee_cents: int
    allowed_cents: int
    writeoff_cents: int
    copay_cents: int
    deductible_cents: int
    insurance_cents: int
    patient_cents: int
    limits: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "limits": list(self.limits)}


@dataclass(frozen=True)
class EstimateTotals:
    fee_cents: int
    allowed_cents: int
    writeoff_cents: int
    copay_cents: int
    deductible_cents: int
    insurance_cents: int
    patient_cents: int
    remaining_annual_max_cents: int
    remaining_ortho_max_cents: int
    remaining_deductible_cents: int
    limits: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "limits": list(self.limits)}


@dataclass(frozen=True)
class Estimate:
    lines: tuple[EstimateLine, ...]
    totals: EstimateTotals

    def to_dict(self) -> dict[str, Any]:
        return {"lines": [line.to_dict() for line in self.lines], "totals": self.totals.to_dict()}


@dataclass
class _Remaining:
    """What is left of the benefit-year limits as the estimate walks the plan."""

    deductible: int
    annual_max: int
    ortho_max: int


def estimate(lines: Sequence[EstimateInput], coverage: Coverage | None) -> Estimate:
    """Split every line's fee into write-off, insurance and patient portions under `coverage`."""
    checked = [_checked(line, index) for index, line in enumerate(lines)]
    remaining = _Remaining(
        deductible=coverage.remaining_deductible_cents if coverage else 0,
        annual_max=coverage.remaining_annual_max_cents if coverage else 0,
        ortho_max=coverage.remaining_ortho_max_cents if coverage else 0,
    )
    if coverage is None:
        results = tuple(_uninsured_line(line) for line in checked)
    else:
        results = tuple(_insured_line(line, coverage, remaining) for line in checked)
    return Estimate(lines=results, totals=_totals(results, remaining))


def _checked(line: EstimateInput, index: int) -> EstimateInput:
    details = []
    code = line.code
    try:
        code = normalize_code(line.code, f"lines.{index}.code")
    except InvalidInput as error:
        details.extend(error.details)
    fee = line.fee_cents
    if isinstance(fee, bool) or not isinstance(fee, int) or fee < 0:
        details.append({"field": f"lines.{index}.fee_cents", "message": "must be non-negative integer cents"})
    if line.category not in CATEGORIES:
        details.append({"field": f"lines.{index}.category", "message": f"unknown category {line.category!r}"})
    if details:
        raise InvalidInput("invalid estimate line", details=details)
    return EstimateInput(code=code, fee_cents=fee, category=str(line.category), line_id=line.line_id)


def _uninsured_line(line: EstimateInput) -> EstimateLine:
    return EstimateLine(
        line_id=line.line_id, code=line.code, category=line.category, fee_cents=line.fee_cents,
        allowed_cents=line.fee_cents, writeoff_cents=0, copay_cents=0, deductible_cents=0,
        insurance_cents=0, patient_cents=line.fee_cents, limits=(),
    )


def _insured_line(line: EstimateInput, coverage: Coverage, remaining: _Remaining) -> EstimateLine:
    limits: set[str] = set()
    fee = line.fee_cents

    allowed = min(fee, coverage.allowed_fees.get(line.code, fee))
    if allowed < fee:
        limits.add("allowed_fee")

    copay = min(coverage.copays.get(line.code, 0), allowed)
    if copay:
        limits.add("copay")
    payable = allowed - copay

    excluded = line.code in coverage.excluded_codes
    pct = coverage.pct_for(line.category)
    deductible = 0
    if not excluded and pct > 0 and line.category not in DEDUCTIBLE_EXEMPT:
        deductible = min(remaining.deductible, payable)
        remaining.deductible -= deductible
        payable -= deductible
        if deductible:
            limits.add("deductible")

    if excluded:
        insurance = 0
        if payable:
            limits.add("excluded")
    else:
        insurance = percent_of(payable, pct)
        if pct == 0 and payable:
            limits.add("not_covered")

    if line.category == Category.ORTHODONTICS:
        capped = min(insurance, remaining.ortho_max)
        remaining.ortho_max -= capped
        if capped < insurance:
            limits.add("ortho_lifetime_max")
    else:
        capped = min(insurance, remaining.annual_max)
        remaining.annual_max -= capped
        if capped < insurance:
            limits.add("annual_max")

    return EstimateLine(
        line_id=line.line_id, code=line.code, category=line.category, fee_cents=fee,
        allowed_cents=allowed, writeoff_cents=fee - allowed, copay_cents=copay, deductible_cents=deductible,
        insurance_cents=capped, patient_cents=fee - (fee - allowed) - capped,
        limits=tuple(kind for kind in LIMIT_KINDS if kind in limits),
    )


def _totals(lines: Sequence[EstimateLine], remaining: _Remaining) -> EstimateTotals:
    used = {kind for line in lines for kind in line.limits}
    return EstimateTotals(
        fee_cents=sum(line.fee_cents for line in lines),
        allowed_cents=sum(line.allowed_cents for line in lines),
        writeoff_cents=sum(line.writeoff_cents for line in lines),
        copay_cents=sum(line.copay_cents for line in lines),
        deductible_cents=sum(line.deductible_cents for line in lines),
        insurance_cents=sum(line.insurance_cents for line in lines),
        patient_cents=sum(line.patient_cents for line in lines),
        remaining_annual_max_cents=remaining.annual_max,
        remaining_ortho_max_cents=remaining.ortho_max,
        remaining_deductible_cents=remaining.deductible,
        limits=tuple(kind for kind in LIMIT_KINDS if kind in used),
    )
