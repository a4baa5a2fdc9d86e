"""Payments and refunds: recorded (we never process cards), idempotent, each with its ledger entry.

`POST /payments` and `POST /payments/{id}/refunds` run under an Idempotency-Key
(`shared.store.idempotency`): the payment (or refund), its ledger entry and the key's completion are
ONE TransactWriteItems, so there is never a payment without its ledger entry, and a key is completed
only together with what it created.

A refund rewrites the payment conditionally on the version read and on refunded + refund <= amount, in
the same transaction as the refund and its ledger entry: concurrent refunds of one payment serialise on
the payment's version; a refund that lost the race reads the payment again and retries (a few times),
so it fails only if the payment has too little left (422) or the contention does not settle (409).

Payments from a financing provider or an insurer are recorded by their financing application or claim
(`shared.services.financing`), through `posting_writes` below; insurer payments cannot be refunded here.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.auth import Principal
from shared.domain.codec import to_json
from shared.domain.ledger import AdjustmentType, EntryKind, LedgerEntry, Party, balances
from shared.domain.payments import Payment, PaymentMethod, PaymentStatus, Refund
from shared.domain.plans import Plan
from shared.errors import Conflict, InvalidInput, RuleViolation
from shared.ids import new_id
from shared.services import kpis, ledger, locations, patients, payment_plans, plans
from shared.services.documents import without_nulls
from shared.services.visibility import Kind, get_visible, may_see, visible
from shared.store import idempotency
from shared.store import payments as store
from shared.store.idempotency import Claim, Outcome, StoredResponse
from shared.store.unit_of_work import Contention, UnitOfWork

if TYPE_CHECKING:
    from shared.commands.payments import PaymentCreate, RefundCreate

REFUND_ATTEMPTS = 8


class _PaymentChanged(Conflict):
    """The payment moved on between our read and our write (another refund): read it again."""


# --- views ------------------------------------------------------------------------------------------


def _shown(money: Payment | Refund) -> dict[str, Any]:
    """Its empty optional fields left out, but for `reference`, which the bodies always carry (null)."""
    return {**without_nulls(to_json(money)), "reference": money.reference}


def view(payment: Payment) -> dict[str, Any]:
    """A payment as the API shows it, with its version (fields it does not have are left out)."""
    return _shown(payment)


def refund_view(refund: Refund, payment: Payment | None = None) -> dict[str, Any]:
    """A refund as the API shows it; with the payment as it stands after it, when the refund is new."""
    body = _shown(refund)
    return body if payment is None else {**body, "payment": view(payment)}


def detail_view(payment: Payment, refunds: Iterable[Refund]) -> dict[str, Any]:
    return {**view(payment), "refunds": [refund_view(refund) for refund in refunds]}


# --- payments ---------------------------------------------------------------------------------------


def load(principal: Principal, payment_id: str, consistent: bool = False) -> Payment:
    """The payment if it is in the caller's group and a location the caller may see; 404 otherwise."""
    return get_visible(principal, Kind.PAYMENT, payment_id, consistent=consistent)


def new_payment(plan: Plan, *, amount_cents: int, method: PaymentMethod, reference: str | None, created_by: str,
                note: str = "", **extra: Any) -> Payment:
    """A new payment (the DESIGN.md section 3 shape plus who recorded it and where), version 1."""
    return Payment(id=new_id("pay"), plan_id=plan.id, patient_id=plan.patient_id, location_id=plan.location_id,
                   amount_cents=amount_cents, method=method, status=PaymentStatus.COMPLETED, refunded_cents=0,
                   created_at=clock.to_millis(clock.now()), created_by=created_by, reference=reference, note=note,
                   version=1, **extra)


def collected(org: str, money: Payment | Refund) -> Callable[[UnitOfWork], None]:
    """The KPI counter of money received (a payment) or given back (a refund) on the location's local
    date, for the transaction that records it: collections count exactly what the ledger holds."""
    timezone = locations.load(org, money.location_id).timezone
    day = clock.local_date(clock.now(), timezone)
    add = kpis.add_payment if isinstance(money, Payment) else kpis.add_refund
    return lambda uow: add(uow, org, money.location_id, day, money.amount_cents)


def post_payment(uow: UnitOfWork, org: str, payment: Payment, entry: LedgerEntry) -> None:
    """A new payment and its ledger entry, in one unit of work (a duplicate entry id refuses both)."""
    store.add_payment(uow, org, payment)
    ledger.post_entry(uow, org, payment.plan_id, entry)


def create(principal: Principal, key: str, command: PaymentCreate) -> Outcome:
    """`POST /payments`: record a payment taken elsewhere, once per Idempotency-Key."""
    fingerprint = idempotency.fingerprint("POST /payments", {}, command.model_dump(mode="json"))

    def work(claim: Claim) -> StoredResponse:
        plan = plans.load(principal, command.plan_id)
        payment = new_payment(plan, amount_cents=command.amount_cents, method=PaymentMethod(command.method),
                              reference=command.reference, created_by=principal.sub,
                              pay_in_full=command.pay_in_full, discount_cents=0, note=command.note)
        entry = LedgerEntry(f"led_{payment.id}_payment", EntryKind.PAYMENT, payment.amount_cents,
                            Party.PATIENT, clock.iso(payment.created_at), plan_id=plan.id, payment_id=payment.id)
        discount = _pay_in_full_discount(principal.org, plan, payment) if command.pay_in_full else None
        if discount is not None:
            payment = replace(payment, discount_cents=discount.amount_cents)
        uow = UnitOfWork(client_request_token=claim.token)
        post_payment(uow, principal.org, payment, entry)
        if discount is not None:
            ledger.post_entry(uow, principal.org, plan.id, discount, on_fail=lambda: RuleViolation(
                "pay in full: this plan's pay-in-full discount was already given"))
        body = view(payment)
        idempotency.complete(uow, claim, 201, body, location_id=plan.location_id)
        collected(principal.org, payment)(uow)
        uow.commit()
        return StoredResponse(201, body)

    return idempotency.run(principal.org, key, fingerprint, work, visible=lambda loc: may_see(principal, loc))


