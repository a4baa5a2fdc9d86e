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
from collections.abc import Callable
from typing import Any

from shared import clock
from shared.auth import Principal
from shared.domain.ledger import AdjustmentType, EntryKind, LedgerEntry, Party, balances, check_refund
from shared.domain.plans import Plan
from shared.errors import Conflict, InvalidInput, RuleViolation
from shared.ids import new_id
from shared.services import kpis, ledger, locations, patients, payment_plans, plans
from shared.services.documents import view
from shared.services.visibility import Kind, get_visible, may_see, visible
from shared.store import idempotency
from shared.store import payments as store
from shared.store.idempotency import Claim, Outcome, StoredResponse
from shared.store.table import Record
from shared.store.unit_of_work import Contention, UnitOfWork

REFUND_ATTEMPTS = 8
INSURANCE = "insurance"


class _PaymentChanged(Conflict):
    """The payment moved on between our read and our write (another refund): read it again."""


def load(principal: Principal, payment_id: str, consistent: bool = False) -> Record:
    """The payment if it is in the caller's group and a location the caller may see; 404 otherwise."""
    return get_visible(principal, Kind.PAYMENT, payment_id, consistent=consistent)


def new_payment(plan: Plan, *, amount_cents: int, method: str, reference: str | None, created_by: str,
                **extra: Any) -> dict[str, Any]:
    """A payment document (the DESIGN.md section 3 shape plus who recorded it and where)."""
    return {"id": new_id("pay"), "plan_id": plan.id, "patient_id": plan.patient_id, "location_id": plan.location_id,
            "amount_cents": amount_cents, "method": method, "reference": reference, "status": "completed",
            "refunded_cents": 0, "created_at": clock.now_iso(), "created_by": created_by, **extra}


def collected(org: str, payment: dict[str, Any], sign: int = 1) -> Callable[[UnitOfWork], None]:
    """The KPI counter of money received (or, with sign -1, refunded) on the location's local date, for
    the transaction that records it: collections count exactly what the ledger holds."""
    timezone = locations.load(org, payment["location_id"]).timezone
    day = clock.local_date(clock.now(), timezone)
    add = kpis.add_payment if sign > 0 else kpis.add_refund
    return lambda uow: add(uow, org, payment["location_id"], day, payment["amount_cents"])


def post_payment(uow: UnitOfWork, org: str, payment: dict[str, Any], entry: LedgerEntry) -> None:
    """A new payment and its ledger entry, in one unit of work (a duplicate entry id refuses both)."""
    store.add_payment(uow, org, payment)
    ledger.post_entry(uow, org, payment["plan_id"], entry)


def create(principal: Principal, key: str, fields: dict[str, Any]) -> Outcome:
    """`POST /payments`: record a payment taken elsewhere, once per Idempotency-Key."""
    fingerprint = idempotency.fingerprint("POST /payments", {}, fields)

    def work(claim: Claim) -> StoredResponse:
        plan = plans.load(principal, fields["plan_id"])
        payment = new_payment(plan, amount_cents=fields["amount_cents"], method=fields["method"],
                              reference=fields.get("reference"), created_by=principal.sub,
                              pay_in_full=fields["pay_in_full"], discount_cents=0, note=fields.get("note") or "")
        entry = LedgerEntry(f"led_{payment['id']}_payment", EntryKind.PAYMENT, payment["amount_cents"],
                            Party.PATIENT, payment["created_at"], plan_id=plan.id, payment_id=payment["id"])
        discount = _pay_in_full_discount(principal.org, plan, payment) if fields["pay_in_full"] else None
        if discount is not None:
            payment["discount_cents"] = discount.amount_cents
        uow = UnitOfWork(client_request_token=claim.token)
        post_payment(uow, principal.org, payment, entry)
        if discount is not None:
            ledger.post_entry(uow, principal.org, plan.id, discount, on_fail=lambda: RuleViolation(
                "pay in full: this plan's pay-in-full discount was already given"))
        body = {**payment, "version": 1}
        idempotency.complete(uow, claim, 201, body, location_id=plan.location_id)
        collected(principal.org, payment)(uow)
        uow.commit()
        return StoredResponse(201, body)

    return idempotency.run(principal.org, key, fingerprint, work, visible=lambda loc: may_see(principal, loc))


