"""What a patient can choose to pay a plan's patient portion with, under a location's payment policy.

Three kinds of option (DESIGN.md section 2):
- pay in full, less a discount percent of the patient portion;
- in-house payment plans, one per configured term, each built with `installments.build_schedule`: the
  down payment (a percent of the patient portion) is due today and the first installment one period
  later (one calendar month, or 14 days for biweekly terms);
- third-party financing offers, each with an estimated monthly payment on the whole patient portion,
  whether the amount meets the offer's minimum, and a label that says plainly when interest is deferred.

Percents in a policy are whole percents (int). The default providers and offers are illustrative: a
location configures the contracts it actually has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeGuard

from shared.domain.codec import JsonValue
from shared.domain.installments import (
    MAX_APR_BPS,
    MAX_COUNT,
    Frequency,
    add_months,
    build_schedule,
    level_payment,
    periodic_rate,
)
from shared.errors import InvalidInput, RuleViolation
from shared.money import percent_of, round_half_up

MAX_PERCENT = 99
MAX_FINANCING_MONTHS = 120
MAX_LIST_LENGTH = 12
MAX_TEXT_LENGTH = 100


@dataclass(frozen=True)
class InHouseTerm(JsonValue):
    count: int
    frequency: Frequency
    apr_bps: int
    down_payment_pct: int


@dataclass(frozen=True)
class FinancingOffer(JsonValue):
    months: int
    apr_bps: int
    """For a deferred-interest offer: the APR charged from the purchase date if not paid off in time."""
    deferred_interest: bool
    min_amount_cents: int


@dataclass(frozen=True)
class FinancingProvider(JsonValue):
    id: str
    name: str
    offers: tuple[FinancingOffer, ...]


DEFAULT_IN_HOUSE_TERMS: tuple[InHouseTerm, ...] = (
    InHouseTerm(6, Frequency.MONTHLY, 0, 20),
    InHouseTerm(12, Frequency.MONTHLY, 0, 20),
    InHouseTerm(24, Frequency.MONTHLY, 999, 10),
)

DEFAULT_FINANCING_PROVIDERS: tuple[FinancingProvider, ...] = (
    FinancingProvider(
        "carecredit",
        "CareCredit",
        (
            FinancingOffer(12, 2699, deferred_interest=True, min_amount_cents=20_000),
            FinancingOffer(60, 1790, deferred_interest=False, min_amount_cents=250_000),
        ),
    ),
    FinancingProvider(
        "sunbit", "Sunbit", (FinancingOffer(12, 999, deferred_interest=False, min_amount_cents=6_000),)
    ),
    FinancingProvider(
        "cherry",
        "Cherry",
        (
            FinancingOffer(6, 0, deferred_interest=False, min_amount_cents=20_000),
            FinancingOffer(24, 1999, deferred_interest=False, min_amount_cents=50_000),
        ),
    ),
)


@dataclass(frozen=True)
class PaymentPolicy(JsonValue):
    """A location's payment configuration; every field has the DESIGN.md default."""

    pay_in_full_discount_pct: int = 5
    in_house_terms: tuple[InHouseTerm, ...] = DEFAULT_IN_HOUSE_TERMS
    financing_providers: tuple[FinancingProvider, ...] = DEFAULT_FINANCING_PROVIDERS

    @classmethod
    def from_dict(cls, data: object) -> PaymentPolicy:
        """Parse stored or requested configuration; absent keys take the defaults.

        Raises InvalidInput with one detail per bad field (paths like `in_house_terms[1].count`).
        """
        return _PolicyParser().parse(data)


def pay_in_full(remaining_cents: int, discount_pct: int, in_house_signed: bool = False) -> dict[str, Any]:
    """The pay-in-full offer: `discount_pct` off the REMAINING patient balance (the patient portion less
    what the patient has paid, net of refunds), and none at all once the patient has signed an in-house
    payment plan for the treatment plan (its terms are what was agreed; paying it off early is a payment
    on that plan, not a discount)."""
    if in_house_signed:
        return {"available": False, "reason": "a signed in-house payment plan covers this balance",
                "discount_pct": discount_pct, "remaining_cents": remaining_cents, "discount_cents": 0,
                "amount_cents": remaining_cents}
    discount_cents = percent_of(remaining_cents, discount_pct)
    return {"available": discount_cents > 0, "discount_pct": discount_pct, "remaining_cents": remaining_cents,
            "discount_cents": discount_cents, "amount_cents": remaining_cents - discount_cents}


