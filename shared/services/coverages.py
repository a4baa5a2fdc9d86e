"""A patient's coverages and procedure history as the coordinator keeps them: `GET /patients/{id}/coverages`,
`PUT|DELETE .../coverages/{rank}` (`PUT /patients/{id}/coverage` is rank 1), `POST|GET .../history`.

Coverages: rank 1 (primary) and 2 (secondary). A secondary needs a primary (put rank 1 first; the
primary cannot be deleted while a secondary exists). `usage_as_of` defaults to the location's today:
the used, pending and met figures given are the insurer's for the benefit year containing it.
What the estimate engine reads of them is shared/services/benefits.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from shared import clock
from shared.auth import Principal
from shared.domain import catalog
from shared.domain.benefits.coverage import Coverage
from shared.domain.benefits.usage import HistorySource, Usage, remaining_annual_max_cents, usage_of
from shared.domain.benefits.years import benefit_year_start
from shared.domain.patients import Patient
from shared.errors import InvalidInput, NotFound, RuleViolation
from shared.ids import new_id
from shared.services import benefits, locations, patients
from shared.services.documents import require_version, view
from shared.store import benefits as benefit_store
from shared.store import coverages as store
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, conflict

MAX_HISTORY_PER_REQUEST = 100


def checked_rank(rank: object) -> int:
    text = str(rank)
    if text not in {"1", "2"}:
        raise InvalidInput("rank must be 1 (primary) or 2 (secondary)",
                           [{"field": "rank", "message": "must be 1 or 2"}])
    return int(text)


def _coverage_view(record: Record, usage: Mapping[str, int | str] | None = None) -> dict[str, Any]:
    return {**view(record), "rank": benefit_store.rank_of(record.sk), "usage": usage}


def _usage_view(coverage: Coverage, usage: Usage, today: date) -> dict[str, int | str]:
    """This benefit year's figures of one coverage, derived from its usage ledger."""
    year = usage.year_of(today)
    return {"benefit_year_start": benefit_year_start(coverage.renewal_month, today).isoformat(),
            "used_cents": year.used_cents, "pending_cents": year.pending_cents,
            "deductible_met_cents": year.deductible_met_cents,
            "remaining_annual_max_cents": remaining_annual_max_cents(coverage, usage, today),
            "ortho_used_cents": usage.ortho_used_cents, "ortho_deductible_met_cents": usage.ortho_deductible_met_cents}


def _today(org: str, patient: Patient) -> date:
    return clock.local_date(clock.now(), locations.load(org, patient.location_id).timezone)


# --- coverages --------------------------------------------------------------------------------------


def list_coverages(principal: Principal, patient_id: str) -> dict[str, Any]:
    """The coverages with this benefit year's usage (carried-in figures plus claims): one Query."""
    patient = patients.load(principal, patient_id)
    today = _today(principal.org, patient)
    found = benefit_store.load_file(principal.org, patient_id)
    entries = [benefits.usage_entry(doc) for doc in found.usage if doc["status"] != benefits.RELEASED]
    items = []
    for rank in sorted(found.coverages):
        record = found.coverages[rank]
        coverage = benefits.coverage_of(record)
        items.append(_coverage_view(record, _usage_view(coverage, usage_of(coverage, entries, today), today)))
    return {"items": items}


def get_coverage(principal: Principal, patient_id: str, rank: object) -> dict[str, Any]:
    rank = checked_rank(rank)
    found = [item for item in list_coverages(principal, patient_id)["items"] if item["rank"] == rank]
    if not found:
        raise NotFound(f"patient has no rank {rank} coverage on file")
    return found[0]


