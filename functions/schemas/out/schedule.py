"""Response models for appointments, the follow-up worklist and the outbox (messages)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from functions.schemas.out import Out, Stamped

AppointmentStatus = Literal["scheduled", "confirmed", "arrived", "completed", "cancelled", "no_show"]
MessageStatus = Literal["planned", "sending", "sent", "failed", "suppressed", "cancelled", "expired", "unconfirmed"]


class AppointmentOut(Stamped):
    id: str
    patient_id: str
    location_id: str
    plan_id: str | None
    step_ids: list[str]
    start: str = Field(description="The location's wall clock with its UTC offset")
    start_utc: str
    timezone: str
    duration_minutes: int
    status: AppointmentStatus
    notes: str | None = None
    missed_code: str | None = Field(None, description="D9986 (missed or late-cancelled) or D9987 (cancelled)")


class FollowUpOut(Stamped):
    id: str
    kind: str
    status: Literal["open", "resolved"]
    patient_id: str
    patient_name: str | None = Field(None, description="The patient's first and last name (in lists only)")
    location_id: str
    due_date: str
    owner: str | None = None
    outcome: str | None = None
    resolved_by: str | None = None
    resolved_at: str | None = None
    note: str | None = None


class MessageOut(Out):
    id: str
    patient_id: str
    appointment_id: str | None = None
    location_id: str
    kind: str
    channel: Literal["email", "sms"]
    purpose: str | None = None
    send_at: str
    status: MessageStatus
    provider_message_id: str | None = None
    reason: str | None = Field(None, description="Why it is suppressed, failed, expired or unconfirmed")
    attempts: int = 0
    sent_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class SettingsOut(Out):
    """A settings layer (the group's defaults, or a location's overrides) and what it adds up to."""

    location_id: str | None = Field(description="null for the group's defaults")
    version: int = Field(description="0 until the layer is first written; send it back as If-Match")
    settings: dict[str, Any] = Field(description="This layer's own sections")
    effective: dict[str, Any] = Field(description="Every section as the location (or group) runs on it")


class OpportunityOut(Out):
    id: str = Field(description="The plan's id")
    kind: Literal["unscheduled_steps", "presented", "declined", "expired"]
    plan_id: str
    patient_id: str
    patient_name: str | None = Field(None, description="The patient's first and last name")
    location_id: str
    value_cents: int
    remaining_benefits_cents: int | None = Field(description="Annual maximum left this benefit year (null: none)")
    last_contact_at: str | None
    owner: str
    since: str | None = None
    followup_id: str | None = None
