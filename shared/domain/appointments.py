"""An appointment as stored and as services work on it: one frozen value per visit.

Its fields are the keys of the stored document (instants in UTC, the wire form on disk); how it moves
is `appointment_lifecycle`. `timezone` is the location's zone when it was booked: a location's day and
an appointment's local start are read in it. `previous_starts` keeps the times a reschedule moved it
from (the outbox rows of those times stay as history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.clock import require_utc
from shared.domain.appointment_lifecycle import AppointmentStatus
from shared.domain.codec import JsonValue


@dataclass(frozen=True)
class Appointment(JsonValue):
    id: str
    patient_id: str
    location_id: str
    timezone: str
    start: datetime
    duration_minutes: int
    status: AppointmentStatus
    created_at: datetime
    updated_at: datetime
    step_ids: tuple[str, ...] = ()
    plan_id: str | None = None
    created_by: str | None = None
    notes: str | None = None
    previous_starts: tuple[datetime, ...] | None = None
    confirmed_at: datetime | None = None
    confirmed_via: str | None = None  # staff, or sms (the patient's C/YES reply)
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    no_show_at: datetime | None = None
    missed_code: str | None = None  # D9986 (missed or late-cancelled) or D9987 (cancelled in time)
    repeat_no_show: bool | None = None
    version: int = 0

    def __post_init__(self) -> None:
        require_utc(self.start, "start")
        if self.duration_minutes <= 0:
            raise ValueError("an appointment lasts a positive number of minutes")

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration_minutes)
