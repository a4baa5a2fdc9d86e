"""Properties of the benefits engine for arbitrary plans, coverages, history and claims."""

from __future__ import annotations

import json
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.benefits.coverage import CobMethod, Coverage
from shared.domain.benefits.engine import LIMIT_KINDS, LineInput, Patient, estimate
from shared.domain.benefits.phasing import PhaseInput, StepInput, propose
from shared.domain.benefits.usage import HistoryItem, UsageEntry, UsageStatus
from shared.domain.catalog import CATEGORIES

TODAY = date(2026, 11, 30)
CODES = ["D0150", "D0274", "D1110", "D1206", "D2150", "D2392", "D2740", "D3330", "D4341", "D6010", "D7140", "D8080"]
TEETH = [None, "3", "14"]
days = st.integers(-800, 400).map(lambda n: TODAY + timedelta(days=n))
cents = st.integers(0, 400_000)
small = st.integers(0, 60_000)


@st.composite
def lines(draw: st.DrawFn, most: int = 10) -> list[LineInput]:
    drawn = draw(st.lists(st.tuples(st.sampled_from(CODES), cents, st.sampled_from(TEETH),
                                    st.one_of(st.none(), days)), max_size=most))
    return [LineInput(code, fee, tooth, f"l{i}", when) for i, (code, fee, tooth, when) in enumerate(drawn)]


@st.composite
def coverages(draw: st.DrawFn, rank: int) -> Coverage:
    code_map = st.dictionaries(st.sampled_from(CODES), small, max_size=4)
    frequency = st.fixed_dictionaries({"codes": st.lists(st.sampled_from(CODES), min_size=1, max_size=3),
                                       "count": st.integers(1, 3),
                                       "period": st.sampled_from(["benefit_year", "calendar_year", "lifetime"]),
                                       "per_tooth": st.booleans()})
    return Coverage.from_dict({
        "rank": rank, "carrier": f"C{rank}", "member_id": "X", "renewal_month": draw(st.integers(1, 12)),
        "cob_method": draw(st.sampled_from(list(CobMethod))).value,
        "effective_date": draw(st.one_of(st.none(), days.map(date.isoformat))),
        "usage_as_of": draw(days).isoformat(),
        "annual_max_cents": draw(st.integers(0, 300_000)), "used_cents": draw(st.integers(0, 350_000)),
        "pending_cents": draw(small), "deductible_cents": draw(st.integers(0, 20_000)),
        "deductible_met_cents": draw(st.integers(0, 25_000)), "ortho_deductible_cents": draw(st.integers(0, 20_000)),
        "coverage_pct": draw(st.dictionaries(st.sampled_from(CATEGORIES), st.integers(0, 100))),
        "ortho_lifetime_max_cents": draw(st.integers(0, 300_000)), "ortho_used_cents": draw(st.integers(0, 350_000)),
        "allowed_fees": draw(code_map), "copays": draw(code_map), "code_maximums": draw(code_map),
        "excluded_codes": draw(st.lists(st.sampled_from(CODES), max_size=2)),
        "alternate_benefits": draw(st.dictionaries(st.sampled_from(CODES), st.sampled_from(CODES), max_size=2)),
        "waiting_periods": draw(st.dictionaries(st.sampled_from(CATEGORIES), st.integers(0, 24), max_size=3)),
        "age_limits": draw(st.lists(st.fixed_dictionaries({"codes": st.lists(st.sampled_from(CODES), min_size=1),
                                                           "max_age": st.integers(0, 30)}), max_size=2)),
        "frequency_limits": draw(st.lists(frequency, max_size=3)),
    })


@st.composite
def patients(draw: st.DrawFn) -> Patient:
    history = draw(st.lists(st.builds(HistoryItem, st.sampled_from(CODES), days, st.sampled_from(TEETH)), max_size=8))
    claims = draw(st.lists(st.builds(UsageEntry, st.sampled_from([1, 2]), days, st.sampled_from(list(UsageStatus)),
                                     small, st.integers(0, 5_000), small), max_size=4))
    return Patient(draw(st.one_of(st.none(), st.dates(date(1950, 1, 1), TODAY))), history, claims)


insured = st.one_of(st.just(1), st.just(2)).flatmap(
    lambda n: st.tuples(*(coverages(rank) for rank in range(1, n + 1))).map(list))


@settings(max_examples=150, deadline=None)
@given(plan=lines(), held=st.one_of(st.just([]), insured), patient=patients())
def test_every_line_splits_its_fee_and_the_secondary_stays_within_its_bounds(plan, held, patient):
    result = estimate(plan, held, today=TODAY, patient=patient)
    for given_line, line in zip(plan, result.lines, strict=True):
        assert line.insurance_cents + line.patient_cents + line.writeoff_cents == line.fee_cents == given_line.fee_cents
        assert min(line.insurance_cents, line.patient_cents, line.writeoff_cents, line.deductible_cents) >= 0
        assert line.insurance_cents == sum(share.insurance_cents for share in line.by_coverage)
        assert set(line.limits) <= set(LIMIT_KINDS)
        if len(line.by_coverage) == 2:
            primary, secondary = line.by_coverage
            assert secondary.insurance_cents <= secondary.normal_benefit_cents
            assert secondary.insurance_cents <= line.fee_cents - primary.writeoff_cents - primary.insurance_cents
    totals = result.totals
    assert totals.insurance_cents + totals.patient_cents + totals.writeoff_cents == totals.fee_cents
    json.dumps(result.to_dict())


@settings(max_examples=60, deadline=None)
@given(plan=st.lists(lines(most=3), min_size=1, max_size=4), urgent=st.lists(st.booleans(), max_size=4),
       held=insured, patient=patients())
def test_phasing_never_gives_less_insurance_than_all_now(plan, urgent, held, patient):
    phases = [PhaseInput(f"P{p}", [StepInput(f"s{p}_{i}", [line], urgent=p < len(urgent) and urgent[p])
                                   for i, line in enumerate(step_lines)])
              for p, step_lines in enumerate(plan)]
    proposal = propose(phases, held, today=TODAY, patient=patient)
    assert proposal.phased.totals.insurance_cents >= proposal.all_now.totals.insurance_cents
    assert proposal.saving_cents >= 0
    deferred = [phase.deferred for phase in proposal.phases]
    assert deferred == sorted(deferred) and not deferred[0]  # monotonic, first phase stays
    for phase, source in zip(proposal.phases, phases, strict=True):
        assert not (phase.deferred and any(step.urgent for step in source.steps))