def payment_options(
    patient_portion_cents: int, insurance_cents: int, policy: PaymentPolicy, today: date, *,
    paid_cents: int = 0, in_house_signed: bool = False,
) -> dict[str, Any]:
    """Every payment option for a patient portion, as the payment-options response body. `paid_cents` is
    what the patient has paid on it so far (net of refunds): pay in full is offered on the rest.

    In-house terms that cannot be built (nothing left to finance after the down payment, or an amount
    too small for that many installments) are left out of `in_house`.
    """
    _validate_request(patient_portion_cents, insurance_cents, today)
    remaining = max(0, patient_portion_cents - paid_cents)
    return {
        "patient_portion_cents": patient_portion_cents,
        "insurance_estimate_cents": insurance_cents,
        "pay_in_full": pay_in_full(remaining, policy.pay_in_full_discount_pct, in_house_signed),
        "in_house": [
            option
            for term in policy.in_house_terms
            if (option := _in_house_option(patient_portion_cents, term, today)) is not None
        ],
        "financing": [
            _financing_option(patient_portion_cents, provider, offer)
            for provider in policy.financing_providers
            for offer in provider.offers
        ],
    }


def first_due_date(today: date, frequency: Frequency) -> date:
    """The first installment falls one period after today (the down payment is taken today)."""
    return add_months(today, 1) if frequency is Frequency.MONTHLY else today + timedelta(days=14)


def financing_label(offer: FinancingOffer) -> str:
    apr = format_apr(offer.apr_bps)
    if offer.deferred_interest:
        return (
            f"Deferred interest: if not paid in full in {offer.months} months, interest at {apr} APR "
            "is charged from the purchase date"
        )
    if offer.apr_bps == 0:
        return f"0% APR for {offer.months} months: no interest when paid as agreed"
    return f"{apr} APR fixed for {offer.months} months"


def format_apr(apr_bps: int) -> str:
    """1790 -> '17.90%'."""
    return f"{apr_bps // 100}.{apr_bps % 100:02d}%"


def _in_house_option(patient_portion_cents: int, term: InHouseTerm, today: date) -> dict[str, Any] | None:
    down_payment_cents = percent_of(patient_portion_cents, term.down_payment_pct)
    first_due = first_due_date(today, term.frequency)
    try:
        schedule = build_schedule(
            patient_portion_cents, down_payment_cents, term.count, term.frequency, term.apr_bps, first_due,
            month_day=today.day,
        )
    except RuleViolation:
        return None
    return {
        "count": term.count,
        "frequency": term.frequency.value,
        "apr_bps": term.apr_bps,
        "down_payment_pct": term.down_payment_pct,
        "down_payment_cents": down_payment_cents,
        "financed_cents": schedule.financed_cents,
        "installment_cents": schedule.installment_cents,
        "last_installment_cents": schedule.last_installment_cents,
        "interest_cents": schedule.interest_cents,
        "total_cost_cents": down_payment_cents + schedule.total_cents,
        "first_due_date": first_due.isoformat(),
    }


def _financing_option(amount_cents: int, provider: FinancingProvider, offer: FinancingOffer) -> dict[str, Any]:
    # Paid off within its promotional period, a deferred-interest offer costs no interest.
    rate = Decimal(0) if offer.deferred_interest else periodic_rate(offer.apr_bps, 12)
    monthly = level_payment(amount_cents, rate, offer.months)
    return {
        "provider_id": provider.id,
        "name": provider.name,
        "months": offer.months,
        "apr_bps": offer.apr_bps,
        "deferred_interest": offer.deferred_interest,
        "label": financing_label(offer),
        "estimated_monthly_cents": round_half_up(monthly),
        "min_amount_cents": offer.min_amount_cents,
        "eligible": amount_cents > 0 and amount_cents >= offer.min_amount_cents,
    }


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_request(patient_portion_cents: object, insurance_cents: object, today: object) -> None:
    details = []
    if not _is_int(patient_portion_cents) or patient_portion_cents < 0:
        details.append({"field": "patient_portion_cents", "message": "must be integer cents >= 0"})
    if not _is_int(insurance_cents) or insurance_cents < 0:
        details.append({"field": "insurance_cents", "message": "must be integer cents >= 0"})
    if not isinstance(today, date) or isinstance(today, datetime):
        details.append({"field": "today", "message": "must be a calendar date"})
    if details:
        raise InvalidInput("invalid payment options request", details=details)


