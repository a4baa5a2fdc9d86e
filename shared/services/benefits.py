"""A patient's benefits: coverages by rank, procedure history, and everything the estimate engine needs,
read in one Query of the patient's partition (shared/store/benefits.py).

Coverages: rank 1 (primary) and 2 (secondary). A secondary needs a primary (put rank 1 first; the
primary cannot be deleted while a secondary exists). `usage_as_of` defaults to the location's today:
the used, pending and met figures given are the insurer's for the benefit year containing it.
History: imported items (`POST /patients/{id}/history`) and the procedures of completed steps, written
with the step's completion (ids `hst_{step_id}_{n}`); an estimate of a plan leaves out the history of
that plan's own steps (they are lines of the estimate).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared import clock
from shared.auth import Principal
from shared.domain import catalog
from shared.domain.benefits.coverage import Coverage
from shared.domain.benefits.engine import Estimate, LineInput, Patient, estimate
from shared.domain.benefits.usage import (
    HistoryItem,
    HistorySource,
    Usage,
    UsageEntry,
    UsageStatus,
    claim_entry,
    remaining_annual_max_cents,
    usage_of,
)
from shared.domain.benefits.usage import remaining_benefits_cents as remaining_of
from shared.domain.benefits.years import benefit_year_start
from shared.domain.plans import Plan
from shared.errors import InvalidInput, NotFound, RuleViolation
from shared.ids import new_id
from shared.services import locations, patients
from shared.services.documents import require_version, view
from shared.store import benefits as store
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, conflict

RANKS = (1, 2)
STORED_ONLY = ("patient_id", "updated_at")  # fields of the stored document that are not the coverage's
MAX_HISTORY_PER_REQUEST = 100
RELEASED = "released"  # a usage entry of a claim that left submitted unpaid: it books nothing


def checked_rank(rank: object) -> int:
    text = str(rank)
    if text not in {"1", "2"}:
        raise InvalidInput("rank must be 1 (primary) or 2 (secondary)",
                           [{"field": "rank", "message": "must be 1 or 2"}])
    return int(text)


def coverage_of(record: Record) -> Coverage:
    return Coverage.from_dict({k: v for k, v in record.data().items() if k not in STORED_ONLY})


def _coverage_view(record: Record, usage: Mapping[str, int | str] | None = None) -> dict[str, Any]:
    return {**view(record), "rank": store.rank_of(record.sk), "usage": usage}


def _usage_view(coverage: Coverage, usage: Usage, today: date) -> dict[str, int | str]:
    """This benefit year's figures of one coverage, derived from its usage ledger."""
    year = usage.year_of(today)
    return {"benefit_year_start": benefit_year_start(coverage.renewal_month, today).isoformat(),
            "used_cents": year.used_cents, "pending_cents": year.pending_cents,
            "deductible_met_cents": year.deductible_met_cents,
            "remaining_annual_max_cents": remaining_annual_max_cents(coverage, usage, today),
            "ortho_used_cents": usage.ortho_used_cents, "ortho_deductible_met_cents": usage.ortho_deductible_met_cents}


def _today(org: str, patient: Record) -> date:
    location = locations.load(org, patient.data()["location_id"]).data()
    return clock.local_date(clock.now(), location["timezone"])


# --- coverages --------------------------------------------------------------------------------------


def list_coverages(principal: Principal, patient_id: str) -> dict[str, Any]:
    """The coverages with this benefit year's usage (carried-in figures plus claims): one Query."""
    patient = patients.load(principal, patient_id)
    today = _today(principal.org, patient)
    found = store.load_file(principal.org, patient_id)
    entries = [_usage_entry(doc) for doc in found.usage if doc["status"] != RELEASED]
    items = []
    for rank in sorted(found.coverages):
        record = found.coverages[rank]
        coverage = coverage_of(record)
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
    current = store.coverages(principal.org, patient_id, consistent=True)
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
    current = store.coverages(principal.org, patient_id, consistent=True)
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
        store.put_history(uow, principal.org, patient_id, doc, conflict("history item exists"))
    uow.commit()
    return {"items": docs}


def history_page(principal: Principal, patient_id: str, limit: int,
                 start_key: dict | None) -> tuple[list[dict[str, Any]], dict | None]:
    patients.load(principal, patient_id)
    page = store.history_page(principal.org, patient_id, limit, start_key)
    return [record.data() for record in page.records], page.last_key


def completed_step_history(uow: UnitOfWork, org: str, plan: Plan, step_ids: Iterable[str], day: date) -> None:
    """History items of completed steps, in the completion's unit of work (deterministic ids: once)."""
    stamp = clock.now_iso()
    for step_id in step_ids:
        for index, proc in enumerate(plan.step(step_id).procedures):
            doc = {"id": f"hst_{step_id}_{index}", "patient_id": plan.patient_id, "code": proc.code,
                   "tooth": proc.tooth, "surfaces": proc.surfaces, "date": day.isoformat(),
                   "source": HistorySource.COMPLETED.value, "plan_id": plan.id, "step_id": step_id,
                   "created_at": stamp}
            store.put_history(uow, org, plan.patient_id, doc, conflict(f"step {step_id} is already recorded"))


# --- what an estimate needs -------------------------------------------------------------------------


