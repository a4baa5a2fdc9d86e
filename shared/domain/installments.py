"""In-house payment plan schedules (DESIGN.md section 2, "In-house payment plan").

How a schedule is computed, so that the figures quoted to a patient can be checked by hand:

1. financed = patient portion - down payment (integer cents).
2. periodic rate r = APR / 12 for monthly plans, APR / 26 for biweekly ones, where APR is given in basis
   points (1299 = 12.99%). r is an exact Decimal (computed at 50 significant digits).
3. The level payment is P * r / (1 - (1 + r)^-n), or P / n when r = 0, computed at 50 digits; the regular
   installment is that payment rounded half-up to whole cents.
4. The amortisation table is built period by period on the rounded amounts: starting from balance = P,
   each period's interest = round_half_up(balance * r), its principal = installment - interest, and the
   balance drops by that principal. The last installment clears the balance: its principal is whatever
   balance is left and its amount is that principal plus its own interest, so it absorbs every rounding
   remainder.
   At 0% APR there is no interest to amortise: the financed amount is split into equal installments and
   the leftover cents go one each to the first installments, so no two installments differ by more
   than a cent (issue 4's rule; DESIGN.md's "last one absorbs the remainder" would let the last differ
   by up to n/2 cents). `installment_cents` is then P / n rounded half-up, give or take that cent.
5. Total interest is the sum of the rounded per-period interest of that table, and the schedule sums
   exactly to financed + interest; the principal parts sum exactly to financed.

When the financed amount is so small against the number of installments that the rounded installment is
0 cents, or the rounded installments would repay the whole balance before the last one, the terms are
refused (RuleViolation): cent rounding cannot express them as a level plan.

Due dates: the first is given. Monthly plans keep a day of month, clamped to the end of shorter months
(Jan 31 -> Feb 28/29 -> Mar 31: the anchor day is kept, never the clamped one). The day kept is the first
due date's, or `month_day` when given: a first installment defaulted to "one month after Jan 31" falls on
Feb 28 and the next on Mar 31, not Mar 28. Biweekly plans add 14 days per installment.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import TypeGuard

from shared.domain.codec import JsonValue
from shared.errors import InvalidInput, RuleViolation
from shared.money import round_half_up

MIN_COUNT = 1
MAX_COUNT = 72
MAX_APR_BPS = 3600
_PRECISION = 50
_BPS_PER_UNIT = Decimal(10_000)


class Frequency(StrEnum):
    MONTHLY = "monthly"
    BIWEEKLY = "biweekly"

    @property
    def periods_per_year(self) -> int:
        return 12 if self is Frequency.MONTHLY else 26


@dataclass(frozen=True)
class Installment(JsonValue):
    number: int
    due_date: date
    amount_cents: int
    principal_cents: int
    interest_cents: int


@dataclass(frozen=True)
class Schedule(JsonValue):
    financed_cents: int
    down_payment_cents: int
    count: int
    frequency: Frequency
    apr_bps: int
    periodic_rate: Decimal
    installment_cents: int
    """The regular installment; the last one may differ by the rounding remainder."""
    interest_cents: int
    total_cents: int
    """financed + interest: what the installments add up to (the down payment is not included)."""
    installments: tuple[Installment, ...]

    @property
    def last_installment_cents(self) -> int:
        return self.installments[-1].amount_cents


def periodic_rate(apr_bps: int, periods_per_year: int) -> Decimal:
    """The rate per period as an exact-as-possible Decimal (APR / periods per year)."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return Decimal(apr_bps) / _BPS_PER_UNIT / Decimal(periods_per_year)


def level_payment(principal_cents: int, rate: Decimal, count: int) -> Decimal:
    """The unrounded level payment that amortises `principal_cents` over `count` periods at `rate`."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        principal = Decimal(principal_cents)
        if rate == 0:
            return principal / Decimal(count)
        return principal * rate / (1 - (1 + rate) ** -count)


def due_dates(first_due: date, count: int, frequency: Frequency | str, month_day: int | None = None) -> list[date]:
    """The `count` due dates starting at `first_due` (see the module docstring for month-end clamping)."""
    if Frequency(frequency) is Frequency.BIWEEKLY:
        return [first_due + timedelta(days=14 * k) for k in range(count)]
    return [first_due, *(add_months(first_due, k, month_day) for k in range(1, count))]


def add_months(anchor: date, months: int, month_day: int | None = None) -> date:
    """`anchor` moved by whole calendar months, keeping `month_day` (default the anchor's day) clamped to
    the target month's last day; the clamp is never carried (Jan 31 + 1 = Feb 28, Jan 31 + 2 = Mar 31)."""
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(month_day or anchor.day, calendar.monthrange(year, month)[1]))


