"""Installment follow-ups (DESIGN.md §2): a message 3 days before each in-house installment is due, and a
task and a message 1 and 7 days after one still unpaid. The nightly location job runs this; ids are
deterministic, so running it twice (or every night of the window) makes nothing twice.

"Unpaid" is read from the plan's ledger: an installment is overdue when what the patient has paid on the
plan (net of refunds) is below the down payment plus every installment due up to and including it.
Work grows with the location's active payment plans, each read through one index Query page.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from shared import clock
from shared.domain.followup_rules import plan_installment_due, plan_installment_overdue
from shared.domain.installments import PaymentPlan
from shared.domain.ledger import balances
from shared.domain.locations import Location
from shared.services import followups, ledger, outbox
from shared.store import patients as patient_store
from shared.store import payment_plans as payment_plan_store

REMIND_DAYS_BEFORE = 3
OVERDUE_DAYS = (1, 7)


def installment_followups_for_location(org: str, location: Location, now: datetime) -> int:
    """Plan the due reminders and overdue follow-ups of the location's payment plans; returns tasks opened."""
    zone = clock.zone(location.timezone)
    today = clock.local_date(now, location.timezone)
    opened = 0
    for payment_plan in payment_plan_store.payment_plans_of_location(org, location.id):
        due_soon, overdue = _installments_to_follow(org, payment_plan, today)
        if not due_soon and not overdue:
            continue
        patient = patient_store.load(org, payment_plan.patient_id)
        if patient is None:
            continue
        first = datetime.combine(today, time(), zone)
        ctx, stored = outbox.patient_context(org, location, patient, now, first, first + timedelta(days=10))
        for installment_id, due, amount in due_soon:
            plan = plan_installment_due(installment_id, due, ctx)
            followups.store_messages(org, location.timezone, plan.messages, _links(payment_plan, due, amount),
                                     stored, now)
        for installment_id, due, amount in overdue:
            plan = plan_installment_overdue(installment_id, due, ctx)
            followups.store_messages(org, location.timezone, plan.messages, _links(payment_plan, due, amount),
                                     stored, now)
            links = {"plan_id": payment_plan.plan_id, "amount_cents": amount}  # the task's own due_date stays
            owner = "front_desk"
            opened += len(followups.open_tasks(org, (followups.new_task(task, owner, now, links)
                                                    for task in plan.tasks)))
    return opened


def _links(payment_plan: PaymentPlan, due: date, amount_cents: int) -> dict[str, Any]:
    """What an installment message says and is about: the row carries them, so the sender can render
    "your payment of $250.00 is due Mar 10" without reading the payment plan again."""
    return {"plan_id": payment_plan.plan_id, "amount_cents": amount_cents, "due_date": due}


def _installments_to_follow(org: str, payment_plan: PaymentPlan, today: date) -> tuple[list, list]:
    """(installments due within the reminder window, installments overdue and unpaid), as (id, due date,
    amount in cents)."""
    schedule = payment_plan.schedule
    due_soon, candidates = [], []
    owed = schedule.down_payment_cents
    for installment in schedule.installments:
        due = installment.due_date
        owed += installment.amount_cents
        installment_id = f"{payment_plan.plan_id}:t{payment_plan.terms_version}:i{installment.number}"
        if today <= due <= today + timedelta(days=REMIND_DAYS_BEFORE):
            due_soon.append((installment_id, due, installment.amount_cents))
        if due < today <= due + timedelta(days=max(OVERDUE_DAYS)):
            candidates.append((installment_id, due, installment.amount_cents, owed))
    if not candidates:
        return due_soon, []
    so_far = balances(ledger.entries_of(org, payment_plan.plan_id))
    paid = so_far.paid_cents - so_far.refunded_cents
    return due_soon, [(installment_id, due, amount) for installment_id, due, amount, owed in candidates
                      if paid < owed]