def _pay_in_full_discount(org: str, plan: Plan, payment: Payment) -> LedgerEntry:
    """The discount adjustment of a pay-in-full payment, which must settle the remaining patient balance
    less its discount; refused while a signed in-house payment plan covers the plan."""
    location = locations.load(org, plan.location_id)
    if balances(ledger.entries_of(org, plan.id)).discount_cents:
        raise RuleViolation("pay in full: this plan's pay-in-full discount was already given")
    offer = payment_plans.pay_in_full_offer(org, plan, location)
    if not offer["available"]:
        raise RuleViolation("pay in full: not offered here: " + offer.get("reason", "no discount to give"))
    if payment.amount_cents != offer["amount_cents"]:
        raise RuleViolation(f"pay in full: the payment must be the discounted balance of {offer['amount_cents']} "
                            f"cents (discount {offer['discount_cents']} cents)")
    return LedgerEntry(f"led_{plan.id}_pay_in_full_discount", EntryKind.ADJUSTMENT, offer["discount_cents"],
                       Party.PATIENT, clock.iso(payment.created_at), AdjustmentType.DISCOUNT, plan_id=plan.id,
                       payment_id=payment.id, memo="pay-in-full discount")


# --- refunds ----------------------------------------------------------------------------------------


def refund(principal: Principal, payment_id: str, key: str, command: RefundCreate) -> Outcome:
    """`POST /payments/{payment_id}/refunds`: give back part or all of what is left of a payment."""
    fingerprint = idempotency.fingerprint("POST /payments/{payment_id}/refunds", {"payment_id": payment_id},
                                          command.model_dump(mode="json"))

    def work(claim: Claim) -> StoredResponse:
        for attempt in range(REFUND_ATTEMPTS):
            payment = load(principal, payment_id, consistent=True)
            try:
                return _refund_once(principal.org, principal.sub, payment, command, claim, attempt)
            except (_PaymentChanged, Contention):
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))  # noqa: S311 - jitter, not security
        raise Conflict("refunds: the payment is being changed by other requests; retry")

    return idempotency.run(principal.org, key, fingerprint, work, visible=lambda loc: may_see(principal, loc))


def _refund_once(org: str, actor: str, payment: Payment, command: RefundCreate, claim: Claim,
                 attempt: int) -> StoredResponse:
    if payment.method is PaymentMethod.INSURANCE:
        raise RuleViolation("refunds: an insurer's payment is corrected by the insurer, not refunded here")
    given = Refund(id=new_id("ref"), payment_id=payment.id, plan_id=payment.plan_id, patient_id=payment.patient_id,
                   location_id=payment.location_id, amount_cents=command.amount_cents, reason=command.reason,
                   reference=command.reference, created_at=clock.to_millis(clock.now()), created_by=actor)
    updated = replace(payment.refunded(given), version=payment.version + 1)
    entry = LedgerEntry(f"led_{given.id}_refund", EntryKind.REFUND, given.amount_cents, Party.PATIENT,
                        clock.iso(given.created_at), plan_id=payment.plan_id, payment_id=payment.id,
                        refund_id=given.id)
    body = refund_view(given, updated)
    uow = UnitOfWork(client_request_token=str(uuid.uuid5(uuid.UUID(claim.token), str(attempt))))
    store.refund_payment(uow, org, updated, given, payment.version, lambda: _PaymentChanged("the payment changed"))
    ledger.post_entry(uow, org, payment.plan_id, entry)
    idempotency.complete(uow, claim, 201, body, location_id=payment.location_id)
    collected(org, given)(uow)
    uow.commit()
    return StoredResponse(201, body)


# --- reads ------------------------------------------------------------------------------------------


def get(principal: Principal, payment_id: str) -> tuple[Payment, list[Refund]]:
    """A payment with its refunds."""
    payment = load(principal, payment_id)
    return payment, store.refunds_of(principal.org, payment.id)


def list_payments(principal: Principal, plan_id: str | None, patient_id: str | None, limit: int,
                  start_key: dict | None) -> tuple[list[Payment], dict | None]:
    """Payments of a plan or of a patient (exactly one), newest first, in locations the caller may see."""
    if bool(plan_id) == bool(patient_id):
        raise InvalidInput("give exactly one of plan_id or patient_id", [{"field": "plan_id"}, {"field": "patient_id"}])
    if plan_id:
        plans.load(principal, plan_id)
    else:
        patients.load(principal, patient_id or "")
    found, last_key = store.page_of_payments(principal.org, plan_id=plan_id, patient_id=patient_id, limit=limit,
                                             start_key=start_key)
    return visible(principal, found), last_key