def _pay_in_full_discount(org: str, plan: Plan, payment: dict[str, Any]) -> LedgerEntry:
    """The discount adjustment of a pay-in-full payment, which must settle the remaining patient balance
    less its discount; refused while a signed in-house payment plan covers the plan."""
    location = locations.load(org, plan.location_id)
    if balances(ledger.entries_of(org, plan.id)).discount_cents:
        raise RuleViolation("pay in full: this plan's pay-in-full discount was already given")
    offer = payment_plans.pay_in_full_offer(org, plan, location)
    if not offer["available"]:
        raise RuleViolation("pay in full: not offered here: " + offer.get("reason", "no discount to give"))
    if payment["amount_cents"] != offer["amount_cents"]:
        raise RuleViolation(f"pay in full: the payment must be the discounted balance of {offer['amount_cents']} "
                            f"cents (discount {offer['discount_cents']} cents)")
    return LedgerEntry(f"led_{plan.id}_pay_in_full_discount", EntryKind.ADJUSTMENT, offer["discount_cents"],
                       Party.PATIENT, payment["created_at"], AdjustmentType.DISCOUNT, plan_id=plan.id,
                       payment_id=payment["id"], memo="pay-in-full discount")


def refund(principal: Principal, payment_id: str, key: str, fields: dict[str, Any]) -> Outcome:
    """`POST /payments/{payment_id}/refunds`: give back part or all of what is left of a payment."""
    fingerprint = idempotency.fingerprint("POST /payments/{payment_id}/refunds", {"payment_id": payment_id}, fields)

    def work(claim: Claim) -> StoredResponse:
        for attempt in range(REFUND_ATTEMPTS):
            record = load(principal, payment_id, consistent=True)
            try:
                return _refund_once(principal.org, principal.sub, record, fields, claim, attempt)
            except (_PaymentChanged, Contention):
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))  # noqa: S311 - jitter, not security
        raise Conflict("refunds: the payment is being changed by other requests; retry")

    return idempotency.run(principal.org, key, fingerprint, work, visible=lambda loc: may_see(principal, loc))


def _refund_once(org: str, actor: str, record: Record, fields: dict[str, Any], claim: Claim,
                 attempt: int) -> StoredResponse:
    payment, read_version = record.data(), int(record.version)
    if payment["method"] == INSURANCE:
        raise RuleViolation("refunds: an insurer's payment is corrected by the insurer, not refunded here")
    amount = fields["amount_cents"]
    left = check_refund(payment["amount_cents"], payment["refunded_cents"], amount)
    now = clock.now_iso()
    refund_doc = {"id": new_id("ref"), "payment_id": payment["id"], "plan_id": payment["plan_id"],
                  "patient_id": payment["patient_id"], "location_id": payment["location_id"], "amount_cents": amount,
                  "reason": fields["reason"], "reference": fields.get("reference"), "created_at": now,
                  "created_by": actor}
    updated = {**payment, "refunded_cents": payment["refunded_cents"] + amount,
               "status": "refunded" if left == 0 else "partially_refunded", "updated_at": now}
    entry = LedgerEntry(f"led_{refund_doc['id']}_refund", EntryKind.REFUND, amount, Party.PATIENT, now,
                        plan_id=payment["plan_id"], payment_id=payment["id"], refund_id=refund_doc["id"])
    body = {**refund_doc, "payment": {**updated, "version": read_version + 1}}
    uow = UnitOfWork(client_request_token=str(uuid.uuid5(uuid.UUID(claim.token), str(attempt))))
    store.refund_payment(uow, org, updated, refund_doc, read_version, lambda: _PaymentChanged("the payment changed"))
    ledger.post_entry(uow, org, payment["plan_id"], entry)
    idempotency.complete(uow, claim, 201, body, location_id=payment["location_id"])
    collected(org, {**refund_doc, "amount_cents": amount}, sign=-1)(uow)
    uow.commit()
    return StoredResponse(201, body)


def get(principal: Principal, payment_id: str) -> dict[str, Any]:
    record = load(principal, payment_id)
    return {**view(record), "refunds": store.refunds_of(principal.org, record.data()["id"])}


def list_payments(principal: Principal, plan_id: str | None, patient_id: str | None, limit: int,
                  start_key: dict | None) -> tuple[list[dict[str, Any]], dict | None]:
    """Payments of a plan or of a patient (exactly one), newest first, in locations the caller may see."""
    if bool(plan_id) == bool(patient_id):
        raise InvalidInput("give exactly one of plan_id or patient_id", [{"field": "plan_id"}, {"field": "patient_id"}])
    if plan_id:
        plans.load(principal, plan_id)
    else:
        patients.load(principal, patient_id or "")
    page = store.page_of_payments(principal.org, plan_id=plan_id, patient_id=patient_id, limit=limit,
                                  start_key=start_key)
    return [view(record) for record in visible(principal, page.records)], page.last_key
