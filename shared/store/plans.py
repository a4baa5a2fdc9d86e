"""Persistence of treatment plans: one item per plan, indexed by patient, by location and status, and
by option group. Every write is conditional on the version the caller read."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pynamodb.transactions import TransactWrite

from shared.domain import plans as plan_model
from shared.domain.plans import Plan
from shared.ids import has_prefix
from shared.store import records
from shared.store.table import Record

PLAN = "PLAN"
ExtraWrites = Callable[[TransactWrite], None]


def pk(org: str, plan_id: str) -> str:
    return f"{org}#PLN#{plan_id}"


def by_patient(org: str, patient_id: str) -> str:
    return f"{org}#PAT#{patient_id}#PLANS"


def by_location(org: str, location_id: str) -> str:
    return f"{org}#LOC#{location_id}#PLANS"


def by_option_group(org: str, group: str) -> str:
    return f"{org}#OPT#{group}"


def load(org: str, plan_id: str) -> Plan | None:
    record = records.get(pk(org, plan_id), PLAN) if has_prefix(plan_id, "pln") else None
    return plan_model.from_dict(record.data()) if record else None


def _record(org: str, plan: Plan) -> Record:
    doc = plan_model.to_dict(plan)
    record = Record(pk=pk(org, plan.id), sk=PLAN, kind="plan", doc=doc, version=plan.version,
                    gsi1pk=by_patient(org, plan.patient_id), gsi1sk=f"{doc['created_at']}#{plan.id}",
                    gsi2pk=by_location(org, plan.location_id),
                    gsi2sk=f"{plan.status.value}#{doc['updated_at']}#{plan.id}")
    if plan.option_group:
        record.gsi3pk, record.gsi3sk = by_option_group(org, plan.option_group), plan.id
    return record


def commit(org: str, changes: Sequence[tuple[Plan, int | None]], extra: ExtraWrites | None = None) -> None:
    """Write plans in one transaction: each (plan, version it was read at, or None for a new plan).

    `extra` adds writes of other items (ledger entries, KPI counters) to the same transaction, so a plan
    change and what follows from it are stored together or not at all."""
    if len(changes) == 1 and extra is None:  # one item: a conditional PutItem is enough (and far cheaper)
        plan, read_version = changes[0]
        record = _record(org, plan)
        if read_version is None:
            records.create(record, version=plan.version)
        else:
            records.replace(record, read_version, new_version=plan.version)
        return

    def build(tx: TransactWrite) -> None:
        for plan, read_version in changes:
            condition = Record.pk.does_not_exist() if read_version is None else Record.version == read_version
            tx.save(_record(org, plan), condition=condition)
        if extra:
            extra(tx)

    records.transact(build, "the plan was changed by someone else since you read it; fetch it again")


def page_for_patient(org: str, patient_id: str, limit: int, start_key: dict | None) -> records.Page:
    return records.query(by_patient(org, patient_id), index="gsi1", limit=limit, start_key=start_key,
                         newest_first=True)


def page_for_location(org: str, location_id: str, status: str | None, limit: int,
                      start_key: dict | None) -> records.Page:
    """A location's plans, grouped by stored status (newest first within one), or of one status."""
    return records.query(by_location(org, location_id), index="gsi2", sk_prefix=f"{status}#" if status else None,
                         limit=limit, start_key=start_key, newest_first=True)


def in_option_group(org: str, group: str) -> list[Plan]:
    page = records.query(by_option_group(org, group), index="gsi3", limit=100)
    return [plan_model.from_dict(r.data()) for r in page.records]


def from_record(record: Record) -> Plan:
    return plan_model.from_dict(record.data())
