"""Request models for appointments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from shared import clock
from shared.commands.common import CalendarDate, Note, PageQuery, Patch, Strict
from shared.commands.plans import LocationId, PatientId, PlanId, StepId

AppointmentId = Annotated[str, Field(pattern=r"^apt_[0-9a-z]{26}$")]
Duration = Annotated[int, Field(ge=5, le=480, strict=True, description="Minutes, 5 to 480")]
Notes = Note(2000)
BOOKING_HORIZON = timedelta(days=731)


def _bookable(value: datetime) -> datetime:
    """Within two years of now: nothing later is an appointment (and year 9999 or 0001 would overflow UTC)."""
    try:
        instant = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is out of range") from exc
    now = clock.now()
    if not now - BOOKING_HORIZON <= instant <= now + BOOKING_HORIZON:
        raise ValueError("must be within two years of now")
    return value


Start = Annotated[AwareDatetime, AfterValidator(_bookable),
                  Field(description="ISO 8601 with a UTC offset, at most two years ahead",
                        examples=["2026-03-10T09:30:00-04:00"])]


class AppointmentCreate(Strict):
    patient_id: PatientId
    location_id: LocationId | None = Field(None, description="Defaults to the patient's location")
    start: Start
    duration_minutes: Duration = 60
    plan_id: PlanId | None = None
    step_ids: Annotated[list[StepId], Field(max_length=20)] = Field(
        default_factory=list, description="Accepted steps of plan_id this visit carries out")
    notes: Notes | None = None


class AppointmentPatch(Patch):
    """Reschedule (start, duration_minutes) or change notes. A new start needs the patient to confirm again."""

    start: Start | None = None
    duration_minutes: Duration | None = None
    notes: Notes | None = None


class AppointmentList(PageQuery):
    location_id: LocationId | None = None
    date: CalendarDate | None = Field(None, description="The location's local date; default today there")
    patient_id: PatientId | None = None

    @model_validator(mode="after")
    def _one_owner(self) -> AppointmentList:
        if bool(self.location_id) == bool(self.patient_id):
            raise ValueError("give exactly one of location_id (with an optional date) or patient_id")
        if self.date and not self.location_id:
            raise ValueError("date goes with location_id")
        return self


class CancelIn(Strict):
    reason: Note(500) = ""
