"""Coverage parsing, benefit years and the insurance estimate, worked by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from shared.domain.coverage import Coverage, benefit_year_start
from shared.domain.estimate import Estimate, EstimateInput, estimate
from shared.errors import InvalidInput

PCT = {
    "diagnostic": 100, "xray": 100, "preventive": 100,
    "restorative": 80, "endodontics": 80, "periodontics": 80, "oral_surgery": 80,
    "crowns": 50, "prosthodontics": 50, "implants": 50, "orthodontics": 50, "adjunctive": 50,
}


def coverage(**overrides: Any) -> Coverage:
    data: dict[str, Any] = {
        "carrier": "Delta Dental",
        "member_id": "M-1001",
        "renewal_month": 1,
        "annual_max_cents": 150_000,
        "used_cents": 0,
        "pending_cents": 0,
        "deductible_cents": 5_000,
        "deductible_met_cents": 0,
        "coverage_pct": dict(PCT),
        "ortho_lifetime_max_cents": 0,
        "ortho_used_cents": 0,
        "allowed_fees": {},
        "copays": {},
        "excluded_codes": [],
    }
    data.update(overrides)
    return Coverage.from_dict(data)


def line(code: str, fee: int, category: str, line_id: str | None = None) -> EstimateInput:
    return EstimateInput(code=code, fee_cents=fee, category=category, line_id=line_id)


def amounts(result: Estimate, index: int) -> tuple[int, int, int, int, int, int]:
    """(fee, write-off, copay, deductible, insurance, patient) of one line."""
    e = result.lines[index]
    return (e.fee_cents, e.writeoff_cents, e.copay_cents, e.deductible_cents, e.insurance_cents,
            e.patient_cents)


def fields_of(error: InvalidInput) -> list[str]:
    return [detail["field"] for detail in error.details]


# --------------------------------------------------------------------------------- the worked example


def test_worked_example_exam_cleaning_crown_root_canal():
    """A new patient's plan, in plan order, with a $1,500 annual maximum of which $900 is used.

    Coverage: 100% diagnostic/xray/preventive, 80% restorative and endodontics, 50% crowns; $50 deductible,
    none met. Remaining annual maximum = 1,500.00 - 900.00 used - 0.00 pending = 600.00.

    D0150 comprehensive evaluation, fee 110.00, diagnostic:
        no allowed fee, no copay; diagnostic takes no deductible
        insurance = 110.00 x 100% = 110.00 (under the 600.00 left)    -> max left 490.00
        patient   = 110.00 - 0 - 110.00 = 0.00
    D1110 adult prophylaxis, fee 120.00, preventive:
        preventive takes no deductible
        insurance = 120.00 x 100% = 120.00 (under the 490.00 left)    -> max left 370.00
        patient   = 0.00
    D2740 porcelain/ceramic crown, fee 1,350.00, crowns:
        deductible = min(50.00 left, 1,350.00) = 50.00                 -> deductible left 0.00
        insurance  = (1,350.00 - 50.00) x 50% = 650.00, capped by the annual max at 370.00 -> max left 0.00
        patient    = 1,350.00 - 0 - 370.00 = 980.00                   limits: deductible, annual_max
    D3330 molar root canal, fee 1,250.00, endodontics:
        deductible = 0.00 (all of it went to the crown)
        insurance  = 1,250.00 x 80% = 1,000.00, capped by the annual max at 0.00
        patient    = 1,250.00                                         limits: annual_max
    Totals: fee 2,830.00, insurance 600.00, deductible 50.00, patient 2,230.00, annual max left 0.00.
    """
    plan = [
        line("D0150", 11_000, "diagnostic", "exam"),
        line("D1110", 12_000, "preventive", "cleaning"),
        line("D2740", 135_000, "crowns", "crown"),
        line("D3330", 125_000, "endodontics", "root-canal"),
    ]
    result = estimate(plan, coverage(used_cents=90_000))

    #                          fee   write-off copay deductible insurance patient
    assert amounts(result, 0) == (11_000, 0, 0, 0, 11_000, 0)
    assert amounts(result, 1) == (12_000, 0, 0, 0, 12_000, 0)
    assert amounts(result, 2) == (135_000, 0, 0, 5_000, 37_000, 98_000)
    assert amounts(result, 3) == (125_000, 0, 0, 0, 0, 125_000)
    assert [e.limits for e in result.lines] == [(), (), ("deductible", "annual_max"), ("annual_max",)]
    assert [e.line_id for e in result.lines] == ["exam", "cleaning", "crown", "root-canal"]

    totals = result.totals
    assert totals.fee_cents == 283_000
    assert totals.writeoff_cents == 0
    assert totals.deductible_cents == 5_000
    assert totals.insurance_cents == 60_000
    assert totals.patient_cents == 223_000
    assert totals.remaining_annual_max_cents == 0
    assert totals.remaining_deductible_cents == 0
    assert totals.limits == ("deductible", "annual_max")


# ------------------------------------------------------------------------------------------- each rule


def test_allowed_fee_writes_off_the_difference():
    # fee 1,350.00, PPO allows 950.00: write-off 400.00; deductible 50.00; (950 - 50) x 50% = 450.00.
    result = estimate([line("D2740", 135_000, "crowns")], coverage(allowed_fees={"D2740": 95_000}))
    assert amounts(result, 0) == (135_000, 40_000, 0, 5_000, 45_000, 50_000)
    assert result.lines[0].allowed_cents == 95_000
    assert result.lines[0].limits == ("allowed_fee", "deductible")


def test_allowed_fee_above_the_fee_changes_nothing():
    result = estimate([line("D1110", 12_000, "preventive")], coverage(allowed_fees={"D1110": 15_000}))
    assert amounts(result, 0) == (12_000, 0, 0, 0, 12_000, 0)
    assert result.lines[0].limits == ()


def test_copay_comes_off_before_the_percentage():
    # fee 185.00, copay 25.00: (185 - 25) x 80% = 128.00; patient 185 - 128 = 57.00 (the copay included).
    plan = [line("D2391", 18_500, "restorative")]
    result = estimate(plan, coverage(deductible_cents=0, copays={"D2391": 2_500}))
    assert amounts(result, 0) == (18_500, 0, 2_500, 0, 12_800, 5_700)
    assert result.lines[0].limits == ("copay",)


def test_copay_is_capped_at_the_allowed_amount():
    result = estimate(
        [line("D2391", 18_500, "restorative")],
        coverage(allowed_fees={"D2391": 15_000}, copays={"D2391": 50_000}),
    )
    assert amounts(result, 0) == (18_500, 3_500, 15_000, 0, 0, 15_000)
    assert result.totals.remaining_deductible_cents == 5_000


def test_excluded_code_pays_nothing_and_leaves_the_deductible():
    result = estimate(
        [line("D9944", 55_000, "adjunctive"), line("D2392", 23_500, "restorative")],
        coverage(excluded_codes=["d9944"]),
    )
    assert amounts(result, 0) == (55_000, 0, 0, 0, 0, 55_000)
    assert result.lines[0].limits == ("excluded",)
    # The whole deductible is left for the filling: (235.00 - 50.00) x 80% = 148.00.
    assert amounts(result, 1) == (23_500, 0, 0, 5_000, 14_800, 8_700)


def test_zero_percent_category_skips_the_deductible():
    result = estimate(
        [line("D6010", 220_000, "implants"), line("D2392", 23_500, "restorative")],
        coverage(coverage_pct={**PCT, "implants": 0}),
    )
    assert amounts(result, 0) == (220_000, 0, 0, 0, 0, 220_000)
    assert result.lines[0].limits == ("not_covered",)
    assert amounts(result, 1) == (23_500, 0, 0, 5_000, 14_800, 8_700)
    assert result.totals.limits == ("deductible", "not_covered")


def test_category_missing_from_coverage_pct_is_not_covered():
    pct = {name: value for name, value in PCT.items() if name != "implants"}
    result = estimate([line("D6010", 220_000, "implants")], coverage(coverage_pct=pct))
    assert result.lines[0].insurance_cents == 0
    assert result.lines[0].limits == ("not_covered",)


@pytest.mark.parametrize(
    ("code", "category"), [("D0150", "diagnostic"), ("D0274", "xray"), ("D1110", "preventive")]
)
def test_diagnostic_xray_and_preventive_take_no_deductible(code, category):
    result = estimate([line(code, 10_000, category)], coverage(coverage_pct={**PCT, category: 80}))
    assert amounts(result, 0) == (10_000, 0, 0, 0, 8_000, 2_000)
    assert result.totals.remaining_deductible_cents == 5_000


def test_deductible_spreads_over_lines_and_counts_what_was_met():
    # 20.00 of the 50.00 is met: 30.00 left. First filling 20.00 fee takes 20.00, the next takes 10.00.
    result = estimate(
        [line("D2140", 2_000, "restorative"), line("D2150", 18_500, "restorative")],
        coverage(deductible_met_cents=2_000),
    )
    assert amounts(result, 0) == (2_000, 0, 0, 2_000, 0, 2_000)
    assert amounts(result, 1) == (18_500, 0, 0, 1_000, 14_000, 4_500)


def test_insurance_rounds_half_up():
    # 123.45 x 50% = 61.725 -> 61.73
    result = estimate([line("D2740", 12_345, "crowns")], coverage(deductible_cents=0))
    assert amounts(result, 0) == (12_345, 0, 0, 0, 6_173, 6_172)


def test_pending_claims_count_against_the_annual_max():
    # 1,500.00 - 1,000.00 used - 450.00 pending = 50.00 left for a 120.00 cleaning at 100%.
    plan = [line("D1110", 12_000, "preventive")]
    result = estimate(plan, coverage(used_cents=100_000, pending_cents=45_000))
    assert amounts(result, 0) == (12_000, 0, 0, 0, 5_000, 7_000)
    assert result.lines[0].limits == ("annual_max",)


def test_used_above_the_maximum_clamps_to_nothing_left():
    result = estimate(
        [line("D1110", 12_000, "preventive"), line("D2392", 23_500, "restorative")],
        coverage(used_cents=200_000, deductible_met_cents=9_000),
    )
    assert [e.insurance_cents for e in result.lines] == [0, 0]
    assert [e.deductible_cents for e in result.lines] == [0, 0]
    assert result.totals.remaining_annual_max_cents == 0
    assert result.totals.remaining_deductible_cents == 0


def test_ortho_is_capped_by_its_lifetime_max_not_the_annual_max():
    # Ortho max 1,500.00 with 500.00 used: 1,000.00 left. 6,000.00 x 50% = 3,000.00 -> capped to 1,000.00.
    result = estimate(
        [line("D8080", 600_000, "orthodontics"), line("D8670", 20_000, "orthodontics"),
         line("D1110", 12_000, "preventive")],
        coverage(
            deductible_cents=0, ortho_lifetime_max_cents=150_000, ortho_used_cents=50_000, used_cents=140_000
        ),
    )
    assert amounts(result, 0) == (600_000, 0, 0, 0, 100_000, 500_000)
    assert result.lines[0].limits == ("ortho_lifetime_max",)
    assert amounts(result, 1) == (20_000, 0, 0, 0, 0, 20_000)
    assert result.lines[1].limits == ("ortho_lifetime_max",)
    # The annual maximum (100.00 left) is untouched by ortho and caps the cleaning.
    assert amounts(result, 2) == (12_000, 0, 0, 0, 10_000, 2_000)
    assert result.totals.remaining_ortho_max_cents == 0
    assert result.totals.remaining_annual_max_cents == 0
    assert result.totals.limits == ("annual_max", "ortho_lifetime_max")


def test_no_coverage_means_the_patient_pays_the_fee():
    result = estimate([line("D2740", 135_000, "crowns"), line("D0150", 11_000, "diagnostic")], None)
    assert amounts(result, 0) == (135_000, 0, 0, 0, 0, 135_000)
    assert amounts(result, 1) == (11_000, 0, 0, 0, 0, 11_000)
    assert result.totals.patient_cents == 146_000
    assert result.totals.insurance_cents == 0
    assert result.totals.limits == ()


def test_empty_plan():
    result = estimate([], coverage(used_cents=10_000))
    assert result.lines == ()
    assert result.totals.fee_cents == 0
    assert result.totals.remaining_annual_max_cents == 140_000


def test_to_dict_uses_the_contract_names():
    result = estimate([line("d2740", 135_000, "crowns", "stp_1")], coverage(allowed_fees={"D2740": 95_000}))
    assert result.to_dict() == {
        "lines": [{
            "line_id": "stp_1", "code": "D2740", "category": "crowns", "fee_cents": 135_000,
            "allowed_cents": 95_000, "writeoff_cents": 40_000, "copay_cents": 0, "deductible_cents": 5_000,
            "insurance_cents": 45_000, "patient_cents": 50_000, "limits": ["allowed_fee", "deductible"],
        }],
        "totals": {
            "fee_cents": 135_000, "allowed_cents": 95_000, "writeoff_cents": 40_000, "copay_cents": 0,
            "deductible_cents": 5_000, "insurance_cents": 45_000, "patient_cents": 50_000,
            "remaining_annual_max_cents": 105_000, "remaining_ortho_max_cents": 0,
            "remaining_deductible_cents": 0, "limits": ["allowed_fee", "deductible"],
        },
    }


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (line("D274", 100, "crowns"), "lines.0.code"),
        (line("D2740", -1, "crowns"), "lines.0.fee_cents"),
        (line("D2740", 10.0, "crowns"), "lines.0.fee_cents"),  # type: ignore[arg-type]
        (line("D2740", True, "crowns"), "lines.0.fee_cents"),
        (line("D2740", 100, "major"), "lines.0.category"),
    ],
)
def test_invalid_lines_name_the_field(bad, field):
    with pytest.raises(InvalidInput) as raised:
        estimate([bad], None)
    assert fields_of(raised.value) == [field]


# ------------------------------------------------------------------------------------------- coverage


def test_coverage_round_trips_and_normalises_codes():
    parsed = coverage(
        allowed_fees={"d2740": 95_000}, copays={" D2391 ": 2_500}, excluded_codes=["d9944", "D9944"]
    )
    assert parsed.allowed_fees == {"D2740": 95_000}
    assert parsed.copays == {"D2391": 2_500}
    assert parsed.excluded_codes == ("D9944",)
    assert Coverage.from_dict(parsed.to_dict()) == parsed
    assert parsed.to_dict()["excluded_codes"] == ["D9944"]


def test_coverage_optional_fields_default_to_nothing_used():
    parsed = Coverage.from_dict({
        "carrier": "Aetna", "member_id": "W123", "renewal_month": 7, "annual_max_cents": 100_000,
        "deductible_cents": 5_000, "coverage_pct": {"preventive": 100},
    })
    assert (parsed.used_cents, parsed.pending_cents, parsed.deductible_met_cents) == (0, 0, 0)
    assert (parsed.ortho_lifetime_max_cents, parsed.ortho_used_cents) == (0, 0)
    assert parsed.allowed_fees == {} and parsed.copays == {} and parsed.excluded_codes == ()
    assert parsed.pct_for("crowns") == 0


def test_coverage_used_above_maximum_is_accepted():
    parsed = coverage(used_cents=999_999, deductible_met_cents=99_999, ortho_used_cents=1)
    assert parsed.remaining_annual_max_cents == 0
    assert parsed.remaining_deductible_cents == 0
    assert parsed.remaining_ortho_max_cents == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"carrier": ""}, "carrier"),
        ({"member_id": 42}, "member_id"),
        ({"renewal_month": 0}, "renewal_month"),
        ({"renewal_month": 13}, "renewal_month"),
        ({"renewal_month": True}, "renewal_month"),
        ({"annual_max_cents": -1}, "annual_max_cents"),
        ({"used_cents": 10.0}, "used_cents"),
        ({"pending_cents": True}, "pending_cents"),
        ({"deductible_cents": "5000"}, "deductible_cents"),
        ({"deductible_met_cents": None}, "deductible_met_cents"),
        ({"ortho_lifetime_max_cents": -5}, "ortho_lifetime_max_cents"),
        ({"ortho_used_cents": False}, "ortho_used_cents"),
        ({"coverage_pct": {**PCT, "crowns": 101}}, "coverage_pct.crowns"),
        ({"coverage_pct": {**PCT, "crowns": 50.5}}, "coverage_pct.crowns"),
        ({"coverage_pct": {"major": 50}}, "coverage_pct.major"),
        ({"coverage_pct": [50]}, "coverage_pct"),
        ({"allowed_fees": {"D27400": 100}}, "allowed_fees.D27400"),
        ({"allowed_fees": {"D2740": -100}}, "allowed_fees.D2740"),
        ({"copays": {"D2391": 2.5}}, "copays.D2391"),
        ({"excluded_codes": ["D9944", "teeth whitening"]}, "excluded_codes.1"),
        ({"excluded_codes": "D9944"}, "excluded_codes"),
        ({"annual_maximum": 100}, "annual_maximum"),
    ],
)
def test_coverage_rejects_each_bad_field(overrides, field):
    with pytest.raises(InvalidInput) as raised:
        coverage(**overrides)
    assert fields_of(raised.value) == [field]


def test_coverage_reports_every_bad_field_and_missing_ones():
    with pytest.raises(InvalidInput) as raised:
        Coverage.from_dict({"carrier": "Cigna", "renewal_month": 13, "used_cents": -1})
    assert sorted(fields_of(raised.value)) == sorted([
        "member_id", "annual_max_cents", "deductible_cents", "coverage_pct", "renewal_month", "used_cents",
    ])


# ------------------------------------------------------------------------------------------ benefit year


@pytest.mark.parametrize(
    ("renewal_month", "on", "start"),
    [
        (1, date(2025, 1, 1), date(2025, 1, 1)),
        (1, date(2025, 12, 31), date(2025, 1, 1)),
        (7, date(2025, 6, 30), date(2024, 7, 1)),
        (7, date(2025, 7, 1), date(2025, 7, 1)),
        (7, date(2025, 12, 31), date(2025, 7, 1)),
        (12, date(2025, 1, 5), date(2024, 12, 1)),
        (12, date(2024, 12, 1), date(2024, 12, 1)),
        (3, date(2024, 2, 29), date(2023, 3, 1)),
    ],
)
def test_benefit_year_start(renewal_month, on, start):
    assert benefit_year_start(renewal_month, on) == start


@pytest.mark.parametrize("month", [0, 13, True, "7"])
def test_benefit_year_start_rejects_bad_months(month):
    with pytest.raises(InvalidInput) as raised:
        benefit_year_start(month, date(2025, 1, 1))
    assert fields_of(raised.value) == ["renewal_month"]
