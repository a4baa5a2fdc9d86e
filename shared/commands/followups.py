"""Request models for follow-ups (the worklist) and the messages view."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from shared.commands.appointments import AppointmentId
from shared.commands.common import CalendarDate, Note, PageQuery, Patch, Strict
from shared.commands.plans import LocationId, PatientId
from shared.domain.followups import KINDS, OUTCOMES, STATUSES

FollowUpKindIn = StrEnum("FollowUpKindIn", {kind: kind for kind in KINDS})  # type: ignore[misc]
FollowUpStatusIn = StrEnum("FollowUpStatusIn", {status: status for status in STATUSES})  # type: ignore[misc]
OutcomeIn = StrEnum("OutcomeIn", {outcome: outcome for outcome in OUTCOMES})  # type: ignore[misc]


Owner = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@|:-]+$")]


class FollowUpList(PageQuery):
    location_id: LocationId
    kind: FollowUpKindIn | None = None
    status: FollowUpStatusIn | None = Field(None, description="open or resolved; default both")
    owner: Owner | None = Field(None, description="only this owner's tasks (a user's `sub`, or front_desk)")


class FollowUpPatch(Patch):
    """Reassign (owner) and/or snooze (due_date, the location's local date) an open task."""

    owner: Owner | None = None
    due_date: CalendarDate | None = None

    @model_validator(mode="after")
    def _something(self) -> FollowUpPatch:
        if not self.model_fields_set & {"owner", "due_date"}:
            raise ValueError("give owner and/or due_date")
        return self


class ResolveIn(Strict):
    outcome: OutcomeIn
    note: Note(2000) = ""


class MessageList(PageQuery):
    patient_id: PatientId | None = None
    appointment_id: AppointmentId | None = None
    location_id: LocationId | None = None
    date: CalendarDate | None = Field(None, description="With location_id: the local send date; default today there")

    @model_validator(mode="after")
    def _one_subject(self) -> MessageList:
        if sum(1 for value in (self.patient_id, self.appointment_id, self.location_id) if value) != 1:
            raise ValueError("give exactly one of patient_id, appointment_id or location_id (with a date)")
        if self.date and not self.location_id:
            raise ValueError("date goes with location_id")
        return self
