"""Repository of payments and their refunds (the ledger is `shared.store.ledger`, financing and claims
`shared.store.financing`, in-house payment plans `shared.store.payment_plans`). Key layouts are in
docs/DATA-MODEL.md ("Payments"). Writes are added to a unit of work, each with its own error.
"""

from __future__ import annotations

from typing import Any

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


def payment_record(org: str, payment: dict[str, Any], version: int) -> Record:
    order = f"{payment['created_at']}#{payment['id']}"
    return Record(pk=payment_pk(org, payment["id"]), sk=PAYMENT, kind="payment", doc=payment, version=version,
                  gsi1pk=payments_of_plan(org, payment["plan_id"]), gsi1sk=order,
                  gsi2pk=payments_of_patient(org, payment["patient_id"]), gsi2sk=order)


# --- reads ------------------------------------------------------------------------------------------


def load_payment(org: str, payment_id: str, consistent: bool = False) -> Record | None:
    return records.get(payment_pk(org, payment_id), PAYMENT, consistent) if has_prefix(payment_id, "pay") else None


def page_of_payments(org: str, *, plan_id: str | None, patient_id: str | None, limit: int,
                     start_key: dict | None) -> records.Page:
    """Payments of a plan (gsi1) or of a patient (gsi2), newest first."""
    if plan_id is not None:
        return records.query(payments_of_plan(org, plan_id), index="gsi1", limit=limit, start_key=start_key,
                             newest_first=True)
    return records.query(payments_of_patient(org, patient_id or ""), index="gsi2", limit=limit,
                         start_key=start_key, newest_first=True)


def refunds_of(org: str, payment_id: str) -> list[dict[str, Any]]:
    page = records.query(payment_pk(org, payment_id), sk_prefix=REFUND_PREFIX, limit=100)
    return [record.data() for record in page.records]


# --- writes -----------------------------------------------------------------------------------------


def add_payment(uow: UnitOfWork, org: str, payment: dict[str, Any]) -> None:
    """A new payment (version 1)."""
    uow.put_new(payment_record(org, payment, 1), conflict(f"payments: payment {payment['id']} exists already"))


def refund_payment(uow: UnitOfWork, org: str, payment: dict[str, Any], refund: dict[str, Any], read_version: int,
                   on_changed: Failure) -> None:
    """The payment with the refund counted (`payment` as it will be stored) and the refund: conditional
    on the version read AND on what was refunded so far leaving room for this refund, so no interleaving
    of refunds can give back more than was paid. `on_changed` when the payment moved on since read."""
    within = Record.doc["refunded_cents"] <= payment["amount_cents"] - refund["amount_cents"]
    uow.put(payment_record(org, payment, read_version + 1), (Record.version == read_version) & within, on_changed)
    uow.put_new(Record(pk=payment_pk(org, refund["payment_id"]), sk=f"{REFUND_PREFIX}{refund['id']}",
                       kind="refund", doc=refund), conflict("refund exists already"))
