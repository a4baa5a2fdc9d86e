"""A signing link leaves through the outbox like any message: the sender mails it, in the patient's language."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.clock import frozen_at
from shared.services import plans, sender, signing
from tests.helpers import StubNotifier

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York: outside quiet hours


def test_the_sender_mails_the_link_once(moto_store, make_clinic):
    clinic = make_clinic()
    patient = clinic.patient(language="es")
    with frozen_at(NOW):
        plan = plans.create(clinic.principal, {"patient_id": patient["id"], "phases": [
            {"name": "Fase 1", "steps": [{"procedures": [{"code": "D0150"}]}]}]})
        plans.present(clinic.principal, plan["id"], 90)
        link = signing.create_link(clinic.principal, plan["id"], "email")
        stub = StubNotifier()
        sender.run(NOW, stub, orgs=[clinic.org])
        sender.run(NOW, stub, orgs=[clinic.org])
    assert len(stub.sent) == 1
    channel, to, text = stub.sent[0]
    assert (channel, to) == ("email", patient["email"])
    assert link["url"] in text and "Revíselo y fírmelo" in text
    assert [row["status"] for row in clinic.rows(patient_id=patient["id"])] == ["sent"]
