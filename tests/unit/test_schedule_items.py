"""Appointments and outbox rows stored before they were typed load as their values and write back the
same doc (no migration): the repositories' decode and encode, on items built in memory."""

from __future__ import annotations

from datetime import date

from shared.domain.appointment_lifecycle import AppointmentStatus
from shared.domain.outbox_lifecycle import MessageStatus
from shared.domain.reminders import Channel
from shared.services import appointments, messages
from shared.store import appointments as appointment_store
from shared.store import outbox as outbox_store
from shared.store import records
from shared.store.table import Record

APPOINTMENT_DOC = {  # as the dict-based service wrote it: a rescheduled, confirmed visit
    "id": "apt_01j0000000000000000000000a", "patient_id": "pat_01j0000000000000000000000a",
    "location_id": "loc_01j0000000000000000000000a", "timezone": "America/New_York", "step_ids": [],
    "start": "2026-03-10T14:00:00.000Z", "duration_minutes": 60, "status": "confirmed",
    "created_at": "2026-03-01T12:00:00.000Z", "updated_at": "2026-03-02T12:00:00.000Z", "created_by": "user-1",
    "previous_starts": ["2026-03-09T14:00:00.000Z"], "confirmed_at": "2026-03-02T12:00:00.000Z",
    "confirmed_via": "sms", "notes": "prefers mornings"}

MESSAGE_DOC = {  # a reminder SMS as the sender left it
    "id": "msg_0123456789abcdef0123456789", "patient_id": "pat_01j0000000000000000000000a",
    "location_id": "loc_01j0000000000000000000000a", "subject_id": "apt_01j0000000000000000000000a",
    "kind": "reminder_2d", "channel": "sms", "purpose": "appointment", "send_at": "2026-03-08T14:00:00.000Z",
    "due_at": "2026-03-08T14:00:00.000Z", "status": "sent", "attempts": 1, "created_at": "2026-03-01T12:00:00.000Z",
    "updated_at": "2026-03-08T14:00:01.000Z", "appointment_id": "apt_01j0000000000000000000000a",
    "appointment_start": "2026-03-10T14:00:00.000Z", "sms_to": "SYSTEM#CONTACT#abc",
    "lease_until": "2026-03-08T14:05:00.000Z", "provider_message_id": "sns-1", "sent_at": "2026-03-08T14:00:01.000Z"}


def test_a_stored_appointment_loads_as_its_value_and_writes_the_same_doc():
    pk, sk = appointment_store.key("org_a", APPOINTMENT_DOC["id"])
    record = Record(pk=pk, sk=sk, kind="appointment", doc=dict(APPOINTMENT_DOC), version=4)
    appointment = appointment_store.of(record)
    assert (appointment.status, appointment.version) == (AppointmentStatus.CONFIRMED, 4)
    assert records.document(appointment) == APPOINTMENT_DOC
    item = appointment_store.item("org_a", appointment)
    assert item.gsi1sk == f"2026-03-10#{APPOINTMENT_DOC['start']}#{appointment.id}"  # the location's local day
    shown = appointments.view(appointment)
    assert shown["start"] == "2026-03-10T10:00:00-04:00" and shown["start_utc"] == APPOINTMENT_DOC["start"]
    assert "previous_starts" not in shown and "created_by" not in shown and shown["plan_id"] is None


def test_a_stored_outbox_row_loads_as_its_value_and_writes_the_same_doc():
    pk = outbox_store.pk("org_a", MESSAGE_DOC["id"])
    record = Record(pk=pk, sk=outbox_store.MESSAGE, kind="message", doc=dict(MESSAGE_DOC), version=3,
                    gsi3sk=f"2026-03-08#{MESSAGE_DOC['send_at']}#{MESSAGE_DOC['id']}")
    row = outbox_store.of(record)
    assert (row.status, row.channel, row.version, row.local_send_date) == (
        MessageStatus.SENT, Channel.SMS, 3, date(2026, 3, 8))
    assert outbox_store.document(row) == MESSAGE_DOC
    item = outbox_store.item("org_a", row)
    assert (item.gsi3sk, item.gsi1pk) == (record.gsi3sk, None)  # sent: out of the send queue
    shown = messages.view(row)
    assert shown["send_at"] == MESSAGE_DOC["send_at"] and shown["reason"] is None and shown["attempts"] == 1
