"""Payment options for a plan and the in-house payment plan a patient signs.

Policy: the location's effective settings (`payment_terms` and `financing_offers`, shared/services/settings.py:
group defaults, the location document's own `pay_in_full_discount_pct`, `in_house_terms` and
`financing_providers`, then the location's settings overrides); anything absent takes the defaults.

Portion: the patient and insurance portions of the payable steps from the covering quote
(`shared.services.ledger.portions`); a plan without a quote has no options (422).

In-house payment plan (one per treatment plan, stored beside the plan: see docs/DATA-MODEL.md): the terms,
the schedule built from them, a `terms_version` and the patient's `signature` on that terms version.
A POST with terms that give the same schedule as the stored one keeps it (and records `signer_name` if
given); any other POST replaces the terms, increments `terms_version` and clears the signature, because
a signature covers only the terms the patient saw (the voided one is kept as `voided_signature`).
The same POST may carry `signer_name` to sign the new terms at once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.auth import Principal
from shared.domain.codec import to_json
from shared.domain.installments import (
    Frequency,
    PaymentPlan,
    Signature,
    Terms,
    VoidedSignature,
    build_schedule,
)
from shared.domain.ledger import balances
from shared.domain.locations import Location
from shared.domain.payment_options import PaymentPolicy, first_due_date, pay_in_full, payment_options
from shared.domain.plans import Plan, PlanStatus, effective_status
from shared.errors import InvalidInput, RuleViolation
from shared.services import ledger, locations, plans, settings
from shared.store import payment_plans as store
from shared.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from shared.commands.payments import PaymentPlanIn


def view(payment_plan: PaymentPlan) -> dict[str, Any]:
    """An in-house payment plan as the API shows it, with its version."""
    return to_json(payment_plan)


def policy_of(org: str, location: Location) -> PaymentPolicy:
    """The location's payment terms and financing offers: its effective settings (shared/services/settings.py)."""
    return settings.effective_for(org, location).payment


def local_today(location: Location, now: datetime | None = None) -> date:
    """Today's date at the location (its IANA time zone, DST included)."""
    return clock.local_date(now or clock.now(), location.timezone)


def options(principal: Principal, plan_id: str) -> dict[str, Any]:
    """`GET /plans/{plan_id}/payment-options`: pay in full, in-house terms, financing, and the insurance
    estimate, for the payable steps' patient portion; with the current in-house payment plan if any."""
    plan = plans.load(principal, plan_id)
    location = locations.load(principal.org, plan.location_id)
    portion = ledger.portions(plan)
    current = store.load_payment_plan(principal.org, plan.id)
    body = payment_options(portion.patient_cents, portion.insurance_cents, policy_of(principal.org, location),
                           local_today(location), paid_cents=patient_paid_cents(principal.org, plan.id),
                           in_house_signed=in_house_signed(current))
    return {"plan_id": plan.id, "quote_number": portion.quote_number, "step_ids": list(portion.step_ids), **body,
            "payment_plan": view(current) if current else None}


def patient_paid_cents(org: str, plan_id: str) -> int:
    """What the patient has paid on the plan so far, net of refunds (from the ledger)."""
    so_far = balances(ledger.entries_of(org, plan_id))
    return so_far.paid_cents - so_far.refunded_cents


def in_house_signed(payment_plan: PaymentPlan | None) -> bool:
    return payment_plan is not None and payment_plan.signed


def pay_in_full_offer(org: str, plan: Plan, location: Location) -> dict[str, Any]:
    """The pay-in-full offer of a plan under the location's policy: a discount off the REMAINING patient
    balance (the patient portion less what the patient paid, net of refunds), and none while a signed
    in-house payment plan covers the plan (DESIGN "Pay in full"; docs/BENEFITS.md)."""
    remaining = max(0, ledger.portions(plan).patient_cents - patient_paid_cents(org, plan.id))
    signed = in_house_signed(store.load_payment_plan(org, plan.id))
    return pay_in_full(remaining, policy_of(org, location).pay_in_full_discount_pct, signed)


def put_payment_plan(principal: Principal, plan_id: str, command: PaymentPlanIn) -> tuple[PaymentPlan, bool]:
    """Create, replace or sign the plan's in-house payment plan: (the payment plan, created?)."""
    plan = plans.load(principal, plan_id)
    now = clock.to_millis(clock.now())
    if effective_status(plan, now) in (PlanStatus.EXPIRED, PlanStatus.DECLINED):
        raise RuleViolation(f"payment plan: the treatment plan is {effective_status(plan, now).value}")
    location = locations.load(principal.org, plan.location_id)
    portion = ledger.portions(plan)
    today = local_today(location, now)
    frequency = Frequency(command.frequency)
    # A defaulted first due date keeps today's day of month for every later installment (Jan 31 -> Feb 28
    # -> Mar 31); a first due date the caller chose keeps its own day.
    month_day = None if command.first_due else today.day
    first_due: date = command.first_due or first_due_date(today, frequency)
    if first_due < today:
        raise InvalidInput("the first installment cannot be due in the past",
                           [{"field": "first_due", "message": f"must be {today.isoformat()} or later"}])
    schedule = build_schedule(portion.patient_cents, command.down_payment_cents, command.count, frequency,
                              command.apr_bps, first_due, month_day)
    terms = Terms(command.down_payment_cents, command.count, frequency, command.apr_bps, first_due)
    current = store.load_payment_plan(principal.org, plan.id)
    signer = command.signer_name
    if current is not None and current.schedule == schedule and current.terms == terms:
        if signer is None or current.signed:
            return current, False
        updated = replace(current, signature=Signature(signer, now, current.terms_version), updated_at=now)
    else:
        terms_version = current.terms_version + 1 if current else 1
        updated = PaymentPlan(
            plan_id=plan.id, patient_id=plan.patient_id, location_id=plan.location_id,
            quote_number=portion.quote_number, step_ids=tuple(portion.step_ids),
            patient_portion_cents=portion.patient_cents, terms=terms, schedule=schedule, terms_version=terms_version,
            signature=Signature(signer, now, terms_version) if signer else None,
            voided_signature=_voided(current, now), created_at=current.created_at if current else now, updated_at=now)
    read_version = current.version if current else None
    updated = replace(updated, version=(read_version or 0) + 1)
    uow = UnitOfWork()
    store.put_payment_plan(uow, principal.org, updated, read_version)
    uow.commit()
    return updated, current is None


def _voided(current: PaymentPlan | None, now: datetime) -> VoidedSignature | None:
    """The signature new terms void (the current one, else the one voided before)."""
    if current is None:
        return None
    if current.signature is None:
        return current.voided_signature
    return VoidedSignature(**vars(current.signature), voided_at=now)
