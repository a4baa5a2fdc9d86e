import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.ledger import (
    AdjustmentType,
    EntryKind,
    LedgerEntry,
    Party,
    balances,
    charge_entries,
    check_refund,
    refundable_cents,
)
from shared.errors import InvalidInput, RuleViolation

AT = "2025-03-01T15:00:00Z"


def fields_of(error: InvalidInput) -> set[str]:
    return {detail["field"] for detail in error.details}


def payment(entry_id, cents, payment_id):
    return LedgerEntry(entry_id, EntryKind.PAYMENT, cents, Party.PATIENT, AT, payment_id=payment_id)


def refund(entry_id, cents, payment_id):
    return LedgerEntry(entry_id, EntryKind.REFUND, cents, Party.PATIENT, AT, payment_id=payment_id, refund_id="ref_1")


def adjustment(entry_id, cents, party, subtype):
    return LedgerEntry(entry_id, EntryKind.ADJUSTMENT, cents, party, AT, subtype)


class TestWorkedExample:
    def test_a_plan_from_completion_to_shortfall(self):
        # Crown: fee $1,200 = $200 PPO write-off + $500 insurance + $500 patient.
        crown = charge_entries("stp_crown", 120000, 20000, 50000, 50000, created_at=AT, plan_id="pln_1")
        # Filling: fee $200 = $160 insurance + $40 patient, no write-off.
        filling = charge_entries("stp_filling", 20000, 0, 16000, 4000, created_at=AT, plan_id="pln_1")
        entries = [*crown, *filling]
        after_charges = balances(entries)
        assert (after_charges.patient_balance_cents, after_charges.insurance_balance_cents) == (54000, 66000)
        assert after_charges.charged_cents == 140000
        assert after_charges.writeoff_cents == after_charges.adjusted_cents == 20000

        entries.append(payment("led_p1", 30000, "pay_1"))  # the patient pays $300 of $540
        assert balances(entries).patient_balance_cents == 24000

        entries.append(refund("led_r1", 5000, "pay_1"))  # $50 of it goes back
        assert balances(entries).patient_balance_cents == 29000

        # The insurer pays $600 of the $660 expected; the $60 it did not pay moves to the patient.
        entries.append(LedgerEntry("led_i1", EntryKind.INSURANCE_PAYMENT, 60000, Party.INSURANCE, AT, claim_id="clm_1"))
        assert balances(entries).insurance_balance_cents == 6000
        entries.append(adjustment("led_s1", 6000, Party.PATIENT, AdjustmentType.INSURANCE_SHORTFALL))

        # A $10 courtesy adjustment for the patient.
        entries.append(adjustment("led_o1", 1000, Party.PATIENT, AdjustmentType.OTHER))

        result = balances(entries)
        assert result.to_dict() == {
            "patient_balance_cents": 34000,  # 54000 - 30000 + 5000 + 6000 - 1000
            "insurance_balance_cents": 0,  # 66000 - 60000 - 6000
            "charged_cents": 140000,
            "paid_cents": 30000,
            "refunded_cents": 5000,
            "insurance_paid_cents": 60000,
            "adjusted_cents": 21000,
            "writeoff_cents": 20000,
            "discount_cents": 0,
            "shortfall_cents": 6000,
            "total_balance_cents": 34000,  # 140000 - 20000 - 1000 - 30000 + 5000 - 60000
        }

    def test_pay_in_full_discount_lowers_the_patient_balance(self):
        entries = [
            *charge_entries("stp_1", 100000, 0, 0, 100000, created_at=AT),
            adjustment("led_d", 5000, Party.PATIENT, AdjustmentType.DISCOUNT),
            payment("led_p", 95000, "pay_1"),
        ]
        result = balances(entries)
        assert result.patient_balance_cents == result.total_balance_cents == 0
        assert result.discount_cents == 5000

    def test_an_empty_ledger_owes_nothing(self):
        assert set(balances([]).to_dict().values()) == {0}

    def test_an_overpaying_insurer_leaves_a_credit(self):
        entries = [
            *charge_entries("stp_1", 10000, 0, 8000, 2000, created_at=AT),
            LedgerEntry("led_i", EntryKind.INSURANCE_PAYMENT, 9000, Party.INSURANCE, AT),
        ]
        assert balances(entries).insurance_balance_cents == -1000


