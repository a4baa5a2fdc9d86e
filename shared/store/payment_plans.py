"""Repository of in-house payment plans: one per treatment plan, stored beside it, indexed by location
for the nightly installment follow-ups. Keys in docs/DATA-MODEL.md."""

from __future__ import annotations

from collections.abc import Iterator

from shared.domain.installments import PaymentPlan
from shared.store import records
from shared.store.plans import pk as plan_pk
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, stale

PAYMENT_PLAN = "PAYMENT_PLAN"


def payment_plans_at(org: str, location_id: str) -> str:
    return f"{org}#LOC#{location_id}#PAYPLANS"


def payment_plan_record(org: str, payment_plan: PaymentPlan) -> Record:
    """Indexed by location (gsi1) for the nightly installment follow-ups."""
    return Record(pk=plan_pk(org, payment_plan.plan_id), sk=PAYMENT_PLAN, kind="payment_plan",
                  doc=records.document(payment_plan), version=payment_plan.version,
                  gsi1pk=payment_plans_at(org, payment_plan.location_id), gsi1sk=payment_plan.plan_id)


def payment_plans_of_location(org: str, location_id: str, page_size: int = 100) -> Iterator[PaymentPlan]:
    """Every in-house payment plan of a location, paging with Query."""
    start: dict | None = None
    while True:
        page = records.query(payment_plans_at(org, location_id), index="gsi1", limit=page_size, start_key=start)
        yield from (records.typed(PaymentPlan, record) for record in page.records)
        if not page.last_key:
            return
        start = page.last_key


def load_payment_plan(org: str, plan_id: str) -> PaymentPlan | None:
    record = records.get(plan_pk(org, plan_id), PAYMENT_PLAN, consistent=True)
    return records.typed(PaymentPlan, record) if record else None


def put_payment_plan(uow: UnitOfWork, org: str, payment_plan: PaymentPlan, read_version: int | None) -> None:
    """The payment plan, new (read_version None) or changed from the version read (StaleVersion if not)."""
    uow.put_at(payment_plan_record(org, payment_plan), read_version, stale("payment plan"))
