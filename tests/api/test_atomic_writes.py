"""Multi-step writes that must commit together (docs/DATA-MODEL.md, "Multi-step writes"): a booking and its
reminder rows are one transaction, so no appointment is ever stored without its reminders."""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from shared.clock import frozen_at
from shared.store import outbox as outbox_store
from tests.factories import location_body, patient_body

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


OUTBOX_KEY = outbox_store.pk("", "")  # what every outbox row's partition key holds, from its repository


def test_a_booking_and_its_reminders_commit_in_one_transaction(admin, monkeypatch):
    location = admin.post("/locations", location_body()).data
    patient = admin.post("/patients", patient_body(location["id"])).data
    operations: list[str] = []
    real_call = BaseClient._make_api_call

    def call(client, operation, params):
        if client.meta.service_model.service_name == "dynamodb":
            operations.append(operation)
            item = params.get("Item") or params.get("Key") or {}
            if operation in ("PutItem", "UpdateItem") and OUTBOX_KEY in item.get("pk", {}).get("S", ""):
                # an outbox row written outside the booking's transaction
                raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)
        return real_call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    with frozen_at(NOW):
        made = admin.post("/appointments", {"patient_id": patient["id"], "start": "2026-03-10T13:30:00Z"})
    monkeypatch.setattr(BaseClient, "_make_api_call", real_call)
    assert made.status_code == 201, made.data
    assert operations.count("TransactWriteItems") == 1
    messages = admin.get(f"/messages?appointment_id={made.data['id']}").data["items"]
    assert sorted((m["kind"], m["channel"]) for m in messages) == [
        ("reminder_2d", "email"), ("reminder_2d", "sms"), ("reminder_2h", "sms"), ("reminder_7d", "email")]


def _dynamodb_calls(monkeypatch) -> list[tuple[str, list[str]]]:
    """Every DynamoDB call from here on: (operation, the kinds of the items it writes)."""
    calls: list[tuple[str, list[str]]] = []
    real_call = BaseClient._make_api_call

    def call(client, operation, params):
        if client.meta.service_model.service_name == "dynamodb":
            items = [params.get("Item")] + [each.get("Put", {}).get("Item") for each in params.get("TransactItems", [])]
            calls.append((operation, [item["kind"]["S"] for item in items if item and "kind" in item]))
        return real_call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    return calls


def test_a_write_and_its_audit_item_commit_in_one_request(admin, monkeypatch):
    from shared.store.audit import audit_of

    location = admin.post("/locations", location_body()).data
    calls = _dynamodb_calls(monkeypatch)
    patient = admin.post("/patients", patient_body(location["id"])).data
    writes = [(operation, kinds) for operation, kinds in calls if operation not in ("GetItem", "Query")]
    assert writes == [("TransactWriteItems", ["patient", "audit"])]  # no PutItem of the audit apart
    assert [(a["action"], a["outcome"]) for a in audit_of(admin.org, patient["id"])] == [("patient.create", "ok")]


def test_a_write_whose_audit_item_cannot_be_written_does_not_land(admin, monkeypatch):
    from shared.store import audit

    location = admin.post("/locations", location_body()).data
    taken = audit.audit_item({"org": admin.org, "at": "2026-03-02T15:00:00.000Z", "request_id": "r-1",
                              "resource_ids": [], "actor": "x", "action": "x", "outcome": "ok"})
    taken.save()
    monkeypatch.setattr(audit, "item_for_writes", lambda request, ids: audit.audit_item(
        {**taken.data(), "org": admin.org, "resource_ids": list(ids)}))  # its key is taken: the put fails
    refused = admin.post("/patients", patient_body(location["id"], last_name="Unwritten"))
    assert refused.status_code == 409
    listed = admin.get(f"/patients?location_id={location['id']}&q=Unwritten").data["items"]
    assert listed == []
