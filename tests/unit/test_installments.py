from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.installments import (
    MAX_APR_BPS,
    MAX_COUNT,
    Frequency,
    add_months,
    build_schedule,
    due_dates,
    level_payment,
    periodic_rate,
)
from shared.errors import InvalidInput, RuleViolation


def fields_of(error: InvalidInput) -> set[str]:
    return {detail["field"] for detail in error.details}


class TestWorkedExamples:
    def test_interest_free_plan_spreads_the_remainder_a_cent_at_a_time(self):
        schedule = build_schedule(110000, 10000, 12, "monthly", 0, date(2025, 3, 15))

        assert schedule.financed_cents == 100000
        assert schedule.installment_cents == 8333
        assert [i.amount_cents for i in schedule.installments] == [8334] * 4 + [8333] * 8
        assert schedule.interest_cents == 0
        assert schedule.total_cents == 100000
        assert schedule.periodic_rate == 0

    def test_monthly_apr_matches_the_standard_amortisation_payment(self):
        # $1,000.00 at 12.99% over 12 months: the textbook payment is $89.31.
        schedule = build_schedule(100000, 0, 12, Frequency.MONTHLY, 1299, date(2025, 1, 31))

        assert schedule.periodic_rate == Decimal("0.010825")
        assert schedule.installment_cents == 8931
        first = schedule.installments[0]
        assert (first.interest_cents, first.principal_cents) == (1083, 7848)  # 100000 * 0.010825 = 1082.5
        second = schedule.installments[1]
        assert second.interest_cents == 998  # (100000 - 7848) * 0.010825 = 997.55
        assert [i.amount_cents for i in schedule.installments[:11]] == [8931] * 11
        last = schedule.installments[-1]
        assert (last.amount_cents, last.principal_cents, last.interest_cents) == (8936, 8840, 96)
        assert schedule.interest_cents == 7177
        assert schedule.total_cents == 107177

    def test_biweekly_rate_is_apr_over_26(self):
        schedule = build_schedule(100000, 0, 26, "biweekly", 999, date(2025, 1, 6))

        assert schedule.periodic_rate == periodic_rate(999, 26)
        assert schedule.periodic_rate.quantize(Decimal("1e-12")) == Decimal("0.003842307692")
        assert schedule.installment_cents == 4049
        assert schedule.installments[-1].due_date == date(2025, 12, 22)
        assert sum(i.amount_cents for i in schedule.installments) == schedule.total_cents == 105269

    def test_a_single_installment_is_the_financed_amount_plus_one_period_of_interest(self):
        schedule = build_schedule(50000, 0, 1, "monthly", 1200, date(2025, 1, 1))

        assert [i.amount_cents for i in schedule.installments] == [50500]
        assert schedule.interest_cents == 500

    def test_to_dict_uses_iso_dates_and_a_string_rate(self):
        data = build_schedule(30000, 0, 3, "monthly", 1299, date(2025, 1, 31)).to_dict()

        assert data["frequency"] == "monthly"
        assert data["periodic_rate"] == "0.010825"
        assert [i["due_date"] for i in data["installments"]] == ["2025-01-31", "2025-02-28", "2025-03-31"]
        assert data["total_cents"] == sum(i["amount_cents"] for i in data["installments"])
        assert set(data) == {
            "financed_cents", "down_payment_cents", "count", "frequency", "apr_bps", "periodic_rate",
            "installment_cents", "interest_cents", "total_cents", "installments",
        }


class TestDueDates:
    def test_monthly_keeps_the_anchor_day_after_clamping(self):
        assert due_dates(date(2024, 1, 31), 4, "monthly") == [
            date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30),
        ]

    def test_monthly_clamps_february_in_a_common_year_and_crosses_years(self):
        assert due_dates(date(2024, 11, 30), 4, "monthly") == [
            date(2024, 11, 30), date(2024, 12, 30), date(2025, 1, 30), date(2025, 2, 28),
        ]

    def test_biweekly_adds_fourteen_days(self):
        assert due_dates(date(2024, 12, 25), 3, "biweekly") == [
            date(2024, 12, 25), date(2025, 1, 8), date(2025, 1, 22),
        ]

    def test_add_months_across_many_years(self):
        assert add_months(date(2024, 2, 29), 48) == date(2028, 2, 29)
        assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


