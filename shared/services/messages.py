"""The outbox as the API shows it: `GET /messages` by patient, by appointment, or by location and local day.

Planning and sending rows is shared/services/outbox.py and sender.py; this is only the read side.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared import clock
from shared.auth import Principal
from shared.domain.codec import to_json
from shared.domain.messages import Message
from shared.services import locations, patients
from shared.services.visibility import Kind, get_visible, visible
from shared.store import outbox as outbox_store

VIEW_FIELDS = ("id", "patient_id", "appointment_id", "location_id", "subject_id", "kind", "channel", "purpose",
               "send_at", "status", "provider_message_id", "reason", "attempts", "sent_at", "created_at",
               "updated_at")


def view(message: Message) -> dict[str, Any]:
    """A row as the API shows it: these fields, null when the row has none."""
    data = to_json(message)
    return {name: data.get(name) for name in VIEW_FIELDS}


def list_messages(principal: Principal, patient_id: str | None, appointment_id: str | None,
                  location_id: str | None, local_date: str | None, limit: int,
                  start_key: dict | None) -> tuple[list[Message], dict | None]:
    """A patient's messages (newest first), an appointment's, or a location's on one local date (by send time)."""
    if patient_id:
        patients.load(principal, patient_id)
        rows, last_key = outbox_store.page_for_patient(principal.org, patient_id, limit, start_key)
        return visible(principal, rows), last_key
    if appointment_id:
        appointment = get_visible(principal, Kind.APPOINTMENT, appointment_id)
        starts = [*(appointment.previous_starts or ()), appointment.start]
        rows = outbox_store.for_patient_between(principal.org, appointment.patient_id, min(starts) - timedelta(days=10),
                                                max(starts) + timedelta(days=3))
        return [row for row in rows if row.appointment_id == appointment_id], None
    location = locations.load_visible(principal, location_id or "")
    day = local_date or clock.local_date(clock.now(), location.timezone).isoformat()
    return outbox_store.page_for_location_day(principal.org, location.id, day, limit, start_key)
