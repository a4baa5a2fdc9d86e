"""Which KPI counters a plan change moves: the case acceptance rules and each patient's treatment.

A plan change is judged from the plan as stored (`before`) and as it will be stored (`after`), so the
same rules serve every service that changes plans (present, accept, decline in the plan service; step
scheduling and completion in the appointments service). Definitions are in `shared.domain.kpis`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from shared.clock import local_date
from shared.domain.kpis import Delta, Scope
from shared.domain.plans import COMMITTED_STATUSES, DeclineReason, Plan, PlanStatus


@dataclass(frozen=True)
class PatientTreatment:
    """What the KPIs keep about one patient at one location: which plans are signed, which of those are
    not completed yet, and each coordinator's latest day closing this patient."""

    signed: frozenset[str] = frozenset()
    open: frozenset[str] = frozenset()
    last_close: Mapping[str, str] = field(default_factory=dict)  # coordinator_id -> ISO local date

    def to_dict(self) -> dict:
        return {"signed": sorted(self.signed), "open": sorted(self.open), "last_close": dict(self.last_close)}

    @classmethod
    def from_dict(cls, data: Mapping) -> PatientTreatment:
        return cls(frozenset(data.get("signed", ())), frozenset(data.get("open", ())),
                   dict(data.get("last_close", {})))


def is_signed(plan: Plan | None) -> bool:
    return plan is not None and plan.status in COMMITTED_STATUSES


def is_open(plan: Plan | None) -> bool:
    """Signed, with accepted steps still to carry out."""
    return is_signed(plan) and plan is not None and plan.status is not PlanStatus.COMPLETED


def newly_accepted(before: Plan | None, after: Plan) -> bool:
    return is_signed(after) and not is_signed(before)


def needs_patient_treatment(before: Plan | None, after: Plan) -> bool:
    """Whether the change moves the patient's signed/open plans (so the caller must read them first)."""
    return is_signed(before) != is_signed(after) or is_open(before) != is_open(after)


def accepted_fees(plan: Plan) -> int:
    """Fees of the steps the patient signed for, from the signed quote."""
    if plan.acceptance is None:
        return 0
    quote = next(q for q in plan.quotes if q.number == plan.acceptance.quote_number)
    signed = set(plan.acceptance.step_ids)
    return sum(proc.fee_cents for phase in quote.phases for step in phase.steps if step.id in signed
               for proc in step.procedures)


def plan_change_deltas(before: Plan | None, after: Plan, timezone: str,
                       patient: PatientTreatment | None = None) -> tuple[list[Delta], PatientTreatment | None]:
    """The counter changes one plan change makes, and the patient's treatment after it.

    `before` is the plan as stored (None for a new plan), `after` as it will be stored. `patient` is the
    patient's treatment at the plan's location as stored; it is required when
    `needs_patient_treatment(before, after)`, and returned changed (None when not given)."""
    if before is not None and before.id != after.id:
        raise ValueError(f"before and after are different plans: {before.id}, {after.id}")
    deltas: list[Delta] = []
    owner = after.coordinator_id
    prior_quotes = before.quotes if before is not None else ()
    cohort = local_date(after.quotes[0].presented_at, timezone) if after.quotes else None

    def both(counter: str, amount: int, day: date) -> None:
        deltas.append(Delta(Scope.LOCATION, counter, amount, day))
        deltas.append(Delta(Scope.COORDINATOR, counter, amount, day, owner))

    if cohort is not None and len(after.quotes) > len(prior_quotes):
        new_fees = after.quotes[-1].totals["fee_cents"]
        if not prior_quotes:
            both("presented", 1, cohort)
            both("presented_cents", new_fees, cohort)
        else:  # a new version re-presented: the case's value is its latest quote's
            both("presented_cents", new_fees - prior_quotes[-1].totals["fee_cents"], cohort)

    if newly_accepted(before, after) and cohort is not None and after.acceptance is not None:
        signed_on = local_date(after.acceptance.signed_at, timezone)
        both("accepted", 1, cohort)
        both("accepted_cents", accepted_fees(after), cohort)
        both("accepted_on_day", 1, signed_on)
        both("accept_days_sum", (signed_on - cohort).days, signed_on)

    was_declined = before is not None and before.status is PlanStatus.DECLINED
    by_patient = after.decline is not None and after.decline.reason is not DeclineReason.ALTERNATIVE_ACCEPTED
    if after.status is PlanStatus.DECLINED and not was_declined and cohort is not None and by_patient:
        both("declined", 1, cohort)

    changed_on = local_date(after.updated_at, timezone)
    if after.status is PlanStatus.COMPLETED and (before is None or before.status is not PlanStatus.COMPLETED):
        deltas.append(Delta(Scope.LOCATION, "plans_completed", 1, changed_on))
        if cohort is not None:  # the case's cohort: what share of a period's accepted cases is still open
            both("cohort_completed", 1, cohort)

    if patient is None:
        if needs_patient_treatment(before, after):
            raise ValueError(f"plan {after.id}: this change moves the patient's treatment; pass it")
        return deltas, None
    closes_on = None
    if newly_accepted(before, after) and after.acceptance is not None:
        closes_on = local_date(after.acceptance.signed_at, timezone)
    patient, treatment_deltas = _treatment_change(patient, after, changed_on, closes_on)
    return deltas + treatment_deltas, patient


def _treatment_change(patient: PatientTreatment, after: Plan, changed_on: date,
                      closes_on: date | None) -> tuple[PatientTreatment, list[Delta]]:
    """Move the plan in or out of the patient's signed and open plans; a level moves when the patient's
    set goes from empty to not (or back). `closes_on`: the signature's day when this change signs."""
    signed = set(patient.signed)
    open_ = set(patient.open)
    (signed.add if is_signed(after) else signed.discard)(after.id)
    (open_.add if is_open(after) else open_.discard)(after.id)
    deltas: list[Delta] = []
    for level, old, new in (("patients_accepted", patient.signed, signed),
                            ("patients_incomplete", patient.open, open_)):
        change = int(bool(new)) - int(bool(old))
        if change:
            deltas.append(Delta(Scope.LEVEL, level, change))
            deltas.append(Delta(Scope.LOCATION, f"{level}_change", change, changed_on))
    last_close = dict(patient.last_close)
    if closes_on is not None and last_close.get(after.coordinator_id) != closes_on.isoformat():
        last_close[after.coordinator_id] = closes_on.isoformat()
        deltas.append(Delta(Scope.COORDINATOR, "patients_closed", 1, closes_on, after.coordinator_id))
    return PatientTreatment(frozenset(signed), frozenset(open_), last_close), deltas
