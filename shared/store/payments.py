"""Repository of payments and their refunds (the ledger is `shared.store.ledger`, financing and claims
`shared.store.financing`, in-house payment plans `shared.store.payment_plans`). Key layouts are in
docs/DATA-MODEL.md ("Payments"). Writes are added to a unit of work, each with its own error.
"""

from __future__ import annotations

from shared import clock
from shared.domain.payments import Payment, Refund
from shared.ids import has_prefix
from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import Failure, UnitOfWork, conflict

PAYMENT = "PAYMENT"
REFUND_PREFIX = "REFUND#"


# --- keys -------------------------------------------------------------------------------------------


def payment_pk(org: str, payment_id: str) -> str:
    return f"{org}#PAY#{payment_id}"


def payments_of_plan(org: str, plan_id: str) -> str:
    return f"{org}#PLN#{plan_id}#PAYMENTS"


def payments_of_patient(org: str, patient_id: str) -> str:
    return f"{org}#PAT#{patient_id}#PAYMENTS"


# --- records ----------------------------------------------------------------------------------------


def payment_record(org: str, payment: Payment) -> Record:
    order = f"{clock.iso(payment.created_at)}#{payment.id}"
    return Record(pk=payment_pk(org, payment.id), sk=PAYMENT, kind="payment", doc=records.document(payment),
                  gsi1pk=payments_of_plan(org, payment.plan_id), gsi1sk=order,
                  gsi2pk=payments_of_patient(org, payment.patient_id), gsi2sk=order)


def refund_record(org: str, refund: Refund) -> Record:
    return Record(pk=payment_pk(org, refund.payment_id), sk=f"{REFUND_PREFIX}{refund.id}", kind="refund",
                  doc=records.document(refund))


# --- reads ------------------------------------------------------------------------------------------


def load_payment(org: str, payment_id: str, consistent: bool = False) -> Payment | None:
    record = records.get(payment_pk(org, payment_id), PAYMENT, consistent) if has_prefix(payment_id, "pay") else None
    return records.typed(Payment, record) if record else None


def page_of_payments(org: str, *, plan_id: str | None, patient_id: str | None, limit: int,
                     start_key: dict | None) -> tuple[list[Payment], dict | None]:
    """Payments of a plan (gsi1) or of a patient (gsi2), newest first."""
    if plan_id is not None:
        page = records.query(payments_of_plan(org, plan_id), index="gsi1", limit=limit, start_key=start_key,
                             newest_first=True)
    else:
        page = records.query(payments_of_patient(org, patient_id or ""), index="gsi2", limit=limit,
                             start_key=start_key, newest_first=True)
    return [records.typed(Payment, record) for record in page.records], page.last_key


def payments_of(org: str, plan_id: str) -> list[Payment]:
    """Every payment of a plan, oldest first (index reads: eventually consistent)."""
    found: list[Payment] = []
    start: dict | None = None
    while True:
        page = records.query(payments_of_plan(org, plan_id), index="gsi1", limit=100, start_key=start)
        found += [records.typed(Payment, record) for record in page.records]
        if not page.last_key:
            return found
        start = page.last_key


def refunds_of(org: str, payment_id: str) -> list[Refund]:
    page = records.query(payment_pk(org, payment_id), sk_prefix=REFUND_PREFIX, limit=100)
    return [records.typed(Refund, record) for record in page.records]


# --- writes -----------------------------------------------------------------------------------------


def add_payment(uow: UnitOfWork, org: str, payment: Payment) -> None:
    """A new payment (version 1)."""
    uow.put_new(payment_record(org, payment), conflict(f"payments: payment {payment.id} exists already"))


def refund_payment(uow: UnitOfWork, org: str, payment: Payment, refund: Refund, read_version: int,
                   on_changed: Failure) -> None:
    """The payment with the refund counted (`payment` as it will be stored) and the refund: conditional
    on the version read AND on what was refunded so far leaving room for this refund, so no interleaving
    of refunds can give back more than was paid. `on_changed` when the payment moved on since read."""
    within = Record.doc["refunded_cents"] <= payment.amount_cents - refund.amount_cents
    record = payment_record(org, payment)
    record.version = read_version + 1
    uow.put(record, (Record.version == read_version) & within, on_changed)
    uow.put_new(refund_record(org, refund), conflict("refund exists already"))
