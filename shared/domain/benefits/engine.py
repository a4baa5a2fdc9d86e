"""The estimate of a plan's procedures under up to two coverages (DESIGN.md "Benefits engine").

Per line, in plan order, per coverage in rank order (earlier lines take their share of every limit):
1. The line's day is its service date (the step's appointment when scheduled, else today); its benefit
   year is the one of that day under the coverage's renewal month.
2. Gates (`gates.py`): excluded, age, waiting period, frequency. A shut gate pays 0.
3. Alternate benefit: the insurer pays as if the code were `paid_as` (its allowed fee, else the location's
   fee for it, and its category); the difference is the patient's, not a write-off.
4. allowed = min(fee, allowed fee); write-off = fee - allowed (PPO).
5. A code with a copay is copay-only: insurance = allowed - copay, no deductible, no percent. Otherwise
   the deductible (not for exempt categories, never at 0%; orthodontics its own lifetime deductible) comes
   off first, then insurance = round_half_up((allowed - deductible) x percent / 100).
6. Caps: the per-code maximum for the benefit year, then the annual maximum (orthodontics: lifetime).
7. The secondary's normal benefit N2 is steps 1-6 as if alone; it then pays, by its `cob_method`:
   standard min(N2, what the primary left the patient), basic min(N2, its allowed - primary paid),
   carve_out max(0, N2 - primary paid), and never more than what the primary left. What it pays is what
   it books against its maximums.
The line's write-off is the primary's (the office's contract is with the primary insurer); patient =
fee - write-off - primary - secondary, so insurance + patient + write-off = fee on every line. The line's
`deductible_cents` is the deductible the coverages applied, summed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from shared.domain import catalog
from shared.domain.benefits import wording
from shared.domain.benefits.coverage import CobMethod, Coverage
from shared.domain.benefits.gates import Service, gates
from shared.domain.benefits.usage import Balances, HistoryItem, UsageEntry, usage_of
from shared.domain.benefits.years import benefit_year_start
from shared.domain.catalog import Category
from shared.domain.codec import JsonValue
from shared.errors import InvalidInput
from shared.money import percent_of

LIMIT_KINDS: tuple[str, ...] = ("excluded", "age", "waiting_period", "frequency", "alternate_benefit", "copay",
                                "deductible", "code_max", "annual_max", "ortho_max", "cob")
MAX_COVERAGES = 2


@dataclass(frozen=True)
class LineInput:
    """One procedure to estimate; `line_id` is echoed (the step id), `service_date` None means today."""

    code: str
    fee_cents: int
    tooth: str | None = None
    line_id: str | None = None
    service_date: date | None = None


@dataclass(frozen=True)
class Patient:
    """What the estimate needs to know of the patient besides the plan."""

    birth_date: date | None = None
    history: Sequence[HistoryItem] = ()
    claims: Sequence[UsageEntry] = ()


NO_PATIENT_DETAILS = Patient()


@dataclass(frozen=True)
class CoverageShare:
    rank: int
    carrier: str
    allowed_cents: int
    writeoff_cents: int
    deductible_cents: int
    normal_benefit_cents: int  # what it would pay alone (for a secondary, before COB)
    insurance_cents: int
    limits: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class LineEstimate:
    line_id: str | None
    code: str
    tooth: str | None
    category: str
    service_date: date
    fee_cents: int
    allowed_cents: int
    writeoff_cents: int
    deductible_cents: int
    insurance_cents: int
    patient_cents: int
    limits: tuple[str, ...]
    reasons: tuple[str, ...]
    by_coverage: tuple[CoverageShare, ...]


@dataclass(frozen=True)
class CoverageTotals:
    rank: int
    carrier: str
    insurance_cents: int
    deductible_cents: int
    remaining_annual_max_cents: int  # this benefit year, after the plan's lines dated in it
    remaining_deductible_cents: int
    remaining_ortho_max_cents: int


@dataclass(frozen=True)
class Totals:
    fee_cents: int
    writeoff_cents: int
    deductible_cents: int
    insurance_cents: int
    patient_cents: int
    limits: tuple[str, ...]
    by_coverage: tuple[CoverageTotals, ...]


@dataclass(frozen=True)
class Estimate(JsonValue):
    lines: tuple[LineEstimate, ...]
    totals: Totals


def ordered(limits: Iterable[str]) -> tuple[str, ...]:
    present = set(limits)
    return tuple(kind for kind in LIMIT_KINDS if kind in present)


class _Walk:
    """One coverage's state along the plan: its balances and the services its frequency limits count."""

    def __init__(self, coverage: Coverage, patient: Patient, today: date) -> None:
        self.coverage = coverage
        self.balances = Balances(coverage, usage_of(coverage, patient.claims, today))
        self.services = [Service(item.code, item.tooth, item.date) for item in patient.history]


