"""What the estimate engine needs of a patient's benefits (coverages, usage, history, appointment dates),
read in one Query of the patient's partition (shared/store/benefits.py), and what treatment books to them:
claims' usage entries and completed steps' history. Editing coverages and importing history is
shared/services/coverages.py.

History: imported items (`POST /patients/{id}/history`) and the procedures of completed steps, written
with the step's completion (ids `hst_{step_id}_{n}`); an estimate of a plan leaves out the history of
that plan's own steps (they are lines of the estimate).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared import clock
from shared.domain.benefits.coverage import Coverage
from shared.domain.benefits.engine import Estimate, LineInput, Patient, estimate
from shared.domain.benefits.usage import (
    HistoryItem,
    HistorySource,
    UsageEntry,
    UsageStatus,
    claim_entry,
)
from shared.domain.benefits.usage import remaining_benefits_cents as remaining_of
from shared.domain.claim_lifecycle import InsuranceClaim
from shared.domain.locations import Location
from shared.domain.plans import Plan
from shared.services import locations
from shared.store import benefits as store
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, conflict

STORED_ONLY = ("patient_id", "updated_at")  # fields of the stored document that are not the coverage's
RELEASED = "released"  # a usage entry of a claim that left submitted unpaid: it books nothing


def coverage_of(record: Record) -> Coverage:
    return Coverage.from_dict({k: v for k, v in record.data().items() if k not in STORED_ONLY})


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

    def remaining_benefits_cents(self) -> int:
        """Unused annual maximum this benefit year over the coverages (0 when uninsured)."""
        return remaining_of(self.coverages, self.patient.claims, self.today)

    def estimate(self, plan: Plan, step_ids: Iterable[str] | None = None) -> Estimate:
        return estimate(self.lines(plan, step_ids), self.coverages, today=self.today, patient=self.patient,
                        fee_schedule=self.fee_schedule)


def insured(org: str, patient_id: str, location: Location, plan_id: str | None = None,
            now: datetime | None = None) -> Insured:
    """Everything the engine needs about the patient, from ONE Query of the patient's partition."""
    found = store.load_file(org, patient_id)
    tz = location.timezone
    today = clock.local_date(now or clock.now(), tz)
    birth = found.profile.date_of_birth if found.profile is not None else None
    own = [item for item in found.history if plan_id is not None and item.get("plan_id") == plan_id]
    history = tuple(HistoryItem(item["code"], date.fromisoformat(item["date"]), item.get("tooth"),
                                HistorySource(item["source"]))
                    for item in found.history if item not in own)
    claims = tuple(usage_entry(doc) for doc in found.usage if doc["status"] != RELEASED)
    step_dates: dict[str, date] = {}
    for slot in ((found.book or {}).get("slots") or {}).values():
        day = clock.local_date(clock.parse_instant(slot["start"]), tz)
        for step_id in slot.get("step_ids") or ():
            step_dates[step_id] = day
    return Insured(
        coverages=tuple(coverage_of(found.coverages[rank]) for rank in sorted(found.coverages)),
        patient=Patient(birth, history, claims),
        step_dates=step_dates, plan_history={item["step_id"]: date.fromisoformat(item["date"]) for item in own},
        today=today, fee_schedule=location.fee_schedule)


def remaining_benefits(org: str, patient_id: str, location: Location,
                       now: datetime | None = None) -> int | None:
    """The patient's unused annual maximum this benefit year over their coverages; None when uninsured."""
    found = insured(org, patient_id, location, now=now)
    return found.remaining_benefits_cents() if found.coverages else None


def insured_for(org: str, plan: Plan) -> Insured:
    """`insured` for one of the patient's plans, at its location (time zone and fee schedule)."""
    return insured(org, plan.patient_id, locations.load(org, plan.location_id), plan.id)


def estimate_plan(org: str, plan: Plan, step_ids: Iterable[str] | None = None) -> Estimate:
    """A fresh estimate of the plan (or of `step_ids` alone) against the patient's coverages."""
    return insured_for(org, plan).estimate(plan, step_ids)


def usage_entry(doc: Mapping[str, Any]) -> UsageEntry:
    return UsageEntry(rank=int(doc["rank"]), service_date=date.fromisoformat(doc["service_date"]),
                      status=UsageStatus(doc["status"]), insurance_cents=int(doc["insurance_cents"]),
                      deductible_cents=int(doc["deductible_cents"]), ortho_cents=int(doc["ortho_cents"]),
                      ortho_deductible_cents=int(doc["ortho_deductible_cents"]),
                      code_cents={k: int(v) for k, v in (doc.get("code_cents") or {}).items()})


def book_claim(uow: UnitOfWork, org: str, claim: InsuranceClaim, lines: Sequence[Mapping[str, Any]],
               status: str, amount_cents: int) -> None:
    """The claim's usage entry, in the claim's unit of work: `pending` (its expected amount), `paid` (what
    the insurer paid) or `released` (it left submitted unpaid: books nothing). `lines` are the signed
    estimate lines of its steps; the entry spreads the amount over them (orthodontics to the lifetime
    maximum) and counts the deductibles they applied as met."""
    current = store.load_usage(org, claim.patient_id, claim.id)
    rank, service_date = claim.rank, claim.service_date
    if status == RELEASED:
        entry = UsageEntry(rank, service_date, UsageStatus.PENDING)
    else:
        entry = claim_entry(rank, service_date, UsageStatus(status), lines, amount_cents)
    doc = {"claim_id": claim.id, "plan_id": claim.plan_id, "rank": rank, "status": status,
           "service_date": service_date.isoformat(), "insurance_cents": entry.insurance_cents,
           "deductible_cents": entry.deductible_cents, "ortho_cents": entry.ortho_cents,
           "ortho_deductible_cents": entry.ortho_deductible_cents, "code_cents": dict(entry.code_cents),
           "updated_at": clock.now_iso()}
    read_version = int(current.version) if current is not None else None
    store.put_usage(uow, org, claim.patient_id, doc, read_version,
                    conflict("the claim's usage changed at the same time; retry"))
