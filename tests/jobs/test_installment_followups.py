"""In-house installments: a reminder 3 days before each is due; unpaid, a task and a message after."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from shared.clock import frozen_at
from shared.services import sender
from shared.services.installment_followups import installment_followups_for_location
from shared.services.locations import load
from tests.factories import insured_patient, quoted_plan
from tests.helpers import StubNotifier


def _run(admin, location_id: str, day: date) -> int:
    """The nightly job's installment rules as it runs them: 02:00 in New York (the location's zone)."""
    instant = datetime.fromisoformat(f"{day.isoformat()}T02:00:00-05:00").astimezone(UTC)
    with frozen_at(instant):
        return installment_followups_for_location(admin.org, load(admin.org, location_id), instant)


def test_due_reminders_and_overdue_tasks_follow_the_ledger(admin):
    location, patient = insured_patient(admin)
    plan = quoted_plan(admin, patient["id"], accept_steps=0)
    first_due = date(date.today().year + 1, 3, 10)
    terms = {"count": 4, "down_payment_cents": 2000, "first_due": first_due.isoformat()}
    payment_plan = admin.post(f"/plans/{plan['id']}/payment-plan", terms)
    assert payment_plan.status_code in (200, 201), payment_plan.data
    installments = payment_plan.data["schedule"]["installments"]
    first = installments[0]

    # Three days before the first due date: one reminder planned, no task; twice changes nothing.
    for _ in range(2):
        assert _run(admin, location["id"], first_due - timedelta(days=3)) == 0
    messages = admin.get(f"/messages?patient_id={patient['id']}").data["items"]
    due_messages = [m for m in messages if m["kind"] == "installment_due"]
    assert len(due_messages) == 1 and due_messages[0]["status"] == "planned"
    assert due_messages[0]["send_at"].startswith((first_due - timedelta(days=3)).isoformat())

    # Issue 11: the reminder used to fail with "render_failed: this message needs amount_cents". It goes
    # out through the notifier with the amount and the due date (the patient reads Spanish).
    stub = StubNotifier()
    send_at = datetime.fromisoformat(due_messages[0]["send_at"].replace("Z", "+00:00"))
    with frozen_at(send_at):
        assert sender.run(send_at, stub, orgs=[admin.org]).sent == 1
    ((channel, to, text),) = stub.sent
    assert (channel, to) == ("email", patient["email"])
    assert f"${first['amount_cents'] // 100:,}.{first['amount_cents'] % 100:02d}" in text
    assert f"{first_due.day} mar" in text

    # Two days after, nothing paid: overdue tasks (day 1 and day 7) open once.
    after = first_due + timedelta(days=2)
    assert _run(admin, location["id"], after) == 2
    assert _run(admin, location["id"], after) == 0
    tasks = admin.get(f"/followups?location_id={location['id']}&kind=installment_overdue").data["items"]
    assert {t["due_date"] for t in tasks} == {(first_due + timedelta(days=n)).isoformat() for n in (1, 7)}

    # Once the down payment and the first installment are paid, the next installment's window opens no task.
    paid = admin.post("/payments", {"plan_id": plan["id"], "amount_cents": 2000 + first["amount_cents"],
                                    "method": "cash"}, headers={"Idempotency-Key": "installment-1"})
    assert paid.status_code == 201, paid.data
    assert _run(admin, location["id"], after) == 0