def estimate(lines: Sequence[LineInput], coverages: Sequence[Coverage], *, today: date,
             patient: Patient = NO_PATIENT_DETAILS, fee_schedule: Mapping[str, int] | None = None) -> Estimate:
    """Split every line's fee into write-off, insurance per coverage, and the patient's portion."""
    if len(coverages) > MAX_COVERAGES or len({c.rank for c in coverages}) != len(coverages):
        raise InvalidInput("at most one primary and one secondary coverage", [{"field": "coverages"}])
    walks = [_Walk(c, patient, today) for c in sorted(coverages, key=lambda c: c.rank)]
    fees = fee_schedule or {}
    results = tuple(_line(_checked(line, i), walks, today, patient.birth_date, fees) for i, line in enumerate(lines))
    return Estimate(results, _totals(results, walks, today))


def _checked(line: LineInput, index: int) -> LineInput:
    code = catalog.normalize_code(line.code, f"lines.{index}.code")
    fee = line.fee_cents
    if isinstance(fee, bool) or not isinstance(fee, int) or fee < 0:
        raise InvalidInput("invalid estimate line",
                           [{"field": f"lines.{index}.fee_cents", "message": "must be non-negative integer cents"}])
    return line if code == line.code else LineInput(code, fee, line.tooth, line.line_id, line.service_date)


def _line(line: LineInput, walks: list[_Walk], today: date, birth: date | None,
          fees: Mapping[str, int]) -> LineEstimate:
    on = line.service_date or today
    shares: list[CoverageShare] = []
    for walk in walks:
        share, counts = _normal(walk, line, on, birth, fees)
        if shares:
            share = _coordinated(walk, share, shares[0], line.fee_cents)
        walk.balances.take(on, _is_ortho(walk.coverage, line.code), line.code, share.insurance_cents)
        if counts:
            walk.services.append(Service(line.code, line.tooth, on))
        shares.append(share)
    fee = line.fee_cents
    allowed = shares[0].allowed_cents if shares else fee
    insurance = sum(share.insurance_cents for share in shares)
    return LineEstimate(
        line_id=line.line_id, code=line.code, tooth=line.tooth, category=catalog.category_for(line.code).value,
        service_date=on, fee_cents=fee, allowed_cents=allowed, writeoff_cents=fee - allowed,
        deductible_cents=sum(share.deductible_cents for share in shares), insurance_cents=insurance,
        patient_cents=fee - (fee - allowed) - insurance,
        limits=ordered(kind for share in shares for kind in share.limits),
        reasons=tuple(reason for share in shares for reason in share.reasons), by_coverage=tuple(shares))


def _paid_as(coverage: Coverage, code: str) -> str:
    return coverage.alternate_benefits.get(code, code)


def _is_ortho(coverage: Coverage, code: str) -> bool:
    return catalog.category_for(_paid_as(coverage, code)) is Category.ORTHODONTICS


def _normal(walk: _Walk, line: LineInput, on: date, birth: date | None,
            fees: Mapping[str, int]) -> tuple[CoverageShare, bool]:
    """Steps 1-6 for one coverage, as if it were alone; the deductible it applies is taken at once.
    Also says whether the line counts toward this coverage's frequency limits (no gate shut)."""
    cov, balances, code, fee = walk.coverage, walk.balances, line.code, line.fee_cents
    limits: list[str] = []
    reasons: list[str] = []
    allowed = min(fee, cov.allowed_fees.get(code, fee))
    if allowed < fee:
        reasons.append(f"{cov.carrier} allows {wording.money(allowed)} of the {wording.money(fee)} fee; the "
                       f"office writes off {wording.money(fee - allowed)}.")
    shut = gates(cov, code, line.tooth, on, birth, walk.services)
    if shut:
        limits += [gate.limit for gate in shut]
        reasons += [gate.reason for gate in shut]
        return _share(cov, allowed, fee, 0, 0, 0, limits, reasons), False

    base, paid_as = allowed, _paid_as(cov, code)
    if paid_as != code:
        base = min(allowed, cov.allowed_fees.get(paid_as, _fee_of(paid_as, fees, allowed)))
        limits.append("alternate_benefit")
        reasons.append(f"{cov.carrier} pays {wording.procedure_name(code)} as {wording.procedure_name(paid_as)}, "
                       f"on {wording.money(base)}; the other {wording.money(allowed - base)} is yours.")
    category = catalog.category_for(paid_as).value
    ortho = category == Category.ORTHODONTICS
    deductible = 0
    if code in cov.copays:
        copay = min(cov.copays[code], base)
        insurance = base - copay
        limits.append("copay")
        reasons.append(f"{wording.procedure_name(code)} has a {wording.money(copay)} copay with {cov.carrier}.")
    else:
        pct = cov.pct_for(category)
        if pct > 0 and category not in cov.deductible_exempt_categories:
            deductible = min(balances.deductible_left(on, ortho), base)
            if deductible:
                balances.take_deductible(on, ortho, deductible)
                kind = "orthodontic deductible" if ortho else "deductible"
                limits.append("deductible")
                reasons.append(f"{wording.money(deductible)} goes to the {kind} with {cov.carrier} "
                               f"({wording.money(balances.deductible_left(on, ortho))} of it left).")
        insurance = percent_of(base - deductible, pct)
        if pct < 100:
            reasons.append(f"{cov.carrier} covers {wording.CATEGORY_NAMES[category].lower()} at {pct}%.")
    insurance = _capped(cov, balances, code, on, ortho, insurance, limits, reasons)
    return _share(cov, allowed, fee, deductible, insurance, insurance, limits, reasons), True