class TestChargeEntries:
    def test_the_charges_add_up_to_the_fee_and_the_writeoff_brings_insurance_to_its_estimate(self):
        entries = charge_entries("stp_1", 120000, 20000, 50000, 50000, created_at=AT, plan_id="pln_1", step_id="stp_1")

        assert [(e.id, e.kind, e.party, e.amount_cents, e.subtype) for e in entries] == [
            ("led_stp_1_patient", EntryKind.CHARGE, Party.PATIENT, 50000, None),
            ("led_stp_1_insurance", EntryKind.CHARGE, Party.INSURANCE, 70000, None),
            ("led_stp_1_writeoff", EntryKind.ADJUSTMENT, Party.INSURANCE, 20000, AdjustmentType.WRITEOFF),
        ]
        assert all(e.plan_id == "pln_1" and e.step_id == "stp_1" and e.created_at == AT for e in entries)

    def test_zero_parts_post_nothing(self):
        assert [e.id for e in charge_entries("stp_1", 5000, 0, 0, 5000, created_at=AT)] == ["led_stp_1_patient"]
        assert charge_entries("stp_1", 0, 0, 0, 0, created_at=AT) == []

    def test_the_same_completion_gives_the_same_ids(self):
        first = charge_entries("stp_1", 100, 10, 50, 40, created_at=AT)
        again = charge_entries("stp_1", 100, 10, 50, 40, created_at="2025-03-02T00:00:00Z")
        assert [e.id for e in first] == [e.id for e in again]

    def test_parts_must_sum_to_the_fee(self):
        with pytest.raises(InvalidInput) as caught:
            charge_entries("stp_1", 100, 10, 50, 41, created_at=AT)
        assert fields_of(caught.value) == {"fee_cents"}

    def test_bad_parts(self):
        with pytest.raises(InvalidInput) as caught:
            charge_entries("", -1, 1.5, True, 0, created_at=AT)
        assert fields_of(caught.value) == {"source_id", "fee_cents", "writeoff_cents", "insurance_cents"}