class TestValidation:
    def test_every_bad_field_is_reported(self):
        with pytest.raises(InvalidInput) as caught:
            build_schedule(-1, -5, 0, "weekly", 3601, "2025-01-01")

        assert fields_of(caught.value) == {
            "patient_portion_cents", "down_payment_cents", "count", "frequency", "apr_bps", "first_due",
        }

    @pytest.mark.parametrize("count", [0, MAX_COUNT + 1, 1.5, True])
    def test_count_outside_range(self, count):
        with pytest.raises(InvalidInput) as caught:
            build_schedule(10000, 0, count, "monthly", 0, date(2025, 1, 1))
        assert fields_of(caught.value) == {"count"}

    def test_float_cents_are_rejected(self):
        with pytest.raises(InvalidInput) as caught:
            build_schedule(100.0, 0, 2, "monthly", 0, date(2025, 1, 1))
        assert fields_of(caught.value) == {"patient_portion_cents"}

    def test_down_payment_above_patient_portion(self):
        with pytest.raises(InvalidInput) as caught:
            build_schedule(10000, 10001, 2, "monthly", 0, date(2025, 1, 1))
        assert fields_of(caught.value) == {"down_payment_cents"}

    def test_a_datetime_is_not_a_due_date(self):
        with pytest.raises(InvalidInput) as caught:
            build_schedule(10000, 0, 2, "monthly", 0, datetime(2025, 1, 1, 9, 0))
        assert fields_of(caught.value) == {"first_due"}

    def test_apr_limits_are_inclusive(self):
        build_schedule(10000, 0, 2, "monthly", 0, date(2025, 1, 1))
        build_schedule(10000, 0, 2, "monthly", MAX_APR_BPS, date(2025, 1, 1))

    def test_nothing_to_finance(self):
        with pytest.raises(RuleViolation, match="nothing to finance"):
            build_schedule(10000, 10000, 6, "monthly", 0, date(2025, 1, 1))

    def test_installments_rounding_to_zero_cents_are_refused(self):
        with pytest.raises(RuleViolation, match="installments too small"):
            build_schedule(30, 0, 72, "monthly", 0, date(2025, 1, 1))

    def test_interest_free_installments_of_zero_cents_are_refused(self):
        with pytest.raises(RuleViolation, match="installments too small"):
            build_schedule(43, 0, 72, "monthly", 0, date(2025, 1, 1))

    def test_interest_free_cents_are_spread_not_piled_on_the_last(self):
        # 108 / 72 = 1.5: a level 2 cents would repay early; spread, it is 36 x 2 cents then 36 x 1 cent.
        amounts = [i.amount_cents for i in build_schedule(108, 0, 72, "monthly", 0, date(2025, 1, 1)).installments]
        assert amounts == [2] * 36 + [1] * 36


# At least $1.00 per installment: every realistic plan, and well clear of the amounts that cent rounding
# cannot express as a level plan (those are refused, see the tests above).
@st.composite
def plan_terms(draw):
    count = draw(st.integers(1, MAX_COUNT))
    financed = draw(st.integers(100 * count, 10_000_000))
    down = draw(st.integers(0, 2_000_000))
    frequency = draw(st.sampled_from(["monthly", "biweekly"]))
    apr = draw(st.one_of(st.just(0), st.integers(0, MAX_APR_BPS)))
    first = draw(st.dates(date(2000, 1, 1), date(2090, 12, 31)))
    return financed + down, down, count, frequency, apr, first


@settings(max_examples=200, deadline=None)
@given(plan_terms())
def test_schedule_invariants(terms):
    portion, down, count, frequency, apr, first = terms
    schedule = build_schedule(portion, down, count, frequency, apr, first)
    items = schedule.installments

    assert len(items) == count == schedule.count
    assert schedule.financed_cents == portion - down
    assert sum(i.amount_cents for i in items) == schedule.total_cents
    assert schedule.total_cents == schedule.financed_cents + schedule.interest_cents
    assert sum(i.principal_cents for i in items) == schedule.financed_cents
    assert sum(i.interest_cents for i in items) == schedule.interest_cents
    for item in items:
        for amount in (item.amount_cents, item.principal_cents, item.interest_cents):
            assert type(amount) is int and amount >= 0
        assert item.amount_cents == item.principal_cents + item.interest_cents
    if schedule.apr_bps:  # level payments, the last absorbs the remainder
        assert all(i.amount_cents == schedule.installment_cents for i in items[:-1])
    assert [i.number for i in items] == list(range(1, count + 1))
    assert all(a.due_date < b.due_date for a, b in zip(items, items[1:], strict=False))
    assert items[0].due_date == first


@settings(max_examples=200, deadline=None)
@given(plan_terms())
def test_interest_free_installments_are_level(terms):
    portion, down, count, frequency, _, first = terms
    schedule = build_schedule(portion, down, count, frequency, 0, first)
    amounts = [i.amount_cents for i in schedule.installments]

    assert schedule.interest_cents == 0
    # Issue 4: with APR 0 installments differ by at most one cent, and still sum exactly.
    assert max(amounts) - min(amounts) <= 1
    assert sum(amounts) == schedule.financed_cents
    assert abs(schedule.installment_cents - Decimal(schedule.financed_cents) / count) <= Decimal("0.5")


@settings(max_examples=200, deadline=None)
@given(plan_terms())
def test_regular_installment_is_the_rounded_level_payment(terms):
    portion, down, count, frequency, apr, first = terms
    schedule = build_schedule(portion, down, count, frequency, apr, first)
    exact = level_payment(schedule.financed_cents, schedule.periodic_rate, count)

    assert abs(schedule.installment_cents - exact) <= Decimal("0.5")
    # Each period's rounding (of the payment and of the interest) is at most one cent together, and that
    # drift compounds at r, so the last installment is within sum((1 + r)^k, k < count) of the regular.
    rate = schedule.periodic_rate
    bound = count if rate == 0 else ((1 + rate) ** count - 1) / rate
    assert abs(schedule.last_installment_cents - schedule.installment_cents) <= bound