def _capped(cov: Coverage, balances: Balances, code: str, on: date, ortho: bool, insurance: int,
            limits: list[str], reasons: list[str]) -> int:
    code_left = balances.code_left(on, code)
    if code_left is not None and insurance > code_left:
        limits.append("code_max")
        reasons.append(f"{cov.carrier} pays at most {wording.money(cov.code_maximums[code])} a benefit year for "
                       f"{wording.procedure_name(code)}; {wording.money(code_left)} of it was left.")
        insurance = code_left
    max_left = balances.max_left(on, ortho)
    if insurance > max_left:
        if ortho:
            limits.append("ortho_max")
            reasons.append(f"The orthodontic lifetime maximum of {wording.money(cov.ortho_lifetime_max_cents)} "
                           f"with {cov.carrier} had {wording.money(max_left)} left.")
        else:
            limits.append("annual_max")
            start = benefit_year_start(cov.renewal_month, on).isoformat()
            reasons.append(f"The annual maximum of {wording.money(cov.annual_max_cents)} with {cov.carrier} had "
                           f"{wording.money(max_left)} left in the benefit year starting {start}.")
        insurance = max_left
    return insurance


def _fee_of(code: str, fees: Mapping[str, int], fallback: int) -> int:
    if code in fees:
        return fees[code]
    entry = catalog.lookup(code)
    return entry.default_fee_cents if entry else fallback


def _share(cov: Coverage, allowed: int, fee: int, deductible: int, normal: int, insurance: int,
           limits: list[str], reasons: list[str]) -> CoverageShare:
    return CoverageShare(cov.rank, cov.carrier, allowed, fee - allowed, deductible, normal, insurance,
                         ordered(limits), tuple(reasons))


def _coordinated(walk: _Walk, own: CoverageShare, primary: CoverageShare, fee: int) -> CoverageShare:
    """Step 7: what the secondary pays after the primary, by its COB method."""
    cov, normal = walk.coverage, own.normal_benefit_cents
    left = fee - primary.writeoff_cents - primary.insurance_cents  # the patient's portion after the primary
    method = CobMethod(cov.cob_method)
    if method is CobMethod.CARVE_OUT:
        pays = max(0, normal - primary.insurance_cents)
        how = (f"its {wording.money(normal)} benefit less the {wording.money(primary.insurance_cents)} "
               f"{primary.carrier} paid (carve-out)")
    elif method is CobMethod.BASIC:
        pays = min(normal, max(0, own.allowed_cents - primary.insurance_cents))
        how = f"up to its allowed {wording.money(own.allowed_cents)} less what {primary.carrier} paid (basic)"
    else:
        pays = min(normal, left)
        how = f"up to what {primary.carrier} left for you, {wording.money(left)} (standard)"
    pays = min(pays, left)
    limits, reasons = list(own.limits), list(own.reasons)
    if pays < normal:
        limits.append("cob")
        reasons.append(f"As secondary, {cov.carrier} pays {how}: {wording.money(pays)} of its "
                       f"{wording.money(normal)} benefit.")
    return CoverageShare(own.rank, own.carrier, own.allowed_cents, own.writeoff_cents, own.deductible_cents, normal,
                         pays, ordered(limits), tuple(reasons))


def _totals(lines: Sequence[LineEstimate], walks: Sequence[_Walk], today: date) -> Totals:
    by_coverage = []
    for index, walk in enumerate(walks):
        cov, balances = walk.coverage, walk.balances
        by_coverage.append(CoverageTotals(
            rank=cov.rank, carrier=cov.carrier,
            insurance_cents=sum(line.by_coverage[index].insurance_cents for line in lines),
            deductible_cents=sum(line.by_coverage[index].deductible_cents for line in lines),
            remaining_annual_max_cents=balances.max_left(today, False),
            remaining_deductible_cents=balances.deductible_left(today, False),
            remaining_ortho_max_cents=balances.max_left(today, True)))
    return Totals(
        fee_cents=sum(line.fee_cents for line in lines),
        writeoff_cents=sum(line.writeoff_cents for line in lines),
        deductible_cents=sum(line.deductible_cents for line in lines),
        insurance_cents=sum(line.insurance_cents for line in lines),
        patient_cents=sum(line.patient_cents for line in lines),
        limits=ordered(kind for line in lines for kind in line.limits),
        by_coverage=tuple(by_coverage))