class TestEntryValidation:
    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"amount_cents": 0}, "amount_cents"),
            ({"amount_cents": -5}, "amount_cents"),
            ({"amount_cents": 5.0}, "amount_cents"),
            ({"kind": "gift"}, "kind"),
            ({"party": "clinic"}, "party"),
            ({"id": ""}, "id"),
            ({"created_at": "2025-03-01T15:00:00"}, "created_at"),  # no offset: not an instant
            ({"created_at": "yesterday"}, "created_at"),
            ({"party": "insurance"}, "party"),  # a patient payment
            ({"payment_id": None}, "payment_id"),
            ({"subtype": "discount"}, "subtype"),
            ({"claim_id": ""}, "claim_id"),
            ({"memo": "x" * 501}, "memo"),
        ],
    )
    def test_a_bad_payment_entry(self, changes, field):
        data = {"id": "led_1", "kind": "payment", "amount_cents": 100, "party": "patient", "created_at": AT,
                "payment_id": "pay_1"} | changes
        with pytest.raises(InvalidInput) as caught:
            LedgerEntry(**data)
        assert fields_of(caught.value) == {field}

    def test_adjustments_need_a_subtype(self):
        with pytest.raises(InvalidInput) as caught:
            LedgerEntry("led_1", EntryKind.ADJUSTMENT, 100, Party.PATIENT, AT)
        assert fields_of(caught.value) == {"subtype"}

    def test_a_shortfall_moves_to_the_patient(self):
        with pytest.raises(InvalidInput) as caught:
            adjustment("led_1", 100, Party.INSURANCE, AdjustmentType.INSURANCE_SHORTFALL)
        assert fields_of(caught.value) == {"party"}

    def test_insurance_payments_belong_to_insurance_and_refunds_name_their_payment(self):
        with pytest.raises(InvalidInput):
            LedgerEntry("led_1", EntryKind.INSURANCE_PAYMENT, 100, Party.PATIENT, AT)
        with pytest.raises(InvalidInput):
            LedgerEntry("led_1", EntryKind.REFUND, 100, Party.PATIENT, AT)

    def test_round_trip_through_a_dict_with_string_values(self):
        entry = LedgerEntry("led_1", "adjustment", 250, "insurance", "2025-03-01T15:00:00+00:00", "writeoff",
                            plan_id="pln_1", claim_id="clm_1", memo="PPO contract")
        assert entry.kind is EntryKind.ADJUSTMENT and entry.subtype is AdjustmentType.WRITEOFF
        data = entry.to_dict()
        assert data["kind"] == "adjustment" and data["party"] == "insurance" and data["subtype"] == "writeoff"
        assert LedgerEntry.from_dict(data) == entry

    def test_from_dict_reports_unknown_and_missing_fields(self):
        with pytest.raises(InvalidInput) as caught:
            LedgerEntry.from_dict({"id": "led_1", "patient_name": "x"})
        assert fields_of(caught.value) == {"patient_name"}
        with pytest.raises(InvalidInput) as caught:
            LedgerEntry.from_dict({"id": "led_1"})
        assert fields_of(caught.value) == {"kind", "amount_cents", "party", "created_at"}


class TestRefunds:
    def test_refundable_is_what_is_left(self):
        assert refundable_cents(10000, 0) == 10000
        assert refundable_cents(10000, 2500) == 7500
        assert refundable_cents(10000, 10000) == 0

    def test_a_refund_may_take_exactly_what_is_left(self):
        assert check_refund(10000, 2500, 7500) == 0
        assert check_refund(10000, 0, 1) == 9999

    def test_a_refund_may_not_exceed_what_is_left(self):
        with pytest.raises(RuleViolation, match="refund exceeds what is left of the payment"):
            check_refund(10000, 2500, 7501)
        with pytest.raises(RuleViolation):
            check_refund(10000, 10000, 1)

    @pytest.mark.parametrize("amount", [0, -1, 1.5, True, None])
    def test_a_refund_is_positive_integer_cents(self, amount):
        with pytest.raises(InvalidInput) as caught:
            check_refund(10000, 0, amount)
        assert fields_of(caught.value) == {"amount_cents"}

    def test_inconsistent_payment_figures(self):
        with pytest.raises(InvalidInput) as caught:
            refundable_cents(10000, 10001)
        assert fields_of(caught.value) == {"refunded_cents"}
        with pytest.raises(InvalidInput) as caught:
            refundable_cents(0, -1)
        assert fields_of(caught.value) == {"payment_amount_cents", "refunded_cents"}


KIND_PARTY_SUBTYPE = [
    (EntryKind.CHARGE, Party.PATIENT, None),
    (EntryKind.CHARGE, Party.INSURANCE, None),
    (EntryKind.PAYMENT, Party.PATIENT, None),
    (EntryKind.REFUND, Party.PATIENT, None),
    (EntryKind.INSURANCE_PAYMENT, Party.INSURANCE, None),
    *[(EntryKind.ADJUSTMENT, party, subtype) for party in Party
      for subtype in (AdjustmentType.WRITEOFF, AdjustmentType.DISCOUNT, AdjustmentType.OTHER)],
    (EntryKind.ADJUSTMENT, Party.PATIENT, AdjustmentType.INSURANCE_SHORTFALL),
]


