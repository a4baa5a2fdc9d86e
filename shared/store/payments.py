"""Persistence of the money side: payments and refunds, ledger entries, in-house payment plans,
financing applications and insurance claims. Key layouts are in docs/DATA-MODEL.md ("Payments").

Writes that belong together go through `commit`: ONE TransactWriteItems of conditional puts, in the
order given, so a failure can be told apart by the item whose condition failed (`Write.on_fail`).
Ledger entries have deterministic ids and are written only if absent: posting the same thing twice
fails the whole transaction instead of posting twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.errors import ChairsideError, Conflict, StaleVersion
from shared.ids import has_prefix
from shared.store import records
from shared.store.table import Record, transaction

PAYMENT, PAYMENT_PLAN, FINANCING, CLAIM = "PAYMENT", "PAYMENT_PLAN", "FINANCING", "CLAIM"
REFUND_PREFIX, LEDGER_PAGE = "REFUND#", 100


# --- keys -------------------------------------------------------------------------------------------


def payment_pk(org: str, payment_id: str) -> str:
    return f"{org}#PAY#{payment_id}"


def payments_of_plan(org: str, plan_id: str) -> str:
    return f"{org}#PLN#{plan_id}#PAYMENTS"


def payments_of_patient(org: str, patient_id: str) -> str:
    return f"{org}#PAT#{patient_id}#PAYMENTS"


def ledger_pk(org: str, plan_id: str) -> str:
    return f"{org}#PLN#{plan_id}#LEDGER"


def plan_pk(org: str, plan_id: str) -> str:
    return f"{org}#PLN#{plan_id}"


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


def refund_record(org: str, refund: dict[str, Any]) -> Record:
    return Record(pk=payment_pk(org, refund["payment_id"]), sk=f"{REFUND_PREFIX}{refund['id']}", kind="refund",
                  doc=refund)


def ledger_record(org: str, plan_id: str, entry: dict[str, Any]) -> Record:
    return Record(pk=ledger_pk(org, plan_id), sk=entry["id"], kind="ledger_entry", doc=entry)


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


def ledger_entries(org: str, plan_id: str) -> list[dict[str, Any]]:
    """Every ledger entry of a plan (all pages), in the order they were posted."""
    entries: list[dict[str, Any]] = []
    start_key = None
    while True:
        page = records.query(ledger_pk(org, plan_id), limit=LEDGER_PAGE, start_key=start_key)
        entries.extend(record.data() for record in page.records)
        if page.last_key is None:
            return sorted(entries, key=lambda entry: (entry["created_at"], entry["id"]))
        start_key = page.last_key


# --- one transaction --------------------------------------------------------------------------------


class Contention(Conflict):
    """DynamoDB cancelled the transaction because another one was writing the same item: a retry may pass."""


@dataclass(frozen=True)
class Write:
    """One conditional put of a transaction, and the error to raise if its condition is what failed."""

    record: Record
    condition: Any
    on_fail: Callable[[], ChairsideError]


def new_item() -> Any:
    return Record.pk.does_not_exist()


def same_version(version: int) -> Any:
    return Record.version == version


def commit(writes: Sequence[Write], client_request_token: str | None = None,
           extra: Callable[[TransactWrite], None] | None = None) -> None:
    """Put every record in ONE TransactWriteItems; all or nothing. `extra` adds counter updates (KPIs):
    pynamodb sends puts before updates, so cancellation reasons still line up with `writes`.

    A failed condition raises the `on_fail` error of the first write whose condition failed; two
    transactions racing on the same item is Conflict (409)."""
    try:
        with transaction(client_request_token) as tx:
            for write in writes:
                tx.save(write.record, condition=write.condition)
            if extra is not None:
                extra(tx)
    except TransactWriteError as exc:
        codes = records.cancellation_codes(exc)
        for write, code in zip(writes, codes, strict=False):
            if code == "ConditionalCheckFailed":
                raise write.on_fail() from exc
        if records.is_transaction_race(exc):
            raise Contention("a concurrent request changed the same data; try again") from exc
        raise


def stale(what: str) -> Callable[[], ChairsideError]:
    return lambda: StaleVersion(f"the {what} was changed by someone else since it was read; fetch it again")


def conflict(message: str) -> Callable[[], ChairsideError]:
    return lambda: Conflict(message)
