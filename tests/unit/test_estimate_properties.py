"""Properties of the estimate for arbitrary plans and coverages: it always splits each fee exactly."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.catalog import CATEGORIES, category_for
from shared.domain.coverage import Coverage
from shared.domain.estimate import DEDUCTIBLE_EXEMPT, LIMIT_KINDS, Estimate, EstimateInput, estimate
from shared.money import percent_of

# A small pool spanning every category (orthodontics twice) so that allowed fees, copays and exclusions
# keyed on codes actually meet the plan's lines; plus any other valid code.
CODE_POOL = [
    "D0150", "D0274", "D0701", "D1110", "D2392", "D2740", "D3330", "D4341", "D5110", "D6010", "D6240",
    "D7140", "D8080", "D8670", "D9944",
]
codes = st.one_of(st.sampled_from(CODE_POOL), st.integers(0, 9999).map(lambda n: f"D{n:04d}"))
cents = st.integers(0, 800_000)
small_cents = st.integers(0, 60_000)
percents = st.one_of(st.sampled_from([0, 50, 80, 100]), st.integers(0, 100))


@st.composite
def plans(draw: st.DrawFn) -> list[EstimateInput]:
    lines = draw(st.lists(st.tuples(codes, cents), max_size=12))
    return [
        EstimateInput(code=code, fee_cents=fee, category=category_for(code), line_id=f"l{index}")
        for index, (code, fee) in enumerate(lines)
    ]


@st.composite
def coverages(draw: st.DrawFn) -> Coverage:
    code_maps = st.dictionaries(st.sampled_from(CODE_POOL), small_cents, max_size=5)
    return Coverage.from_dict({
        "carrier": "Any Carrier",
        "member_id": "X1",
        "renewal_month": draw(st.integers(1, 12)),
        "annual_max_cents": draw(st.integers(0, 300_000)),
        # Used and met may exceed their maxima: the estimate must clamp.
        "used_cents": draw(st.integers(0, 400_000)),
        "pending_cents": draw(st.integers(0, 100_000)),
        "deductible_cents": draw(st.integers(0, 20_000)),
        "deductible_met_cents": draw(st.integers(0, 25_000)),
        "coverage_pct": draw(st.dictionaries(st.sampled_from(CATEGORIES), percents)),
        "ortho_lifetime_max_cents": draw(st.integers(0, 300_000)),
        "ortho_used_cents": draw(st.integers(0, 400_000)),
        "allowed_fees": draw(st.dictionaries(st.sampled_from(CODE_POOL), cents, max_size=6)),
        "copays": draw(code_maps),
        "excluded_codes": draw(st.lists(st.sampled_from(CODE_POOL), max_size=3)),
    })


def is_cents(value: object) -> bool:
    return type(value) is int and value >= 0


def is_ortho(category: str) -> bool:
    return category == "orthodontics"


@settings(max_examples=200, deadline=None)
@given(plan=plans(), coverage=st.one_of(st.none(), coverages()))
def test_every_line_and_the_total_split_the_fee_exactly(plan: list[EstimateInput], coverage: Coverage | None):
    result = estimate(plan, coverage)
    assert len(result.lines) == len(plan)
    for given_line, line in zip(plan, result.lines, strict=True):
        amounts = [line.fee_cents, line.allowed_cents, line.writeoff_cents, line.copay_cents,
                   line.deductible_cents, line.insurance_cents, line.patient_cents]
        assert all(is_cents(amount) for amount in amounts)
        assert line.fee_cents == given_line.fee_cents
        assert line.line_id == given_line.line_id
        assert line.insurance_cents + line.patient_cents + line.writeoff_cents == line.fee_cents
        assert line.allowed_cents + line.writeoff_cents == line.fee_cents
        assert line.copay_cents + line.deductible_cents + line.insurance_cents <= line.allowed_cents
        assert set(line.limits) <= set(LIMIT_KINDS)
        assert list(line.limits) == [kind for kind in LIMIT_KINDS if kind in line.limits]
    totals = result.totals
    for name in ("fee_cents", "writeoff_cents", "deductible_cents", "insurance_cents", "patient_cents",
                 "allowed_cents", "copay_cents"):
        assert getattr(totals, name) == sum(getattr(line, name) for line in result.lines)
        assert is_cents(getattr(totals, name))
    assert totals.insurance_cents + totals.patient_cents + totals.writeoff_cents == totals.fee_cents
    assert all(is_cents(amount) for amount in (totals.remaining_annual_max_cents,
                                               totals.remaining_ortho_max_cents,
                                               totals.remaining_deductible_cents))
    assert set(totals.limits) == {kind for line in result.lines for kind in line.limits}
    json.dumps(result.to_dict())


@settings(max_examples=200, deadline=None)
@given(plan=plans(), coverage=coverages())
def test_limits_are_never_exceeded(plan: list[EstimateInput], coverage: Coverage):
    result = estimate(plan, coverage)
    annual = sum(line.insurance_cents for line in result.lines if not is_ortho(line.category))
    ortho = sum(line.insurance_cents for line in result.lines if is_ortho(line.category))
    deductible = sum(line.deductible_cents for line in result.lines)

    assert annual <= coverage.remaining_annual_max_cents
    assert ortho <= coverage.remaining_ortho_max_cents
    assert deductible <= coverage.remaining_deductible_cents
    assert result.totals.remaining_annual_max_cents == coverage.remaining_annual_max_cents - annual
    assert result.totals.remaining_ortho_max_cents == coverage.remaining_ortho_max_cents - ortho
    assert result.totals.remaining_deductible_cents == coverage.remaining_deductible_cents - deductible


@settings(max_examples=200, deadline=None)
@given(plan=plans(), coverage=coverages())
def test_each_line_obeys_its_rules(plan: list[EstimateInput], coverage: Coverage):
    for line in estimate(plan, coverage).lines:
        pct = coverage.pct_for(line.category)
        excluded = line.code in coverage.excluded_codes
        allowed_fee = coverage.allowed_fees.get(line.code, line.fee_cents)
        assert line.allowed_cents == min(line.fee_cents, allowed_fee)
        assert line.copay_cents == min(coverage.copays.get(line.code, 0), line.allowed_cents)
        if line.category in DEDUCTIBLE_EXEMPT or pct == 0 or excluded:
            assert line.deductible_cents == 0
        if excluded or pct == 0:
            assert line.insurance_cents == 0
        # Insurance is the category's share of what is left, or less when a maximum caps it.
        share = percent_of(line.allowed_cents - line.copay_cents - line.deductible_cents, pct)
        assert line.insurance_cents <= share
        if line.insurance_cents < share and not excluded:
            assert ("ortho_lifetime_max" if is_ortho(line.category) else "annual_max") in line.limits


@settings(max_examples=200, deadline=None)
@given(plan=plans(), coverage=coverages())
def test_deductible_and_maxima_are_drawn_down_in_plan_order(plan: list[EstimateInput], coverage: Coverage):
    """Walking the plan: each line takes what its rule allows from what earlier lines left, no more."""
    deductible_left = coverage.remaining_deductible_cents
    annual_left = coverage.remaining_annual_max_cents
    ortho_left = coverage.remaining_ortho_max_cents
    for line in estimate(plan, coverage).lines:
        pct = coverage.pct_for(line.category)
        excluded = line.code in coverage.excluded_codes
        if not (line.category in DEDUCTIBLE_EXEMPT or pct == 0 or excluded):
            assert line.deductible_cents == min(deductible_left, line.allowed_cents - line.copay_cents)
        deductible_left -= line.deductible_cents
        after_deductible = line.allowed_cents - line.copay_cents - line.deductible_cents
        share = 0 if excluded else percent_of(after_deductible, pct)
        if is_ortho(line.category):
            assert line.insurance_cents == min(share, ortho_left)
            ortho_left -= line.insurance_cents
        else:
            assert line.insurance_cents == min(share, annual_left)
            annual_left -= line.insurance_cents


@settings(max_examples=100, deadline=None)
@given(plan=plans(), extra=plans(), coverage=st.one_of(st.none(), coverages()))
def test_later_lines_never_change_earlier_ones(plan, extra, coverage):
    """Plan order: a line's estimate depends only on the lines before it."""
    alone: Estimate = estimate(plan, coverage)
    extended: Estimate = estimate(plan + extra, coverage)
    assert extended.lines[: len(plan)] == alone.lines


@settings(max_examples=100, deadline=None)
@given(plan=plans())
def test_without_coverage_the_patient_pays_every_fee(plan):
    result = estimate(plan, None)
    assert all(line.insurance_cents == 0 and line.patient_cents == line.fee_cents for line in result.lines)
    assert all(line.limits == () for line in result.lines)
