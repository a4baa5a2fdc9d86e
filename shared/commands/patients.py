"""Request models for patients and their consent."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool

from shared.commands.common import BirthDate, Email, Language, Line, Name, Note, PageQuery, Patch, Phone, Strict


class PurposeConsent(Strict):
    """Consent for one channel, per purpose. Absent means no consent."""

    appointment: StrictBool = False
    billing: StrictBool = False
    treatment: StrictBool = False


class Consent(Strict):
    email: PurposeConsent = PurposeConsent()
    sms: PurposeConsent = PurposeConsent()


Notes = Note(2000)


class PatientCreate(Strict):
    location_id: Annotated[str, Field(pattern=r"^loc_[0-9a-z]{26}$")]
    first_name: Name
    last_name: Name
    date_of_birth: BirthDate
    phone: Phone | None = None
    email: Email | None = None
    language: Language = "en"
    consent: Consent = Consent()
    notes: Notes | None = None


class PatientPatch(Patch):
    first_name: Name | None = None
    last_name: Name | None = None
    date_of_birth: BirthDate | None = None
    phone: Phone | None = None
    email: Email | None = None
    language: Language | None = None
    consent: Consent | None = None
    notes: Notes | None = None


class PatientList(PageQuery):
    location_id: Annotated[str, Field(pattern=r"^loc_[0-9a-z]{26}$")]
    q: Line(100, min_length=1) | None = None
