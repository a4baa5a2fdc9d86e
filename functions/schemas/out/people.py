"""Response models for locations, patients and their insurance coverage."""

from __future__ import annotations

from pydantic import Field

from functions.schemas.out import Out, Stamped


class QuietHoursOut(Out):
    start: str
    end: str


class LocationOut(Stamped):
    id: str
    name: str
    timezone: str = Field(description="IANA time zone the location's rules are evaluated in")
    phone: str
    email: str | None = None
    address: dict[str, str | None] | None = None
    languages: list[str] = []
    quiet_hours: QuietHoursOut | None = None
    sms_daily_cap: int | None = None
    sms_weekly_cap: int | None = None
    fee_schedule: dict[str, int] = {}
    pay_in_full_discount_pct: int | None = None


class PurposeConsentOut(Out):
    appointment: bool = False
    billing: bool = False
    treatment: bool = False


class ConsentOut(Out):
    email: PurposeConsentOut
    sms: PurposeConsentOut


class PatientOut(Stamped):
    id: str
    location_id: str
    first_name: str
    last_name: str
    date_of_birth: str
    phone: str | None = None
    email: str | None = None
    language: str
    consent: ConsentOut
    notes: str | None = None
    sms_opted_out: bool = False
    email_suppressed: bool = False
