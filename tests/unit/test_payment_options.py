from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.installments import Frequency, build_schedule
from shared.domain.payment_options import (
    DEFAULT_FINANCING_PROVIDERS,
    DEFAULT_IN_HOUSE_TERMS,
    FinancingOffer,
    FinancingProvider,
    InHouseTerm,
    PaymentPolicy,
    financing_label,
    first_due_date,
    format_apr,
    payment_options,
)
from shared.errors import InvalidInput

TODAY = date(2025, 1, 31)


def fields_of(error: InvalidInput) -> set[str]:
    return {detail["field"] for detail in error.details}


class TestPayInFull:
    def test_default_discount_is_five_percent(self):
        options = payment_options(123450, 40000, PaymentPolicy(), TODAY)

        assert options["pay_in_full"] == {"available": True, "discount_pct": 5, "remaining_cents": 123450,
                                          "discount_cents": 6173, "amount_cents": 117277}
        assert options["insurance_estimate_cents"] == 40000
        assert options["patient_portion_cents"] == 123450

    def test_configured_discount(self):
        options = payment_options(10000, 0, PaymentPolicy(pay_in_full_discount_pct=0), TODAY)
        assert options["pay_in_full"] == {"available": False, "discount_pct": 0, "remaining_cents": 10000,
                                          "discount_cents": 0, "amount_cents": 10000}

    def test_the_discount_is_on_the_remaining_balance_and_never_beside_a_signed_in_house_plan(self):
        """Portion 1,234.50, 300.00 already paid: 5% of 934.50 = 46.73 (half up), not 5% of 1,234.50."""
        options = payment_options(123450, 0, PaymentPolicy(), TODAY, paid_cents=30000)
        assert (options["pay_in_full"]["discount_cents"], options["pay_in_full"]["amount_cents"]) == (4673, 88777)
        signed = payment_options(123450, 0, PaymentPolicy(), TODAY, paid_cents=30000, in_house_signed=True)
        assert signed["pay_in_full"]["available"] is False and signed["pay_in_full"]["discount_cents"] == 0


class TestInHouse:
    def test_one_option_per_default_term_built_from_the_schedule(self):
        options = payment_options(300000, 0, PaymentPolicy(), TODAY)

        assert [(o["count"], o["frequency"], o["apr_bps"]) for o in options["in_house"]] == [
            (6, "monthly", 0), (12, "monthly", 0), (24, "monthly", 999),
        ]
        twelve = options["in_house"][1]
        assert twelve == {
            "count": 12,
            "frequency": "monthly",
            "apr_bps": 0,
            "down_payment_pct": 20,
            "down_payment_cents": 60000,
            "financed_cents": 240000,
            "installment_cents": 20000,
            "last_installment_cents": 20000,
            "interest_cents": 0,
            "total_cost_cents": 300000,
            "first_due_date": "2025-02-28",
        }

    def test_interest_bearing_term_matches_its_schedule(self):
        option = payment_options(300000, 0, PaymentPolicy(), TODAY)["in_house"][2]
        schedule = build_schedule(300000, 30000, 24, "monthly", 999, date(2025, 2, 28))

        assert option["down_payment_cents"] == 30000
        assert option["installment_cents"] == schedule.installment_cents == 12458
        assert option["interest_cents"] == schedule.interest_cents > 0
        assert option["total_cost_cents"] == 30000 + 270000 + schedule.interest_cents

    def test_first_installment_is_one_period_after_today(self):
        assert first_due_date(date(2024, 1, 31), Frequency.MONTHLY) == date(2024, 2, 29)
        assert first_due_date(date(2024, 12, 20), Frequency.BIWEEKLY) == date(2025, 1, 3)

    def test_terms_with_nothing_to_finance_are_left_out(self):
        policy = PaymentPolicy(in_house_terms=(InHouseTerm(6, Frequency.MONTHLY, 0, 20),))
        assert payment_options(0, 50000, policy, TODAY)["in_house"] == []

    def test_terms_too_small_for_their_count_are_left_out(self):
        policy = PaymentPolicy(
            in_house_terms=(InHouseTerm(3, Frequency.MONTHLY, 0, 0), InHouseTerm(72, Frequency.BIWEEKLY, 0, 0))
        )
        # 30 cents over 72 installments is under a cent each: refused, so that term is not offered.
        options = payment_options(30, 0, policy, TODAY)
        assert [o["count"] for o in options["in_house"]] == [3]