class _PolicyParser:
    """Collects every problem in a policy document before raising, so one reply lists them all."""

    def __init__(self) -> None:
        self.details: list[dict[str, str]] = []

    def parse(self, data: object) -> PaymentPolicy:
        if data is None:
            return PaymentPolicy()
        fields = self._mapping(data, "payment_policy", set(PaymentPolicy.__dataclass_fields__))
        policy = PaymentPolicy()
        if fields is not None:
            discount = fields.get("pay_in_full_discount_pct", policy.pay_in_full_discount_pct)
            terms = self._items(fields, "in_house_terms", "in_house_terms", self._term)
            providers = self._items(fields, "financing_providers", "financing_providers", self._provider)
            ids = [provider.id for provider in providers or ()]
            if len(ids) != len(set(ids)):
                self._bad("financing_providers", "provider ids must be unique")
            policy = PaymentPolicy(
                pay_in_full_discount_pct=self._int(discount, "pay_in_full_discount_pct", 0, MAX_PERCENT),
                in_house_terms=policy.in_house_terms if terms is None else terms,
                financing_providers=policy.financing_providers if providers is None else providers,
            )
        if self.details:
            raise InvalidInput("invalid payment policy", details=self.details)
        return policy

    def _bad(self, field: str, message: str) -> None:
        self.details.append({"field": field, "message": message})

    def _mapping(self, data: object, path: str, allowed: set[str]) -> dict[str, Any] | None:
        if not isinstance(data, dict):
            self._bad(path, "must be an object")
            return None
        for key in sorted(set(data) - allowed, key=str):
            self._bad(f"{path}.{key}", "unknown field")
        return data

    def _items(self, fields: dict[str, Any], key: str, path: str, parse_one: Any) -> tuple[Any, ...] | None:
        """A list field parsed item by item; None when absent (the default applies)."""
        if key not in fields:
            return None
        values = fields[key]
        if not isinstance(values, list) or len(values) > MAX_LIST_LENGTH:
            self._bad(path, f"must be a list of at most {MAX_LIST_LENGTH} items")
            return ()
        return tuple(parse_one(value, f"{path}[{index}]") for index, value in enumerate(values))

    def _int(self, value: object, path: str, low: int, high: int) -> int:
        if not _is_int(value) or not low <= value <= high:
            self._bad(path, f"must be an integer from {low} to {high}")
            return low
        return value

    def _text(self, value: object, path: str) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT_LENGTH:
            self._bad(path, f"must be a non-empty string of at most {MAX_TEXT_LENGTH} characters")
            return ""
        return value

    def _term(self, data: object, path: str) -> InHouseTerm:
        fields = self._mapping(data, path, set(InHouseTerm.__dataclass_fields__))
        if fields is None:
            return DEFAULT_IN_HOUSE_TERMS[0]  # a placeholder: the parse fails with the reported problem
        frequency = fields.get("frequency")
        if frequency not in {f.value for f in Frequency}:
            self._bad(f"{path}.frequency", "must be one of: " + ", ".join(f.value for f in Frequency))
            frequency = Frequency.MONTHLY
        return InHouseTerm(
            count=self._int(fields.get("count"), f"{path}.count", 1, MAX_COUNT),
            frequency=Frequency(frequency),
            apr_bps=self._int(fields.get("apr_bps"), f"{path}.apr_bps", 0, MAX_APR_BPS),
            down_payment_pct=self._int(fields.get("down_payment_pct"), f"{path}.down_payment_pct", 0, MAX_PERCENT),
        )

    def _provider(self, data: object, path: str) -> FinancingProvider:
        fields = self._mapping(data, path, set(FinancingProvider.__dataclass_fields__))
        if fields is None:
            return DEFAULT_FINANCING_PROVIDERS[0]  # a placeholder: the parse fails with the reported problem
        offers = self._items(fields, "offers", f"{path}.offers", self._offer)
        if offers is None or fields["offers"] == []:
            self._bad(f"{path}.offers", f"must be a list of 1 to {MAX_LIST_LENGTH} offers")
        return FinancingProvider(
            id=self._text(fields.get("id"), f"{path}.id"),
            name=self._text(fields.get("name"), f"{path}.name"),
            offers=offers or (),
        )

    def _offer(self, data: object, path: str) -> FinancingOffer:
        fields = self._mapping(data, path, set(FinancingOffer.__dataclass_fields__))
        if fields is None:
            return DEFAULT_FINANCING_PROVIDERS[0].offers[0]  # a placeholder: the parse fails with the problem
        deferred = fields.get("deferred_interest", False)
        if not isinstance(deferred, bool):
            self._bad(f"{path}.deferred_interest", "must be true or false")
            deferred = False
        apr_bps = self._int(fields.get("apr_bps"), f"{path}.apr_bps", 0, MAX_APR_BPS)
        if deferred and apr_bps == 0 and _is_int(fields.get("apr_bps")):
            self._bad(f"{path}.apr_bps", "a deferred-interest offer must state the APR charged when it is not paid off")
        min_amount = fields.get("min_amount_cents", 0)
        if not _is_int(min_amount) or min_amount < 0:
            self._bad(f"{path}.min_amount_cents", "must be integer cents >= 0")
            min_amount = 0
        return FinancingOffer(
            months=self._int(fields.get("months"), f"{path}.months", 1, MAX_FINANCING_MONTHS),
            apr_bps=apr_bps,
            deferred_interest=deferred,
            min_amount_cents=min_amount,
        )
