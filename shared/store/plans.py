"""Persistence of treatment plans: one item per plan, indexed by patient, by location and status, and
by option group. Every write is conditional on the version the caller read."""

from __future__ import annotations

from shared.domain import plan_codec
from shared.domain.plans import Plan
from shared.errors import StaleVersion
from shared.ids import has_prefix
from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import Failure, UnitOfWork

PLAN = "PLAN"


def _stale() -> StaleVersion:
    return StaleVersion("the plan was changed by someone else since you read it; fetch it again")


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
    return plan_codec.from_dict(record.data()) if record else None


def _record(org: str, plan: Plan) -> Record:
    doc = plan_codec.to_dict(plan)
    record = Record(pk=pk(org, plan.id), sk=PLAN, kind="plan", doc=doc, version=plan.version,
                    gsi1pk=by_patient(org, plan.patient_id), gsi1sk=f"{doc['created_at']}#{plan.id}",
                    gsi2pk=by_location(org, plan.location_id),
                    gsi2sk=f"{plan.status.value}#{doc['updated_at']}#{plan.id}")
    if plan.option_group:
        record.gsi3pk, record.gsi3sk = by_option_group(org, plan.option_group), plan.id
    return record


def put(uow: UnitOfWork, org: str, plan: Plan, read_version: int | None, on_fail: Failure | None = None) -> None:
    """The plan, new (read_version None) or changed from the version read; StaleVersion by default when
    someone else changed it since. The plan's own version (the domain moves it) is stored."""
    uow.put_at(_record(org, plan), read_version, on_fail or (_stale if read_version is not None else None),
               new_version=plan.version)


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
    return [plan_codec.from_dict(r.data()) for r in page.records]


def from_record(record: Record) -> Plan:
    return plan_codec.from_dict(record.data())
