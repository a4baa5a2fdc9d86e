"""The benefits engine, one hand-worked example per rule (the arithmetic is in each docstring)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from shared.domain.benefits.coverage import Coverage
from shared.domain.benefits.engine import Estimate, LineInput, Patient, estimate
from shared.domain.benefits.usage import (
    HistoryItem,
    UsageEntry,
    UsageStatus,
    allocate,
    claim_entry,
    remaining_benefits_cents,
)

TODAY = date(2026, 11, 30)
PCT = {"diagnostic": 100, "xray": 100, "preventive": 100, "restorative": 80, "endodontics": 80, "crowns": 50,
       "orthodontics": 50}


def cov(**overrides: Any) -> Coverage:
    data: dict[str, Any] = {"carrier": "Delta", "member_id": "M1", "annual_max_cents": 150_000,
                            "coverage_pct": dict(PCT)}
    return Coverage.from_dict(data | overrides)


def run(lines: list[LineInput], *coverages: Coverage, today: date = TODAY, **patient: Any) -> Estimate:
    return estimate(lines, list(coverages), today=today, patient=Patient(**patient))


def split(result: Estimate, index: int = 0) -> tuple[int, int, int, int]:
    """(write-off, insurance, patient, deductible) of one line."""
    line = result.lines[index]
    return line.writeoff_cents, line.insurance_cents, line.patient_cents, line.deductible_cents


CROWN = LineInput("D2740", 120_000, tooth="3", line_id="stp_crown")


@pytest.mark.parametrize(("method", "secondary", "patient"), [("standard", 60_000, 0), ("carve_out", 0, 60_000),
                                                              ("basic", 60_000, 0)])
def test_secondary_by_cob_method_on_the_same_crown(method: str, secondary: int, patient: int):
    """DESIGN's worked example. Crown D2740, fee $1,200, no allowed fees, deductibles met (none set).
    Primary crowns 50%: 1,200.00 x 50% = 600.00. Secondary crowns 50%: N2 = 600.00.
    standard:  min(600.00, 1,200.00 - 600.00 = 600.00)  = 600.00, patient 0.00
    carve_out: max(0, 600.00 - 600.00)                  =   0.00, patient 600.00
    basic:     min(600.00, 1,200.00 allowed - 600.00)   = 600.00, patient 0.00"""
    result = run([CROWN], cov(), cov(rank=2, carrier="Aetna", cob_method=method))
    primary, second = result.lines[0].by_coverage
    assert (primary.insurance_cents, second.normal_benefit_cents, second.insurance_cents) == (60_000, 60_000, secondary)
    assert split(result) == (0, 60_000 + secondary, patient, 0)
    assert ("cob" in result.lines[0].limits) == (method == "carve_out")
    if method == "carve_out":
        assert "Aetna pays its $600.00 benefit less the $600.00 Delta paid (carve-out)" in result.lines[0].reasons[-1]


def test_secondary_pays_from_its_own_maximum_and_never_past_what_the_primary_left():
    """Primary: allowed fee 900.00 for D2740 (write-off 300.00), 50% -> 450.00; the patient owes 450.00.
    Secondary (standard), 80% of crowns, $200.00 annual maximum left (used 1,300.00 of 1,500.00):
    N2 = 1,200.00 x 80% = 960.00 capped at 200.00 -> pays min(200.00, 450.00) = 200.00; patient 250.00.
    A second crown: the secondary has nothing left -> pays 0; patient 450.00."""
    secondary = cov(rank=2, carrier="Aetna", coverage_pct={"crowns": 80}, used_cents=130_000, usage_as_of="2026-06-01")
    result = run([CROWN, CROWN], cov(allowed_fees={"D2740": 90_000}), secondary)
    assert split(result, 0) == (30_000, 45_000 + 20_000, 25_000, 0)
    assert result.lines[0].by_coverage[1].limits == ("annual_max",)
    assert split(result, 1) == (30_000, 45_000, 45_000, 0)
    assert result.totals.by_coverage[1].remaining_annual_max_cents == 0


def test_frequency_denial_from_imported_history():
    """Cleanings 2 per benefit year (calendar here); the history has 2026-03-02 and 2026-09-14 from another
    office, so a third on 2026-11-30 pays 0 and says why; the exam beside it is unaffected."""
    limits = [{"codes": ["D1110", "D1120"], "count": 2, "period": "benefit_year"}]
    history = [HistoryItem("D1110", date(2026, 3, 2)), HistoryItem("D1110", date(2026, 9, 14)),
               HistoryItem("D1110", date(2025, 11, 1))]  # last benefit year: does not count
    result = run([LineInput("D1110", 12_000), LineInput("D0120", 6_500)], cov(frequency_limits=limits),
                 history=history)
    assert split(result, 0) == (0, 0, 12_000, 0)
    assert result.lines[0].limits == ("frequency",)
    assert result.lines[0].reasons == ("Cleanings: 2 per benefit year, used 2 (2026-03-02, 2026-09-14).",)
    assert split(result, 1) == (0, 6_500, 0, 0)


def test_frequency_counts_earlier_lines_per_tooth_within_months():
    """Crowns once per tooth per 60 months. History: tooth 3 crowned 2023-05-01 (43 months ago) -> a crown
    on 3 is denied; tooth 14 is free, so its crown pays 50%: 1,200.00 x 50% = 600.00; a second crown on 14
    later in the same plan is denied by the earlier line."""
    limits = [{"category": "crowns", "count": 1, "period": "months", "months": 60, "per_tooth": True}]
    lines = [CROWN, LineInput("D2740", 120_000, tooth="14"), LineInput("D2750", 120_000, tooth="14")]
    result = run(lines, cov(frequency_limits=limits), history=[HistoryItem("D2740", date(2023, 5, 1), "3")])
    assert [line.insurance_cents for line in result.lines] == [0, 60_000, 0]
    assert result.lines[0].reasons[0] == "Crowns: 1 per tooth per 60 months, used 1 (2023-05-01)."
    assert result.lines[2].reasons[0] == "Crowns: 1 per tooth per 60 months, used 1 (2026-11-30)."


def test_waiting_period_that_ends_before_a_scheduled_step():
    """Effective 2026-02-15, crowns wait 12 months -> until 2027-02-15. A crown today (2026-11-30) pays 0;
    the same crown scheduled 2027-03-01 pays 1,200.00 x 50% = 600.00."""
    coverage = cov(effective_date="2026-02-15", waiting_periods={"crowns": 12})
    later = LineInput("D2740", 120_000, tooth="4", service_date=date(2027, 3, 1))
    result = run([CROWN, later], coverage)
    assert split(result, 0) == (0, 0, 120_000, 0)
    assert result.lines[0].limits == ("waiting_period",)
    assert result.lines[0].reasons == ("Crowns have a 12-month waiting period with Delta, until 2027-02-15.",)
    assert split(result, 1) == (0, 60_000, 60_000, 0)


def test_renewal_resets_usage_and_deductible():
    """Renewal month 1. Reported 2026-06-01: 1,500.00 used, 50.00 deductible met. A filling today
    (2026-11-30): max used up -> 0. The same filling on 2027-01-12 (a new benefit year): deductible 50.00
    again, 80% of (200.00 - 50.00) = 120.00."""
    coverage = cov(used_cents=150_000, deductible_cents=5_000, deductible_met_cents=5_000, usage_as_of="2026-06-01")
    filling = LineInput("D2391", 20_000, tooth="30")
    january = LineInput("D2391", 20_000, tooth="31", service_date=date(2027, 1, 12))
    result = run([filling, january], coverage)
    assert split(result, 0) == (0, 0, 20_000, 0)
    assert result.lines[0].limits == ("annual_max",)
    assert split(result, 1) == (0, 12_000, 8_000, 5_000)
    in_january = run([filling], coverage, today=date(2027, 1, 5))  # the carried-in figures belong to 2026
    assert split(in_january) == (0, 12_000, 8_000, 5_000)


def test_paid_claim_moves_deductible_met_and_the_maximum():
    """$50.00 deductible, nothing met at set-up. A paid claim of 2026-10-01 applied the 50.00 deductible and
    paid 300.00: the deductible is met and 1,500.00 - 300.00 = 1,200.00 is left, so a filling of 200.00
    pays 80% = 160.00 with no deductible."""
    claim = UsageEntry(rank=1, service_date=date(2026, 10, 1), status=UsageStatus.PAID, insurance_cents=30_000,
                       deductible_cents=5_000)
    result = run([LineInput("D2391", 20_000, tooth="30")], cov(deductible_cents=5_000), claims=[claim])
    assert split(result) == (0, 16_000, 4_000, 0)
    assert result.totals.by_coverage[0].remaining_annual_max_cents == 150_000 - 30_000 - 16_000


def test_ortho_has_its_own_lifetime_maximum_and_deductible():
    """Ortho lifetime max 1,500.00 of which an ortho claim used 1,000.00; ortho deductible 100.00; general
    max untouched. Comprehensive ortho D8080 fee 5,000.00: ortho deductible 100.00, 50% of 4,900.00 =
    2,450.00 capped at 500.00 by the ortho maximum; the general annual maximum stays 1,500.00."""
    coverage = cov(ortho_lifetime_max_cents=150_000, ortho_deductible_cents=10_000, deductible_cents=5_000)
    claim = UsageEntry(rank=1, service_date=date(2025, 3, 1), status=UsageStatus.PAID, ortho_cents=100_000)
    result = run([LineInput("D8080", 500_000)], coverage, claims=[claim])
    assert split(result) == (0, 50_000, 450_000, 10_000)
    assert result.lines[0].limits == ("deductible", "ortho_max")
    assert result.totals.by_coverage[0].remaining_annual_max_cents == 150_000
    assert result.totals.by_coverage[0].remaining_deductible_cents == 5_000  # general deductible untouched


def test_copay_only_code_takes_no_deductible_and_no_percent():
    """D2740 allowed 900.00 (write-off 300.00), copay 300.00: insurance = 900.00 - 300.00 = 600.00; no
    deductible (50.00 unmet) and no 50% coinsurance on top; patient = the copay."""
    coverage = cov(allowed_fees={"D2740": 90_000}, copays={"D2740": 30_000}, deductible_cents=5_000)
    result = run([CROWN], coverage)
    assert split(result) == (30_000, 60_000, 30_000, 0)
    assert result.lines[0].limits == ("copay",)


def test_deductible_then_percent_and_exempt_categories():
    """$50.00 deductible. Exam D0150 110.00: diagnostic is exempt -> 110.00. Filling D2391 200.00: deductible
    50.00, then 80% of 150.00 = 120.00. Crown: deductible already met -> 50% of 1,200.00 = 600.00."""
    result = run([LineInput("D0150", 11_000), LineInput("D2391", 20_000, tooth="30"), CROWN],
                 cov(deductible_cents=5_000))
    assert [split(result, i) for i in range(3)] == [(0, 11_000, 0, 0), (0, 12_000, 8_000, 5_000),
                                                   (0, 60_000, 60_000, 0)]


def test_alternate_benefit_pays_as_the_cheaper_code_and_the_difference_is_the_patients():
    """Posterior composite D2392 fee 250.00, allowed 220.00 (write-off 30.00), paid as amalgam D2150 whose
    allowed fee is 150.00, restorative 80%: insurance = 150.00 x 80% = 120.00; patient 220.00 - 120.00 =
    100.00 (the 70.00 difference is the patient's, not written off)."""
    coverage = cov(allowed_fees={"D2392": 22_000, "D2150": 15_000}, alternate_benefits={"D2392": "D2150"})
    result = run([LineInput("D2392", 25_000, tooth="30")], coverage)
    assert split(result) == (3_000, 12_000, 10_000, 0)
    assert result.lines[0].limits == ("alternate_benefit",)


def test_age_limit_and_exclusion():
    """Fluoride D1206 covered through age 18: the patient born 2008-01-10 is 18 today -> 45.00 paid; born
    2007-11-01 is 19 -> 0. Whitening D9972 is excluded -> 0."""
    coverage = cov(age_limits=[{"codes": ["D1206"], "max_age": 18}], excluded_codes=["D9972"],
                   coverage_pct=PCT | {"adjunctive": 50})
    fluoride = LineInput("D1206", 4_500)
    assert split(run([fluoride], coverage, birth_date=date(2008, 1, 10))) == (0, 4_500, 0, 0)
    older = run([fluoride, LineInput("D9972", 40_000)], coverage, birth_date=date(2007, 11, 1))
    assert [line.limits for line in older.lines] == [("age",), ("excluded",)]
    assert older.totals.insurance_cents == 0


def test_per_code_maximum_then_annual_maximum():
    """Implant D6010 fee 2,000.00, implants 50% -> 1,000.00, capped by the per-code maximum 800.00 a year;
    the annual maximum then has 1,500.00 - 800.00 = 700.00 left."""
    coverage = cov(coverage_pct=PCT | {"implants": 50}, code_maximums={"D6010": 80_000})
    result = run([LineInput("D6010", 200_000, tooth="19")], coverage)
    assert split(result) == (0, 80_000, 120_000, 0)
    assert result.lines[0].limits == ("code_max",)
    assert result.totals.by_coverage[0].remaining_annual_max_cents == 70_000


def test_partial_acceptance_is_estimated_on_the_accepted_steps_alone():
    """$500.00 of annual maximum left. Whole plan, crown first: 50% of 1,200.00 = 600.00 capped at 500.00,
    then the cleaning finds nothing left -> patient 100.00. Accepting only the cleaning re-estimates it
    alone: preventive 100% -> insurance 100.00, patient 0."""
    coverage = cov(used_cents=100_000, usage_as_of="2026-02-01")
    cleaning = LineInput("D1110", 10_000, line_id="stp_clean")
    assert split(run([CROWN, cleaning], coverage), 1) == (0, 0, 10_000, 0)
    assert split(run([cleaning], coverage)) == (0, 10_000, 0, 0)


def test_remaining_benefits_this_year_over_both_coverages():
    """Primary 1,500.00 with 400.00 used and a pending claim of 100.00 -> 1,000.00; secondary 1,000.00 unused."""
    primary = cov(used_cents=40_000, usage_as_of="2026-03-01")
    secondary = cov(rank=2, annual_max_cents=100_000)
    pending = UsageEntry(rank=1, service_date=date(2026, 11, 2), status=UsageStatus.PENDING, insurance_cents=10_000)
    assert remaining_benefits_cents([primary, secondary], [pending], TODAY) == 200_000
    assert remaining_benefits_cents([primary], [pending], date(2027, 1, 2)) == 150_000


def test_a_claim_books_its_amount_over_its_lines_ortho_apart():
    """A claim for a filling (expected 120.00, deductible 50.00 applied) and ortho (expected 500.00). Paid
    310.00 instead of 620.00: split 120 : 500 -> 60.00 general and 250.00 ortho; the deductible counts."""
    result = run([LineInput("D2391", 20_000, tooth="30"), LineInput("D8080", 100_000)],
                 cov(deductible_cents=5_000, ortho_lifetime_max_cents=50_000))
    lines = result.to_dict()["lines"]
    assert [line["insurance_cents"] for line in lines] == [12_000, 50_000]
    entry = claim_entry(1, TODAY, UsageStatus.PAID, lines, 31_000)
    assert (entry.insurance_cents, entry.ortho_cents, entry.deductible_cents) == (6_000, 25_000, 5_000)
    assert entry.code_cents == {"D2391": 6_000, "D8080": 25_000}
    assert claim_entry(2, TODAY, UsageStatus.PAID, lines, 31_000).insurance_cents == 0  # no secondary share
    assert allocate(100, [1, 1, 1]) == [34, 33, 33] and allocate(5, [0, 0]) == [5, 0]
