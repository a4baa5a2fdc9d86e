"""Phasing a plan across benefit years (`GET|POST /plans/{plan_id}/phasing`), on the benefits engine.

Reads: the plan, the location (time zone, fee schedule) and ONE Query of the patient's partition.
"""

from __future__ import annotations

from typing import Any

from shared.auth import Principal
from shared.domain.benefits.phasing import PhaseInput, StepInput, propose
from shared.domain.plans import Plan, StepStatus
from shared.errors import StaleVersion
from shared.services import benefits, plans

NOT_PHASED = (StepStatus.DECLINED, StepStatus.CANCELLED)


def _phase_inputs(plan: Plan, insured: benefits.Insured) -> list[PhaseInput]:
    phases = []
    for phase in plan.phases:
        steps = [StepInput(step.id, insured.lines(plan, [step.id]), step.urgent) for step in phase.steps
                 if step.status not in NOT_PHASED]
        phases.append(PhaseInput(phase.name, steps))
    return phases


def phasing(principal: Principal, plan_id: str) -> dict[str, Any]:
    """`GET /plans/{plan_id}/phasing`: this benefit year or the next, per phase, for the most insurance."""
    plan = plans.load(principal, plan_id)
    insured = benefits.insured_for(principal.org, plan)
    proposal = propose(_phase_inputs(plan, insured), insured.coverages, today=insured.today,
                       patient=insured.patient, fee_schedule=insured.fee_schedule)
    return {"plan_id": plan.id, "version": plan.version, **proposal.to_dict()}


def apply_phasing(principal: Principal, plan_id: str, version: int) -> dict[str, Any]:
    """`POST /plans/{plan_id}/phasing`: the proposal for `version` becomes the plan's next version, its
    deferred phases waiting for the renewal date (`not_before`); an edit like any other (draft or
    presented plans only; a presented plan must be presented again)."""
    plan = plans.load(principal, plan_id)
    if plan.version != version:
        raise StaleVersion(f"plan was changed since the proposal (current version {plan.version})")
    insured = benefits.insured_for(principal.org, plan)
    proposal = propose(_phase_inputs(plan, insured), insured.coverages, today=insured.today,
                       patient=insured.patient, fee_schedule=insured.fee_schedule)
    renewal = proposal.renewal_date.isoformat() if proposal.renewal_date else None
    phases = [{"name": phase.name, "not_before": renewal if proposed.deferred else None,
               "steps": [{"id": step.id, "urgent": step.urgent,
                          "procedures": [{"code": p.code, "tooth": p.tooth, "surfaces": p.surfaces,
                                          "fee_cents": p.fee_cents} for p in step.procedures]}
                         for step in phase.steps]}
              for phase, proposed in zip(plan.phases, proposal.phases, strict=True)]
    return plans.edit(principal, plan_id, {"phases": phases}, version)