class TestFinancing:
    def test_every_default_offer_is_listed_with_eligibility(self):
        financing = payment_options(100000, 0, PaymentPolicy(), TODAY)["financing"]

        assert [(f["provider_id"], f["months"], f["eligible"]) for f in financing] == [
            ("carecredit", 12, True),
            ("carecredit", 60, False),  # under the $2,500 minimum
            ("sunbit", 12, True),
            ("cherry", 6, True),
            ("cherry", 24, True),
        ]

    def test_deferred_interest_is_labelled_and_estimated_without_interest(self):
        offer = payment_options(100000, 0, PaymentPolicy(), TODAY)["financing"][0]

        assert offer["deferred_interest"] is True
        assert offer["label"] == (
            "Deferred interest: if not paid in full in 12 months, interest at 26.99% APR is charged from the "
            "purchase date"
        )
        assert offer["estimated_monthly_cents"] == 8333

    def test_interest_bearing_offer_is_amortised_monthly(self):
        offer = payment_options(500000, 0, PaymentPolicy(), TODAY)["financing"][1]

        assert offer["apr_bps"] == 1790 and offer["eligible"] is True
        assert offer["label"] == "17.90% APR fixed for 60 months"
        assert offer["estimated_monthly_cents"] == 12670  # $5,000 at 17.90% over 60 months: $126.695...

    def test_zero_apr_label(self):
        assert financing_label(FinancingOffer(6, 0, False, 0)) == "0% APR for 6 months: no interest when paid as agreed"

    def test_nothing_owed_is_not_eligible(self):
        offers = payment_options(0, 0, PaymentPolicy(), TODAY)["financing"]
        assert not any(offer["eligible"] for offer in offers)
        assert all(offer["estimated_monthly_cents"] == 0 for offer in offers)

    def test_format_apr(self):
        assert [format_apr(bps) for bps in (0, 5, 999, 1790, 3600)] == ["0.00%", "0.05%", "9.99%", "17.90%", "36.00%"]


class TestRequestValidation:
    def test_bad_amounts_and_date(self):
        with pytest.raises(InvalidInput) as caught:
            payment_options(-1, 1.5, PaymentPolicy(), "2025-01-01")
        assert fields_of(caught.value) == {"patient_portion_cents", "insurance_cents", "today"}