def build_schedule(
    patient_portion_cents: int,
    down_payment_cents: int,
    count: int,
    frequency: Frequency | str,
    apr_bps: int,
    first_due: date,
    month_day: int | None = None,
) -> Schedule:
    """The installment schedule for financing the patient portion less the down payment in-house.

    Raises InvalidInput (with one detail per bad field) for malformed terms and RuleViolation when
    there is nothing to finance or the amount is too small for the number of installments.
    """
    freq = _validate(patient_portion_cents, down_payment_cents, count, frequency, apr_bps, first_due)
    if month_day is not None and (not _is_int(month_day) or not 1 <= month_day <= 31):
        raise InvalidInput("month_day must be 1-31", details=[{"field": "month_day", "message": "1-31"}])
    financed = patient_portion_cents - down_payment_cents
    if financed == 0:
        raise RuleViolation("nothing to finance: the down payment covers the whole patient portion")

    rate = periodic_rate(apr_bps, freq.periods_per_year)
    regular = round_half_up(level_payment(financed, rate, count))
    if regular < 1:
        raise RuleViolation(
            "installments too small: the financed amount rounds to 0 cents per installment; "
            "finance more or choose fewer installments"
        )
    parts = _spread(financed, count) if rate == 0 else _amortise(financed, rate, count, regular)
    installments = tuple(
        Installment(number, due, principal + interest, principal, interest)
        for number, (due, (principal, interest)) in enumerate(
            zip(due_dates(first_due, count, freq, month_day), parts, strict=True), start=1
        )
    )
    interest_total = sum(item.interest_cents for item in installments)
    return Schedule(
        financed_cents=financed,
        down_payment_cents=down_payment_cents,
        count=count,
        frequency=freq,
        apr_bps=apr_bps,
        periodic_rate=rate,
        installment_cents=regular,
        interest_cents=interest_total,
        total_cents=financed + interest_total,
        installments=installments,
    )


def _spread(financed: int, count: int) -> list[tuple[int, int]]:
    """At 0% APR: equal installments, the leftover cents one each on the first ones, so no two
    installments differ by more than a cent (issue 4) and the schedule still sums exactly."""
    base, extra = divmod(financed, count)
    if base == 0:
        raise RuleViolation("installments too small: some installments would be 0 cents; choose fewer installments")
    return [(base + (1 if number < extra else 0), 0) for number in range(count)]


def _amortise(financed: int, rate: Decimal, count: int, regular: int) -> list[tuple[int, int]]:
    """(principal, interest) per period on rounded cents; the last period clears the balance."""
    parts: list[tuple[int, int]] = []
    balance = financed
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        for number in range(1, count + 1):
            interest = round_half_up(Decimal(balance) * rate)
            if number == count:
                parts.append((balance, interest))
                break
            principal = regular - interest
            if principal >= balance:
                raise RuleViolation(
                    "installments too small: rounding to cents would repay the balance before the last "
                    "installment; finance more or choose fewer installments"
                )
            parts.append((principal, interest))
            balance -= principal
    return parts


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate(
    patient_portion_cents: object,
    down_payment_cents: object,
    count: object,
    frequency: object,
    apr_bps: object,
    first_due: object,
) -> Frequency:
    details: list[dict[str, str]] = []

    def bad(field: str, message: str) -> None:
        details.append({"field": field, "message": message})

    portion = patient_portion_cents if _is_int(patient_portion_cents) and patient_portion_cents >= 0 else None
    if portion is None:
        bad("patient_portion_cents", "must be integer cents >= 0")
    if not _is_int(down_payment_cents) or down_payment_cents < 0:
        bad("down_payment_cents", "must be integer cents >= 0")
    elif portion is not None and down_payment_cents > portion:
        bad("down_payment_cents", "must not exceed the patient portion")
    if not _is_int(count) or not MIN_COUNT <= count <= MAX_COUNT:
        bad("count", f"must be an integer from {MIN_COUNT} to {MAX_COUNT}")
    if not isinstance(frequency, str) or frequency not in {f.value for f in Frequency}:
        bad("frequency", "must be one of: " + ", ".join(f.value for f in Frequency))
    if not _is_int(apr_bps) or not 0 <= apr_bps <= MAX_APR_BPS:
        bad("apr_bps", f"must be an integer number of basis points from 0 to {MAX_APR_BPS}")
    # A datetime is a date subclass, but a due date carries no time of day.
    if not isinstance(first_due, date) or isinstance(first_due, datetime):
        bad("first_due", "must be a calendar date")
    if details:
        raise InvalidInput("invalid payment plan terms", details=details)
    return Frequency(frequency)


@dataclass(frozen=True)
class Terms(JsonValue):
    """The terms of an in-house payment plan as agreed (the schedule is built from them)."""

    down_payment_cents: int
    count: int
    frequency: Frequency
    apr_bps: int
    first_due: date


@dataclass(frozen=True)
class Signature(JsonValue):
    """The patient's signature on one version of the terms."""

    signer_name: str
    signed_at: datetime
    terms_version: int


@dataclass(frozen=True)
class VoidedSignature(Signature):
    """A signature on terms replaced since: it no longer covers the plan."""

    voided_at: datetime


@dataclass(frozen=True)
class PaymentPlan(JsonValue):
    """A treatment plan's in-house payment plan: its terms, their schedule, and the signature on them."""

    plan_id: str
    patient_id: str
    location_id: str
    quote_number: int | None
    step_ids: tuple[str, ...]
    patient_portion_cents: int
    terms: Terms
    schedule: Schedule
    terms_version: int
    created_at: datetime
    updated_at: datetime
    signature: Signature | None = None
    voided_signature: VoidedSignature | None = None
    version: int = 0

    @property
    def signed(self) -> bool:
        return self.signature is not None