def put_coverage(principal: Principal, patient_id: str, rank: object, fields: Mapping[str, Any],
                 expected_version: int | None) -> dict[str, Any]:
    """Create or replace the coverage of `rank`; with If-Match, only over that version."""
    patient = patients.load(principal, patient_id)
    rank = checked_rank(rank)
    if "rank" in fields and fields["rank"] != rank:
        raise InvalidInput("the body's rank differs from the path's", [{"field": "rank", "message": f"must be {rank}"}])
    coverage = Coverage.from_dict({**fields, "rank": rank})
    if coverage.usage_as_of is None:
        coverage = dataclasses.replace(coverage, usage_as_of=_today(principal.org, patient))
    doc = {**coverage.to_dict(), "patient_id": patient_id, "updated_at": clock.now_iso()}
    current = benefit_store.coverages(principal.org, patient_id, consistent=True)
    existing = current.get(rank)
    if existing is None and expected_version is not None:
        raise NotFound(f"patient has no rank {rank} coverage to match If-Match against")
    if existing is not None and expected_version is not None:
        require_version(existing, expected_version)
    uow = UnitOfWork()
    if rank == 2:
        if 1 not in current:
            raise RuleViolation("coverages: a secondary coverage needs a primary; put rank 1 first")
        store.check_coverage(uow, current[1], conflict("the primary coverage changed at the same time; retry"))
    read_version = int(existing.version) if existing is not None else None
    record = store.put_coverage(uow, principal.org, patient_id, rank, doc, read_version)
    uow.commit()
    return _coverage_view(record)


def delete_coverage(principal: Principal, patient_id: str, rank: object, expected_version: int | None) -> None:
    patients.load(principal, patient_id)
    rank = checked_rank(rank)
    current = benefit_store.coverages(principal.org, patient_id, consistent=True)
    if rank not in current:
        raise NotFound(f"patient has no rank {rank} coverage on file")
    if rank == 1 and 2 in current:
        raise RuleViolation("coverages: delete the secondary (rank 2) first, or put it as the primary")
    record = current[rank]
    if expected_version is not None:
        require_version(record, expected_version)
    store.delete_coverage(record, conflict("the coverage changed at the same time; retry"))


# --- history ----------------------------------------------------------------------------------------


def add_history(principal: Principal, patient_id: str, items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`POST /patients/{id}/history`: prior treatment (possibly at another office), for frequency limits."""
    patient = patients.load(principal, patient_id)
    today = _today(principal.org, patient)
    if not items or len(items) > MAX_HISTORY_PER_REQUEST:
        raise InvalidInput("history: 1 to 100 items a request", [{"field": "items"}])
    problems: list[dict[str, Any]] = []
    docs = []
    stamp = clock.now_iso()
    for index, item in enumerate(items):
        where = f"items.{index}"
        try:
            code = catalog.normalize_code(item.get("code"))
            tooth, surfaces = catalog.validate_procedure(code, item.get("tooth"), item.get("surfaces"))
        except InvalidInput as error:
            problems += [{**d, "field": f"{where}.{d.get('field', 'code')}"} for d in error.details]
            continue
        done = item["date"] if isinstance(item["date"], date) else date.fromisoformat(str(item["date"]))
        if done > today:
            problems.append({"field": f"{where}.date", "message": f"must be {today.isoformat()} or earlier"})
            continue
        docs.append({"id": new_id("hst"), "patient_id": patient_id, "code": code, "tooth": tooth,
                     "surfaces": surfaces, "date": done.isoformat(), "source": HistorySource.IMPORTED.value,
                     "plan_id": None, "step_id": None, "created_at": stamp})
    if problems:
        raise InvalidInput("invalid history items", problems)
    uow = UnitOfWork()
    for doc in docs:
        benefit_store.put_history(uow, principal.org, patient_id, doc, conflict("history item exists"))
    uow.commit()
    return {"items": docs}


def history_page(principal: Principal, patient_id: str, limit: int,
                 start_key: dict | None) -> tuple[list[dict[str, Any]], dict | None]:
    patients.load(principal, patient_id)
    page = benefit_store.history_page(principal.org, patient_id, limit, start_key)
    return [record.data() for record in page.records], page.last_key