class TestPolicyDocument:
    def test_defaults(self):
        policy = PaymentPolicy()
        assert policy.pay_in_full_discount_pct == 5
        assert policy.in_house_terms == DEFAULT_IN_HOUSE_TERMS
        assert policy.financing_providers == DEFAULT_FINANCING_PROVIDERS
        assert PaymentPolicy.from_dict({}) == PaymentPolicy.from_dict(None) == policy

    def test_round_trip(self):
        policy = PaymentPolicy(
            pay_in_full_discount_pct=3,
            in_house_terms=(InHouseTerm(26, Frequency.BIWEEKLY, 1299, 0),),
            financing_providers=(FinancingProvider("acme", "Acme Lending", (FinancingOffer(18, 2499, True, 100),)),),
        )
        assert PaymentPolicy.from_dict(policy.to_dict()) == policy
        assert PaymentPolicy.from_dict(PaymentPolicy().to_dict()) == PaymentPolicy()

    def test_partial_document_keeps_other_defaults(self):
        policy = PaymentPolicy.from_dict({"pay_in_full_discount_pct": 10})
        assert policy == PaymentPolicy(pay_in_full_discount_pct=10)

    def test_empty_lists_turn_options_off(self):
        policy = PaymentPolicy.from_dict({"in_house_terms": [], "financing_providers": []})
        options = payment_options(100000, 0, policy, TODAY)
        assert options["in_house"] == [] and options["financing"] == []

    def test_every_problem_is_reported_with_its_path(self):
        document = {
            "pay_in_full_discount_pct": 100,
            "in_house_terms": [
                {"count": 6, "frequency": "monthly", "apr_bps": 0, "down_payment_pct": 20},
                {"count": 73, "frequency": "weekly", "apr_bps": -1, "down_payment_pct": "20", "extra": 1},
            ],
            "financing_providers": [
                {"id": "x", "name": "X", "offers": [{"months": 0, "apr_bps": 0, "deferred_interest": True}]},
                {"id": "x", "name": "", "offers": []},
            ],
            "colour": "blue",
        }
        with pytest.raises(InvalidInput) as caught:
            PaymentPolicy.from_dict(document)

        assert fields_of(caught.value) == {
            "pay_in_full_discount_pct",
            "in_house_terms[1].count",
            "in_house_terms[1].frequency",
            "in_house_terms[1].apr_bps",
            "in_house_terms[1].down_payment_pct",
            "in_house_terms[1].extra",
            "financing_providers[0].offers[0].months",
            "financing_providers[0].offers[0].apr_bps",
            "financing_providers[1].name",
            "financing_providers[1].offers",
            "financing_providers",
            "payment_policy.colour",
        }

    @pytest.mark.parametrize(
        ("document", "field"),
        [
            ([], "payment_policy"),
            ("policy", "payment_policy"),
            ({"in_house_terms": {"count": 6}}, "in_house_terms"),
            ({"in_house_terms": [1]}, "in_house_terms[0]"),
            ({"financing_providers": [None]}, "financing_providers[0]"),
            ({"financing_providers": [{"id": "p", "name": "P"}]}, "financing_providers[0].offers"),
            ({"financing_providers": [{"id": "p", "name": "P", "offers": 3}]}, "financing_providers[0].offers"),
            ({"financing_providers": [{"id": "p", "name": "P", "offers": ["o"]}]}, "financing_providers[0].offers[0]"),
        ],
    )
    def test_wrong_shapes_are_reported_once(self, document, field):
        with pytest.raises(InvalidInput) as caught:
            PaymentPolicy.from_dict(document)
        assert [detail["field"] for detail in caught.value.details] == [field]

    def test_offer_defaults_and_bad_types(self):
        provider = {"id": "p", "name": "P", "offers": [{"months": 12, "apr_bps": 0}]}
        policy = PaymentPolicy.from_dict({"financing_providers": [provider]})
        assert policy.financing_providers[0].offers == (FinancingOffer(12, 0, False, 0),)

        provider["offers"] = [{"months": 12, "apr_bps": 0, "deferred_interest": "yes", "min_amount_cents": 1.0}]
        with pytest.raises(InvalidInput) as caught:
            PaymentPolicy.from_dict({"financing_providers": [provider]})
        assert fields_of(caught.value) == {
            "financing_providers[0].offers[0].deferred_interest",
            "financing_providers[0].offers[0].min_amount_cents",
        }


@settings(max_examples=150, deadline=None)
@given(
    portion=st.integers(0, 5_000_000),
    insurance=st.integers(0, 5_000_000),
    today=st.dates(date(2000, 1, 1), date(2090, 12, 31)),
)
def test_options_are_integer_cents_and_consistent(portion, insurance, today):
    options = payment_options(portion, insurance, PaymentPolicy(), today)

    full = options["pay_in_full"]
    assert full["amount_cents"] + full["discount_cents"] == portion
    for option in options["in_house"]:
        assert option["down_payment_cents"] + option["financed_cents"] == portion
        assert option["total_cost_cents"] == portion + option["interest_cents"]
        assert date.fromisoformat(option["first_due_date"]) > today
    for offer in options["financing"]:
        assert offer["eligible"] == (portion > 0 and portion >= offer["min_amount_cents"])
    every_option = [full, *options["in_house"], *options["financing"]]
    cents = [value for option in every_option for key, value in option.items() if key.endswith("_cents")]
    assert all(type(value) is int and value >= 0 for value in cents)