@st.composite
def ledger_entries(draw):
    shapes = draw(st.lists(st.tuples(st.sampled_from(KIND_PARTY_SUBTYPE), st.integers(1, 1_000_000)), max_size=40))
    return [
        LedgerEntry(f"led_{n}", kind, amount, party, AT, subtype, payment_id="pay_1")
        if kind in (EntryKind.PAYMENT, EntryKind.REFUND)
        else LedgerEntry(f"led_{n}", kind, amount, party, AT, subtype)
        for n, ((kind, party, subtype), amount) in enumerate(shapes)
    ]


def total(entries, kind, subtype=None, party=None):
    return sum(e.amount_cents for e in entries
               if e.kind is kind and e.subtype is subtype and (party is None or e.party is party))


@settings(max_examples=200, deadline=None)
@given(ledger_entries())
def test_balances_follow_the_sign_rules(entries):
    result = balances(entries)
    charges = total(entries, EntryKind.CHARGE)
    writeoffs = total(entries, EntryKind.ADJUSTMENT, AdjustmentType.WRITEOFF)
    discounts = total(entries, EntryKind.ADJUSTMENT, AdjustmentType.DISCOUNT)
    others = total(entries, EntryKind.ADJUSTMENT, AdjustmentType.OTHER)
    payments = total(entries, EntryKind.PAYMENT)
    refunds = total(entries, EntryKind.REFUND)
    insurance_payments = total(entries, EntryKind.INSURANCE_PAYMENT)
    shortfalls = total(entries, EntryKind.ADJUSTMENT, AdjustmentType.INSURANCE_SHORTFALL)

    assert result.total_balance_cents == (
        charges - writeoffs - discounts - others - payments + refunds - insurance_payments
    )
    assert result.total_balance_cents == result.patient_balance_cents + result.insurance_balance_cents
    reductions = {
        party: sum(total(entries, EntryKind.ADJUSTMENT, subtype, party)
                   for subtype in (AdjustmentType.WRITEOFF, AdjustmentType.DISCOUNT, AdjustmentType.OTHER))
        for party in Party
    }
    assert result.patient_balance_cents == (
        total(entries, EntryKind.CHARGE, party=Party.PATIENT) - payments + refunds + shortfalls
        - reductions[Party.PATIENT]
    )
    assert result.insurance_balance_cents == (
        total(entries, EntryKind.CHARGE, party=Party.INSURANCE) - insurance_payments - shortfalls
        - reductions[Party.INSURANCE]
    )
    assert (result.charged_cents, result.paid_cents, result.refunded_cents, result.insurance_paid_cents) == (
        charges, payments, refunds, insurance_payments
    )
    assert result.adjusted_cents == writeoffs + discounts + others
    assert result.shortfall_cents == shortfalls
    assert balances(reversed(entries)) == result


@st.composite
def fee_splits(draw):
    writeoff, insurance, patient = (draw(st.integers(0, 5_000_000)) for _ in range(3))
    return writeoff + insurance + patient, writeoff, insurance, patient


@settings(max_examples=200, deadline=None)
@given(fee_splits())
def test_charge_entries_always_sum_to_the_fee(split):
    fee, writeoff, insurance, patient = split
    entries = charge_entries("stp_x", fee, writeoff, insurance, patient, created_at=AT)
    result = balances(entries)

    assert sum(e.amount_cents for e in entries if e.kind is EntryKind.CHARGE) == fee
    assert result.charged_cents - result.writeoff_cents == fee - writeoff
    assert (result.patient_balance_cents, result.insurance_balance_cents) == (patient, insurance)
    assert all(e.amount_cents > 0 for e in entries)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 1_000_000), st.lists(st.integers(1, 400_000), max_size=10))
def test_refunds_never_exceed_their_payment(amount, requests):
    refunded = 0
    for request in requests:
        try:
            left = check_refund(amount, refunded, request)
        except RuleViolation:
            assert request > amount - refunded
            continue
        refunded += request
        assert left == amount - refunded >= 0
    assert refunded <= amount
