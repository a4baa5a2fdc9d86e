"""The coverage shape: one validation (defaults, bounds, every bad field at once) and its JSON Schema."""

from __future__ import annotations

from datetime import date

import pytest

from shared.domain.benefits.coverage import FIELDS, REQUIRED, Coverage, json_schema
from shared.domain.benefits.years import add_months, age_on, benefit_year_start, next_benefit_year_start
from shared.errors import InvalidInput

MINIMAL = {"carrier": "Delta", "member_id": "M1", "annual_max_cents": 150_000, "coverage_pct": {"crowns": 50}}
FULL = MINIMAL | {
    "rank": 2, "group_number": "G-77", "cob_method": "carve_out", "effective_date": "2026-01-15",
    "subscriber": {"relationship": "spouse", "name": "Sam Doe", "date_of_birth": "1980-04-02"},
    "renewal_month": 7, "usage_as_of": "2026-08-01", "used_cents": 1, "pending_cents": 2, "deductible_cents": 5_000,
    "deductible_met_cents": 3, "deductible_exempt_categories": ["preventive"], "ortho_lifetime_max_cents": 200_000,
    "ortho_used_cents": 4, "ortho_deductible_cents": 10_000, "allowed_fees": {"d2740": 90_000},
    "copays": {"D1110": 1_000}, "excluded_codes": ["D9972"],
    "frequency_limits": [{"codes": ["D1110"], "count": 2, "period": "benefit_year"},
                         {"category": "crowns", "count": 1, "period": "months", "months": 60, "per_tooth": True}],
    "waiting_periods": {"crowns": 12}, "age_limits": [{"codes": ["D1206"], "max_age": 18}],
    "alternate_benefits": {"D2392": "D2150"}, "code_maximums": {"D6010": 80_000},
}


def problems(data: object) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        Coverage.from_dict(data)
    return {detail["field"]: detail["message"] for detail in caught.value.details}


def test_defaults_are_those_of_the_one_field_table():
    coverage = Coverage.from_dict(MINIMAL)
    assert (coverage.rank, coverage.renewal_month, coverage.cob_method) == (1, 1, "standard")
    assert coverage.deductible_cents == 0
    assert coverage.deductible_exempt_categories == ("diagnostic", "xray", "preventive")
    assert coverage.pct_for("implants") == 0


def test_every_field_round_trips():
    coverage = Coverage.from_dict(FULL)
    assert coverage.allowed_fees == {"D2740": 90_000}
    assert coverage.frequency_limits[1].months == 60 and coverage.subscriber.date_of_birth == date(1980, 4, 2)
    assert Coverage.from_dict(coverage.to_dict()) == coverage
    assert set(coverage.to_dict()) == set(FIELDS)


def test_bad_coverages_name_every_bad_field():
    bad = MINIMAL | {"rank": 3, "coverage_pct": {"crowns": 101, "teeth": 50},
                     "frequency_limits": [{"codes": ["D1110"], "count": 0, "period": "benefit_year"},
                                          {"codes": ["D1110"], "category": "preventive", "count": 1,
                                           "period": "months"}],
                     "cob_method": "half", "subscriber": {"relationship": "cousin", "name": "X", "age": 3},
                     "waiting_periods": {"crowns": -1}, "alternate_benefits": {"D2392": "amalgam"}, "colour": "red"}
    found = problems(bad)
    assert set(found) == {"rank", "coverage_pct.crowns", "coverage_pct.teeth", "frequency_limits.0.count",
                          "frequency_limits.1", "frequency_limits.1.months", "cob_method", "subscriber.relationship",
                          "subscriber.age", "waiting_periods.crowns", "alternate_benefits.D2392", "colour"}
    assert "unknown category" in found["coverage_pct.teeth"]
    assert problems([]) == {"coverage": "must be an object"}
    assert set(problems({})) == {name for name, (_, default) in FIELDS.items() if default is REQUIRED}


def test_json_schema_documents_the_same_fields_bounds_and_defaults():
    schema = json_schema()
    assert set(schema["properties"]) == set(FIELDS)
    assert schema["required"] == ["carrier", "member_id", "annual_max_cents", "coverage_pct"]
    assert schema["properties"]["rank"] == {"type": "integer", "minimum": 1, "maximum": 2, "default": 1}
    assert schema["properties"]["coverage_pct"]["additionalProperties"]["maximum"] == 100
    assert schema["properties"]["deductible_exempt_categories"]["default"] == ["diagnostic", "xray", "preventive"]
    assert schema["properties"]["frequency_limits"]["items"]["properties"]["count"]["minimum"] == 1


def test_benefit_years_months_and_ages():
    assert benefit_year_start(7, date(2026, 6, 30)) == date(2025, 7, 1)
    assert next_benefit_year_start(1, date(2026, 11, 30)) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 15), -15) == date(2024, 12, 15)
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
