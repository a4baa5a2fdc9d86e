"""The plan ledger as stored: what a plan's quote says each party owes, ledger writes, and the ledger view.

For the appointments work (completing a step charges it):

    add_step_charges(uow: UnitOfWork, org: str, plan: Plan, step_ids: Sequence[str], now: datetime) -> None

adds the ledger charge entries of the named steps from the plan's signed figures (the accepted steps
re-estimated alone at acceptance; the covering quote's for acceptances recorded before that): per
estimate line of a step, a patient charge, an insurance charge and the PPO write-off
(`shared.domain.ledger.charge_entries`, zero parts post nothing). Entry ids are deterministic
(`led_{step_id}_{line index within the step}_{part}`) and each put is conditional on the entry not
existing, so completing the same step twice fails the second transaction instead of charging twice.
RuleViolation when the plan has no covering quote; InvalidInput for a step without a line in it.

Quote portions: a plan's patient and insurance portions come from its signed estimate lines once it is
accepted (steps cancelled since are left out), from its covering quote's lines before that (`line_id` is
the step id).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared import clock
from shared.auth import Principal
from shared.domain.ledger import LedgerEntry, balances, charge_entries
from shared.domain.plans import Plan, StepStatus
from shared.errors import InvalidInput, RuleViolation
from shared.services import plans
from shared.store import ledger as store
from shared.store.unit_of_work import Failure, UnitOfWork

PORTIONS = ("fee_cents", "writeoff_cents", "insurance_cents", "patient_cents")


@dataclass(frozen=True)
class Portions:
    """What a set of quoted steps costs and who is expected to pay it."""

    quote_number: int
    step_ids: tuple[str, ...]
    fee_cents: int
    writeoff_cents: int
    insurance_cents: int
    patient_cents: int


def quote_lines(plan: Plan) -> list[dict[str, Any]]:
    """The signed estimate lines (the accepted steps re-estimated alone at acceptance), or before acceptance
    those of the covering quote; RuleViolation when no quote covers the plan."""
    signed = plan.signed_estimate() if plan.covering_quote() is not None else None
    if signed is None:
        raise RuleViolation("payments: the plan has no quote; present it first (an edited plan must be "
                            "presented again)")
    return list(signed["lines"])


def payable_step_ids(plan: Plan) -> tuple[str, ...]:
    """The steps the patient pays for: the accepted ones not cancelled since, or all before acceptance."""
    if plan.acceptance is None:
        return tuple(step.id for step in plan.steps)
    accepted = set(plan.acceptance.step_ids)
    return tuple(step.id for step in plan.steps
                 if step.id in accepted and step.status is not StepStatus.CANCELLED)


def portions(plan: Plan, step_ids: Iterable[str] | None = None) -> Portions:
    """The quoted portions of `step_ids` (default: the payable steps) from the covering quote."""
    lines = quote_lines(plan)
    wanted = tuple(step_ids) if step_ids is not None else payable_step_ids(plan)
    quoted = {line["line_id"] for line in lines}
    unknown = [step_id for step_id in wanted if step_id not in quoted]
    if unknown:
        raise InvalidInput("steps not in the plan's quote",
                           [{"field": "step_ids", "message": f"unknown step {s}"} for s in unknown])
    chosen = [line for line in lines if line["line_id"] in set(wanted)]
    sums = {name: sum(int(line[name]) for line in chosen) for name in PORTIONS}
    quote = plan.covering_quote()
    return Portions(quote_number=quote.number if quote else 0, step_ids=wanted, **sums)


# --- ledger writes ----------------------------------------------------------------------------------


def post_entry(uow: UnitOfWork, org: str, plan_id: str, entry: LedgerEntry, on_fail: Failure | None = None) -> None:
    """A new ledger entry, refused (the whole unit of work) if an entry with its id exists."""
    store.post(uow, org, plan_id, entry.to_dict(), on_fail)


def step_charge_entries(plan: Plan, step_ids: Sequence[str], now: datetime) -> list[LedgerEntry]:
    lines = quote_lines(plan)
    entries: list[LedgerEntry] = []
    for step_id in step_ids:
        step_lines = [line for line in lines if line["line_id"] == step_id]
        if not step_lines:
            raise InvalidInput("step not in the plan's quote",
                               [{"field": "step_ids", "message": f"unknown step {step_id}"}])
        for index, line in enumerate(step_lines):
            entries += charge_entries(f"{step_id}_{index}", *(int(line[name]) for name in PORTIONS),
                                      created_at=clock.iso(now), plan_id=plan.id, step_id=step_id)
    return entries


def add_step_charges(uow: UnitOfWork, org: str, plan: Plan, step_ids: Sequence[str], now: datetime,
                     on_fail: Failure | None = None) -> None:
    """Add the charges of completed steps to the unit of work; see the module docstring."""
    for entry in step_charge_entries(plan, step_ids, now):
        post_entry(uow, org, plan.id, entry, on_fail)


# --- reads ------------------------------------------------------------------------------------------


def entries_of(org: str, plan_id: str) -> list[LedgerEntry]:
    return [LedgerEntry.from_dict(data) for data in store.entries(org, plan_id)]


def view(principal: Principal, plan_id: str) -> dict[str, Any]:
    """`GET /plans/{plan_id}/ledger`: every entry, oldest first, and the balances derived from them."""
    plan = plans.load(principal, plan_id)
    entries = entries_of(principal.org, plan.id)
    return {"plan_id": plan.id, "patient_id": plan.patient_id, "entries": [entry.to_dict() for entry in entries],
            "balances": balances(entries).to_dict()}
