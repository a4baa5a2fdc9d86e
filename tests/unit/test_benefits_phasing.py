"""Phasing across benefit years, worked by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.domain.benefits.coverage import Coverage
from shared.domain.benefits.engine import LineInput
from shared.domain.benefits.phasing import PhaseInput, StepInput, propose

TODAY = date(2026, 11, 30)


def cov(**overrides: Any) -> Coverage:
    data = {"carrier": "Delta", "member_id": "M1", "annual_max_cents": 150_000, "usage_as_of": "2026-05-01",
            "coverage_pct": {"preventive": 100, "endodontics": 80, "crowns": 50}}
    return Coverage.from_dict(data | overrides)


def phase(name: str, *codes: str, urgent: bool = False) -> PhaseInput:
    return PhaseInput(name, [StepInput(f"stp_{name}_{i}", [LineInput(code, 120_000, tooth="3")], urgent=urgent)
                             for i, code in enumerate(codes)])


def test_a_plan_whose_maximum_is_used_up_this_year_defers_to_the_renewal():
    """1,400.00 of 1,500.00 used this benefit year (renewal January). Phase 1 root canal 1,200.00 x 80% =
    960.00, capped at 100.00 left. Phase 2 crown 1,200.00 x 50% = 600.00: now it gets 0; after 2027-01-01
    the new year's maximum pays 600.00. Saving 600.00."""
    plan = [phase("Urgent", "D3330"), phase("Restore", "D2740")]
    proposal = propose(plan, [cov(used_cents=140_000)], today=TODAY)
    assert (proposal.all_now.totals.insurance_cents, proposal.phased.totals.insurance_cents) == (10_000, 70_000)
    assert proposal.saving_cents == 60_000
    first, second = proposal.phases
    assert (first.deferred, first.earliest_date, first.insurance_cents) == (False, TODAY, 10_000)
    assert (second.deferred, second.earliest_date, second.benefit_year_start) == (True, date(2027, 1, 1),
                                                                                  date(2027, 1, 1))
    assert proposal.to_dict()["phased"]["phases"][1]["step_ids"] == ["stp_Restore_0"]


def test_urgent_and_first_phases_stay_and_ties_defer_nothing():
    """With the maximum used up, a later urgent phase stays (and so do the phases before it); with room in
    the maximum, deferring gains nothing, so nothing is deferred."""
    plan = [phase("One", "D2740"), phase("Two", "D2740", urgent=True), phase("Three", "D2740")]
    proposal = propose(plan, [cov(used_cents=150_000)], today=TODAY)
    assert [p.deferred for p in proposal.phases] == [False, False, True]
    assert proposal.saving_cents == 60_000
    roomy = propose([plan[0], plan[2]], [cov()], today=TODAY)  # 2 x 600.00 fits in 1,500.00
    assert [p.deferred for p in roomy.phases] == [False, False] and roomy.saving_cents == 0


def test_nothing_is_deferred_past_the_horizon_or_without_coverage():
    plan = [phase("One", "D2740"), phase("Two", "D2740")]
    assert propose(plan, [cov(used_cents=150_000)], today=TODAY, horizon_months=1).saving_cents == 0
    bare = propose(plan, [], today=TODAY)
    assert bare.renewal_date is None and bare.phased.totals.patient_cents == 240_000