@dataclass(frozen=True)
class Insured:
    """A patient's coverages, usage, history and appointment dates at one location's today."""

    coverages: tuple[Coverage, ...]
    patient: Patient
    step_dates: Mapping[str, date]
    plan_history: Mapping[str, date]  # this plan's completed steps: step id -> date done
    today: date
    fee_schedule: Mapping[str, int]

    def lines(self, plan: Plan, step_ids: Iterable[str] | None = None) -> list[LineInput]:
        """The plan's procedures (or those of `step_ids`), each dated: the day a completed step was done,
        else its appointment, else today; a phase waiting for a date (`not_before`) is dated no earlier."""
        wanted = None if step_ids is None else set(step_ids)
        lines = []
        for phase in plan.phases:
            for step in phase.steps:
                if wanted is not None and step.id not in wanted:
                    continue
                day = self.plan_history.get(step.id)
                if day is None:
                    day = self.step_dates.get(step.id)
                    if phase.not_before is not None:
                        day = max(day or self.today, phase.not_before)
                lines += [LineInput(proc.code, proc.fee_cents, proc.tooth, step.id, day) for proc in step.procedures]
        return lines

    def estimate(self, plan: Plan, step_ids: Iterable[str] | None = None) -> Estimate:
        return estimate(self.lines(plan, step_ids), self.coverages, today=self.today, patient=self.patient,
                        fee_schedule=self.fee_schedule)


def insured(org: str, patient_id: str, location: Mapping[str, Any], plan_id: str | None = None,
            now: datetime | None = None) -> Insured:
    """Everything the engine needs about the patient, from ONE Query of the patient's partition."""
    found = store.load_file(org, patient_id)
    tz = location["timezone"]
    today = clock.local_date(now or clock.now(), tz)
    birth = (found.profile or {}).get("date_of_birth")
    own = [item for item in found.history if plan_id is not None and item.get("plan_id") == plan_id]
    history = tuple(HistoryItem(item["code"], date.fromisoformat(item["date"]), item.get("tooth"),
                                HistorySource(item["source"]))
                    for item in found.history if item not in own)
    claims = tuple(_usage_entry(doc) for doc in found.usage if doc["status"] != RELEASED)
    step_dates: dict[str, date] = {}
    for slot in ((found.book or {}).get("slots") or {}).values():
        day = clock.local_date(clock.parse_instant(slot["start"]), tz)
        for step_id in slot.get("step_ids") or ():
            step_dates[step_id] = day
    return Insured(
        coverages=tuple(coverage_of(found.coverages[rank]) for rank in sorted(found.coverages)),
        patient=Patient(date.fromisoformat(birth) if birth else None, history, claims),
        step_dates=step_dates, plan_history={item["step_id"]: date.fromisoformat(item["date"]) for item in own},
        today=today, fee_schedule=location.get("fee_schedule") or {})


def remaining_benefits(org: str, patient_id: str, location: Mapping[str, Any],
                       now: datetime | None = None) -> int | None:
    """The patient's unused annual maximum this benefit year over their coverages; None when uninsured."""
    found = insured(org, patient_id, location, now=now)
    if not found.coverages:
        return None
    return remaining_of(found.coverages, found.patient.claims, found.today)


def insured_for(org: str, plan: Plan) -> Insured:
    """`insured` for one of the patient's plans, at its location (time zone and fee schedule)."""
    return insured(org, plan.patient_id, locations.load(org, plan.location_id).data(), plan.id)


def estimate_plan(org: str, plan: Plan, step_ids: Iterable[str] | None = None) -> Estimate:
    """A fresh estimate of the plan (or of `step_ids` alone) against the patient's coverages."""
    return insured_for(org, plan).estimate(plan, step_ids)


def _usage_entry(doc: Mapping[str, Any]) -> UsageEntry:
    return UsageEntry(rank=int(doc["rank"]), service_date=date.fromisoformat(doc["service_date"]),
                      status=UsageStatus(doc["status"]), insurance_cents=int(doc["insurance_cents"]),
                      deductible_cents=int(doc["deductible_cents"]), ortho_cents=int(doc["ortho_cents"]),
                      ortho_deductible_cents=int(doc["ortho_deductible_cents"]),
                      code_cents={k: int(v) for k, v in (doc.get("code_cents") or {}).items()})


def remaining_benefits_cents(org: str, patient_id: str, location: Mapping[str, Any], on: date | None = None) -> int:
    """Unused annual maximum this benefit year over the patient's coverages (the opportunities worklist)."""
    found = insured(org, patient_id, location)
    return remaining_of(found.coverages, found.patient.claims, on or found.today)


def book_claim(uow: UnitOfWork, org: str, claim: Mapping[str, Any], lines: Sequence[Mapping[str, Any]],
               status: str, amount_cents: int) -> None:
    """The claim's usage entry, in the claim's unit of work: `pending` (its expected amount), `paid` (what
    the insurer paid) or `released` (it left submitted unpaid: books nothing). `lines` are the signed
    estimate lines of its steps; the entry spreads the amount over them (orthodontics to the lifetime
    maximum) and counts the deductibles they applied as met."""
    current = store.load_usage(org, claim["patient_id"], claim["id"])
    rank = int(claim.get("rank") or 1)
    service_date = date.fromisoformat(claim["service_date"])
    if status == RELEASED:
        entry = UsageEntry(rank, service_date, UsageStatus.PENDING)
    else:
        entry = claim_entry(rank, service_date, UsageStatus(status), lines, amount_cents)
    doc = {"claim_id": claim["id"], "plan_id": claim["plan_id"], "rank": rank, "status": status,
           "service_date": service_date.isoformat(), "insurance_cents": entry.insurance_cents,
           "deductible_cents": entry.deductible_cents, "ortho_cents": entry.ortho_cents,
           "ortho_deductible_cents": entry.ortho_deductible_cents, "code_cents": dict(entry.code_cents),
           "updated_at": clock.now_iso()}
    read_version = int(current.version) if current is not None else None
    store.put_usage(uow, org, claim["patient_id"], doc, read_version,
                    conflict("the claim's usage changed at the same time; retry"))
