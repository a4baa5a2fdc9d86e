"""The CDT catalog: categories by range, entries, search, fees, tooth and surface validation."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import catalog
from shared.domain.catalog import (
    CATEGORIES,
    SurfaceRule,
    ToothRule,
    all_procedures,
    category_for,
    fee_for,
    lookup,
    search,
    validate_procedure,
)
from shared.errors import InvalidInput


def fields_of(error: InvalidInput) -> list[str]:
    return [detail["field"] for detail in error.details]


# ---------------------------------------------------------------------------------------------- categories


def test_categories_are_exactly_the_contract_strings():
    assert CATEGORIES == (
        "diagnostic", "xray", "preventive", "restorative", "crowns", "endodontics", "periodontics",
        "prosthodontics", "implants", "oral_surgery", "orthodontics", "adjunctive",
    )


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("D0000", "diagnostic"),
        ("D0100", "diagnostic"),
        ("D0199", "diagnostic"),
        ("D0200", "xray"),
        ("D0399", "xray"),
        ("D0400", "diagnostic"),
        ("D0699", "diagnostic"),
        ("D0700", "xray"),
        ("D0709", "xray"),
        ("D0799", "xray"),
        ("D0800", "diagnostic"),
        ("D0999", "diagnostic"),
        ("D1000", "preventive"),
        ("D1999", "preventive"),
        ("D2000", "restorative"),
        ("D2699", "restorative"),
        ("D2700", "crowns"),
        ("D2799", "crowns"),
        ("D2899", "crowns"),
        ("D2900", "restorative"),
        ("D2999", "restorative"),
        ("D3000", "endodontics"),
        ("D3999", "endodontics"),
        ("D4000", "periodontics"),
        ("D4999", "periodontics"),
        ("D5000", "prosthodontics"),
        ("D5899", "prosthodontics"),
        ("D5900", "prosthodontics"),
        ("D5999", "prosthodontics"),
        ("D6000", "implants"),
        ("D6199", "implants"),
        ("D6200", "prosthodontics"),
        ("D6999", "prosthodontics"),
        ("D7000", "oral_surgery"),
        ("D7999", "oral_surgery"),
        ("D8000", "orthodontics"),
        ("D8999", "orthodontics"),
        ("D9000", "adjunctive"),
        ("D9999", "adjunctive"),
    ],
)
def test_range_boundaries(code, category):
    assert category_for(code) == category


def test_ranges_cover_every_code_once_and_in_order():
    expected_first = 0
    for first, last, category in catalog.CATEGORY_RANGES:
        assert first == expected_first
        assert last >= first
        assert category in CATEGORIES
        expected_first = last + 1
    assert expected_first == 10_000


def test_category_for_accepts_codes_outside_the_catalog_and_normalises_case():
    assert lookup("D2783") is None
    assert category_for("D2783") == "crowns"
    assert category_for(" d3330 ") == "endodontics"


@pytest.mark.parametrize("bad", ["", "D123", "D12345", "2740", "X2740", "D27A0", None, 2740])
def test_invalid_codes_raise_with_the_code_field(bad):
    with pytest.raises(InvalidInput) as raised:
        category_for(bad)
    assert fields_of(raised.value) == ["code"]


# ------------------------------------------------------------------------------------------------- entries


def test_catalog_ships_at_least_60_well_formed_entries():
    entries = all_procedures()
    assert len(entries) >= 60
    assert [entry.code for entry in entries] == sorted(entry.code for entry in entries)
    assert len({entry.code for entry in entries}) == len(entries)
    for entry in entries:
        assert re.fullmatch(r"D\d{4}", entry.code)
        assert entry.descriptor and entry.descriptor == entry.descriptor.strip()
        assert isinstance(entry.default_fee_cents, int) and entry.default_fee_cents > 0
        assert entry.category == category_for(entry.code)


def test_catalog_covers_every_category():
    assert {entry.category for entry in all_procedures()} == set(CATEGORIES)


@pytest.mark.parametrize(
    "code",
    [
        "D0120", "D0150", "D0210", "D0220", "D0274", "D0330", "D1110", "D1120", "D1206", "D1351", "D2140",
        "D2150", "D2330", "D2391", "D2392", "D2740", "D2750", "D2950", "D2962", "D3310", "D3320", "D3330",
        "D4341", "D4342", "D4910", "D5110", "D5213", "D6010", "D6058", "D6240", "D6750", "D7140", "D7210",
        "D7240", "D8080", "D9110", "D9230", "D9944", "D9986", "D9987",
    ],
)
def test_common_codes_are_in_the_catalog(code):
    assert lookup(code) is not None


def test_known_descriptors_and_rules():
    exam = lookup("D0120")
    assert exam.descriptor.startswith("periodic oral evaluation")
    assert exam.category == "diagnostic"
    assert exam.tooth is ToothRule.NOT_APPLICABLE
    assert lookup("d2391").surfaces == SurfaceRule(1, 1)
    assert lookup("D2394").surfaces == SurfaceRule(4, None)
    assert lookup("D2740").tooth is ToothRule.REQUIRED
    assert not lookup("D2740").surfaces.applies
    assert lookup("D9986").descriptor == "missed appointment"
    assert lookup("D9987").descriptor == "cancelled appointment"


def test_procedure_to_dict_uses_the_schedule_fee():
    data = lookup("D2740").to_dict({"D2740": 99_900})
    assert data == {
        "code": "D2740",
        "descriptor": "crown - porcelain/ceramic",
        "category": "crowns",
        "default_fee_cents": lookup("D2740").default_fee_cents,
        "fee_cents": 99_900,
        "tooth": "required",
        "surfaces": {"min": 0, "max": 0},
    }
    assert lookup("D2394").to_dict()["surfaces"] == {"min": 4, "max": None}


# -------------------------------------------------------------------------------------------------- search


def test_search_puts_code_prefix_matches_first():
    results = [entry.code for entry in search("d27")]
    assert results and all(code.startswith("D27") for code in results)
    assert results == sorted(results)


def test_search_by_bare_digits_is_a_code_prefix():
    assert [entry.code for entry in search("2391")] == ["D2391"]


def test_search_descriptor_case_insensitive_and_prefix_matches_rank_first():
    crowns = [entry.code for entry in search("CROWN", limit=50)]
    assert "D2740" in crowns and "D6058" in crowns and "D2930" in crowns
    # A code-prefix query matches codes only, not descriptor words.
    assert [entry.code for entry in search("d11")] == ["D1110", "D1120"]


def test_search_every_word_must_match():
    codes = [entry.code for entry in search("scaling root planing")]
    assert codes == ["D4341", "D4342"]


def test_search_limit_and_empty_query():
    assert len(search("", limit=5)) == 5
    assert [entry.code for entry in search("", limit=2)] == ["D0120", "D0140"]
    assert search("no such procedure") == []
    with pytest.raises(InvalidInput) as raised:
        search("crown", limit=0)
    assert fields_of(raised.value) == ["limit"]


# ---------------------------------------------------------------------------------------------------- fees


def test_fee_for_prefers_the_location_schedule():
    assert fee_for("D2740", {}) == lookup("D2740").default_fee_cents
    assert fee_for("d2740", {"D2740": 120_000}) == 120_000
    assert fee_for("D2740", {"D2740": 0}) == 0


def test_fee_for_code_outside_the_catalog():
    assert fee_for("D2783", {"D2783": 140_000}) == 140_000
    with pytest.raises(InvalidInput) as raised:
        fee_for("D2783", {"D2740": 1})
    assert fields_of(raised.value) == ["code"]


@pytest.mark.parametrize("bad_fee", [-1, 10.5, True, "100"])
def test_fee_for_rejects_a_bad_schedule_value(bad_fee):
    with pytest.raises(InvalidInput) as raised:
        fee_for("D2740", {"D2740": bad_fee})
    assert fields_of(raised.value) == ["fee_schedule.D2740"]


# ------------------------------------------------------------------------------------- tooth and surfaces


@pytest.mark.parametrize(
    ("tooth", "expected"),
    [(1, "1"), (32, "32"), ("14", "14"), ("03", "3"), (" 8 ", "8"), ("a", "A"), ("T", "T"), ("k", "K")],
)
def test_teeth_are_normalised(tooth, expected):
    assert validate_procedure("D2740", tooth, "") == (expected, "")


@pytest.mark.parametrize("tooth", [0, 33, "0", "33", "U", "AA", "-1", 3.0, True, "1A"])
def test_invalid_teeth(tooth):
    with pytest.raises(InvalidInput) as raised:
        validate_procedure("D2740", tooth, "")
    assert fields_of(raised.value) == ["tooth"]


@pytest.mark.parametrize(
    ("code", "surfaces", "expected"),
    [
        ("D2391", "o", "O"),
        ("D2392", "DO", "OD"),
        ("D2392", "om", "MO"),
        ("D2393", "dom", "MOD"),
        ("D2394", "LBDOM", "MODBL"),
        ("D2394", "modl", "MODL"),
        ("D2140", "O", "O"),
        ("D2150", "OL", "OL"),
        ("D2160", "MOD", "MOD"),
        ("D2161", "MODF", "MODF"),
        ("D2330", "f", "F"),
        ("D2335", "FIDM", "MDIF"),
        ("D2630", "MOD", "MOD"),
        ("D2630", "MODB", "MODB"),
        ("D1351", "", ""),
        ("D1351", "O", "O"),
    ],
)
def test_surfaces_are_normalised_and_counted(code, surfaces, expected):
    assert validate_procedure(code, 30, surfaces) == ("30", expected)


@pytest.mark.parametrize(
    ("code", "surfaces"),
    [
        ("D2391", ""),
        ("D2391", "MO"),
        ("D2392", "O"),
        ("D2392", "MOD"),
        ("D2393", "MO"),
        ("D2393", "MODB"),
        ("D2394", "MOD"),
        ("D2140", "MO"),
        ("D2150", "MOD"),
        ("D2160", "MODB"),
        ("D2161", "MOD"),
        ("D2740", "O"),
        ("D3330", "MOD"),
    ],
)
def test_surface_count_must_match_the_code(code, surfaces):
    with pytest.raises(InvalidInput) as raised:
        validate_procedure(code, 19, surfaces)
    assert fields_of(raised.value) == ["surfaces"]


@pytest.mark.parametrize("surfaces", ["X", "MOO", "M O", 5, ["M"]])
def test_invalid_surface_strings(surfaces):
    with pytest.raises(InvalidInput) as raised:
        validate_procedure("D2391", 19, surfaces)
    assert fields_of(raised.value) == ["surfaces"]


def test_tooth_rules():
    assert validate_procedure("D1110", None, None) == (None, "")
    assert validate_procedure("D4341", None, "") == (None, "")
    assert validate_procedure("D4341", 3, "") == ("3", "")
    with pytest.raises(InvalidInput) as raised:
        validate_procedure("D1110", 3, "")
    assert fields_of(raised.value) == ["tooth"]
    with pytest.raises(InvalidInput) as raised:
        validate_procedure("D2740", None, "")
    assert fields_of(raised.value) == ["tooth"]
    with pytest.raises(InvalidInput) as raised:
        validate_procedure("D2740", "", "")
    assert fields_of(raised.value) == ["tooth"]


def test_codes_outside_the_catalog_take_an_optional_tooth_and_any_surfaces():
    assert validate_procedure("d2783", None, "") == (None, "")
    assert validate_procedure("D2783", "b", "lm") == ("B", "ML")
    with pytest.raises(InvalidInput) as raised:
        validate_procedure("D2783", None, "O")
    assert fields_of(raised.value) == ["surfaces"]


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(InvalidInput) as raised:
        validate_procedure("D2391", 40, "MOX")
    assert fields_of(raised.value) == ["tooth", "surfaces"]


def test_bad_code_is_reported_on_the_code_field():
    with pytest.raises(InvalidInput) as raised:
        validate_procedure("2391", 3, "O")
    assert fields_of(raised.value) == ["code"]


@settings(max_examples=100, deadline=None)
@given(letters=st.permutations("MODBIFL").flatmap(lambda order: st.integers(0, 7).map(lambda n: order[:n])),
       lower=st.booleans())
def test_any_distinct_surfaces_normalise_to_modbifl_order(letters, lower):
    text = "".join(letters)
    text = text.lower() if lower else text
    tooth, surfaces = validate_procedure("D2783", "K", text)
    assert tooth == "K"
    assert set(surfaces) == set(text.upper())
    assert surfaces == "".join(letter for letter in "MODBIFL" if letter in surfaces)
    assert validate_procedure("D2783", "K", surfaces) == ("K", surfaces)
