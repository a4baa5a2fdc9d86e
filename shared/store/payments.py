"""Repository of the money side: payments and refunds, in-house payment plans, financing applications
and insurance claims (the ledger is `shared.store.ledger`). Key layouts are in docs/DATA-MODEL.md
("Payments"). Writes are added to a unit of work, each with the error its own condition raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared.ids import has_prefix
from shared.store import records
from shared.store.plans import pk as plan_pk
from shared.store.table import Record
from shared.store.unit_of_work import Failure, UnitOfWork, conflict, stale

PAYMENT, PAYMENT_PLAN, FINANCING, CLAIM = "PAYMENT", "PAYMENT_PLAN", "FINANCING", "CLAIM"
REFUND_PREFIX = "REFUND#"


# --- keys -------------------------------------------------------------------------------------------


def payment_pk(org: str, payment_id: str) -> str:
    return f"{org}#PAY#{payment_id}"


def payments_of_plan(org: str, plan_id: str) -> str:
    return f"{org}#PLN#{plan_id}#PAYMENTS"


def payments_of_patient(org: str, patient_id: str) -> str:
    return f"{org}#PAT#{patient_id}#PAYMENTS"


def financing_pk(org: str, financing_id: str) -> str:
    return f"{org}#FIN#{financing_id}"


def claim_pk(org: str, claim_id: str) -> str:
    return f"{org}#CLM#{claim_id}"


def children_of_plan(org: str, plan_id: str, what: str) -> str:
    """Index key of a plan's financing applications (`FINANCING`) or claims (`CLAIMS`)."""
    return f"{org}#PLN#{plan_id}#{what}"


# --- records ----------------------------------------------------------------------------------------


def payment_record(org: str, payment: dict[str, Any], version: int) -> Record:
    order = f"{payment['created_at']}#{payment['id']}"
    return Record(pk=payment_pk(org, payment["id"]), sk=PAYMENT, kind="payment", doc=payment, version=version,
                  gsi1pk=payments_of_plan(org, payment["plan_id"]), gsi1sk=order,
                  gsi2pk=payments_of_patient(org, payment["patient_id"]), gsi2sk=order)


def payment_plans_at(org: str, location_id: str) -> str:
    return f"{org}#LOC#{location_id}#PAYPLANS"


def payment_plan_record(org: str, plan_id: str, doc: dict[str, Any], version: int) -> Record:
    """Indexed by location (gsi1) for the nightly installment follow-ups."""
    return Record(pk=plan_pk(org, plan_id), sk=PAYMENT_PLAN, kind="payment_plan", doc=doc, version=version,
                  gsi1pk=payment_plans_at(org, doc["location_id"]), gsi1sk=plan_id)


def payment_plans_of_location(org: str, location_id: str, page_size: int = 100) -> Iterator[Record]:
    """Every in-house payment plan of a location, paging with Query."""
    start: dict | None = None
    while True:
        page = records.query(payment_plans_at(org, location_id), index="gsi1", limit=page_size, start_key=start)
        yield from page.records
        if not page.last_key:
            return
        start = page.last_key


def financing_record(org: str, doc: dict[str, Any], version: int) -> Record:
    return Record(pk=financing_pk(org, doc["id"]), sk=FINANCING, kind="financing", doc=doc, version=version,
                  gsi1pk=children_of_plan(org, doc["plan_id"], "FINANCING"), gsi1sk=f"{doc['created_at']}#{doc['id']}")


def claim_record(org: str, doc: dict[str, Any], version: int) -> Record:
    return Record(pk=claim_pk(org, doc["id"]), sk=CLAIM, kind="claim", doc=doc, version=version,
                  gsi1pk=children_of_plan(org, doc["plan_id"], "CLAIMS"), gsi1sk=f"{doc['created_at']}#{doc['id']}")


# --- reads ------------------------------------------------------------------------------------------


def load_payment(org: str, payment_id: str, consistent: bool = False) -> Record | None:
    return records.get(payment_pk(org, payment_id), PAYMENT, consistent) if has_prefix(payment_id, "pay") else None


def load_financing(org: str, financing_id: str) -> Record | None:
    return records.get(financing_pk(org, financing_id), FINANCING) if has_prefix(financing_id, "fin") else None


def load_claim(org: str, claim_id: str) -> Record | None:
    return records.get(claim_pk(org, claim_id), CLAIM) if has_prefix(claim_id, "clm") else None


def load_payment_plan(org: str, plan_id: str) -> Record | None:
    return records.get(plan_pk(org, plan_id), PAYMENT_PLAN, consistent=True)


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


def put_payment_plan(uow: UnitOfWork, org: str, plan_id: str, doc: dict[str, Any], read_version: int | None) -> Record:
    return uow.put_at(payment_plan_record(org, plan_id, doc, 0), read_version, stale("payment plan"))


def put_financing(uow: UnitOfWork, org: str, doc: dict[str, Any], read_version: int | None) -> Record:
    return uow.put_at(financing_record(org, doc, 0), read_version, stale("financing application"))


def put_claim(uow: UnitOfWork, org: str, doc: dict[str, Any], read_version: int | None) -> Record:
    on_fail = conflict("claim exists") if read_version is None else stale("claim")
    return uow.put_at(claim_record(org, doc, 0), read_version, on_fail)
