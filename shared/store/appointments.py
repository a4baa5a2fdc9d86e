"""Persistence of appointments and of each patient's appointment book.

Appointment (`kind` "appointment"): pk `{org}#APT#{appointment_id}`, sk `APPOINTMENT`;
gsi1 `{org}#LOC#{location_id}#APTS` / `{local date}#{start}#{id}` (a location's day, and the nightly
planner's window of local dates as one range query); gsi2 `{org}#PAT#{patient_id}#APTS` / `{start}#{id}`.

Appointment book (`kind` "appointment_book"): pk `{org}#PAT#{patient_id}`, sk `APPOINTMENTS`: the
patient's active appointments as intervals and their recent no-shows. It is read consistently and
written conditionally on its version in the same transaction as the appointment, so two overlapping
bookings of one patient can never both succeed (a GSI query alone is eventually consistent and could
miss an appointment booked a moment before).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from shared import clock
from shared.clock import iso
from shared.domain.appointments import Appointment
from shared.errors import Conflict
from shared.ids import has_prefix
from shared.store import records
from shared.store.table import Record
from shared.store.unit_of_work import Failure, UnitOfWork

APPOINTMENT, BOOK = "APPOINTMENT", "APPOINTMENTS"


def pk(org: str, appointment_id: str) -> str:
    return f"{org}#APT#{appointment_id}"


def by_location(org: str, location_id: str) -> str:
    return f"{org}#LOC#{location_id}#APTS"


def by_patient(org: str, patient_id: str) -> str:
    return f"{org}#PAT#{patient_id}#APTS"


def key(org: str, appointment_id: str) -> tuple[str, str]:
    """The item key (pk, sk) of an appointment, for a batch read."""
    return pk(org, appointment_id), APPOINTMENT


def book_pk(org: str, patient_id: str) -> str:
    return f"{org}#PAT#{patient_id}"


def item(org: str, appointment: Appointment) -> Record:
    """The item of an appointment; gsi1 sorts it under the location's local date of its start."""
    start, local_date = iso(appointment.start), clock.local_date(appointment.start, appointment.timezone)
    return Record(pk=pk(org, appointment.id), sk=APPOINTMENT, kind="appointment",
                  doc=records.document(appointment), version=appointment.version,
                  gsi1pk=by_location(org, appointment.location_id),
                  gsi1sk=f"{local_date.isoformat()}#{start}#{appointment.id}",
                  gsi2pk=by_patient(org, appointment.patient_id), gsi2sk=f"{start}#{appointment.id}")


def book_record(org: str, patient_id: str, doc: dict[str, Any], version: int) -> Record:
    return Record(pk=book_pk(org, patient_id), sk=BOOK, kind="appointment_book", doc=doc, version=version)


def of(record: Record) -> Appointment:
    return records.typed(Appointment, record)


def load(org: str, appointment_id: str, consistent: bool = False) -> Appointment | None:
    if not has_prefix(appointment_id, "apt"):
        return None
    record = records.get(pk(org, appointment_id), APPOINTMENT, consistent=consistent)
    return of(record) if record is not None else None


def load_book(org: str, patient_id: str) -> Record | None:
    return records.get(book_pk(org, patient_id), BOOK, consistent=True)


Listed = tuple[list[Appointment], dict | None]  # a page of appointments and the start key of the next


def page_for_location_day(org: str, location_id: str, local_date: str, limit: int, start_key: dict | None) -> Listed:
    page = records.query(by_location(org, location_id), index="gsi1", sk_prefix=f"{local_date}#", limit=limit,
                         start_key=start_key)
    return [of(record) for record in page.records], page.last_key


def page_for_patient(org: str, patient_id: str, limit: int, start_key: dict | None) -> Listed:
    page = records.query(by_patient(org, patient_id), index="gsi2", limit=limit, start_key=start_key,
                         newest_first=True)
    return [of(record) for record in page.records], page.last_key


def in_local_dates(org: str, location_id: str, first_date: str, last_date: str) -> Iterator[Appointment]:
    """A location's appointments whose local start date lies in [first_date, last_date], in start order."""
    condition = Record.gsi1sk.between(f"{first_date}#", f"{last_date}#~")
    for record in Record.gsi1.query(by_location(org, location_id), range_key_condition=condition, page_size=200):
        yield of(record)


def put(uow: UnitOfWork, org: str, appointment: Appointment, read_version: int | None,
        on_fail: Failure) -> Appointment:
    """The appointment, new (read_version None) or changed from the version read; as it will be stored
    (with the version its write gives it)."""
    written = uow.put_at(item(org, appointment), read_version, on_fail)
    return dataclasses.replace(appointment, version=int(written.version))


def put_book(uow: UnitOfWork, org: str, book: Book, on_fail: Failure) -> None:
    """The patient's book, conditional on the version it was read at (or on still not existing)."""
    uow.put_at(book_record(org, book.patient_id, book.doc, 0), book.version, on_fail)


BOOK_KEEP_DAYS = 7  # an appointment left active a week after its end no longer holds a slot
MISSED_KEEP_DAYS = 60  # missed appointments counted by the repeat no-show flag


class Book:
    """A patient's active appointments (id -> start, end, status) and recent missed appointments."""

    def __init__(self, org: str, patient_id: str, doc: dict[str, Any], version: int | None, now: datetime) -> None:
        self.org, self.patient_id, self.version, self.now = org, patient_id, version, now
        self.slots: dict[str, dict[str, str]] = {k: dict(v) for k, v in (doc.get("slots") or {}).items()}
        self.missed: list[str] = list(doc.get("missed") or [])
        self._prune()

    @classmethod
    def load(cls, org: str, patient_id: str, now: datetime) -> Book:
        record = load_book(org, patient_id)
        return cls(org, patient_id, record.data() if record else {}, int(record.version) if record else None, now)

    @property
    def doc(self) -> dict[str, Any]:
        return {"patient_id": self.patient_id, "slots": self.slots, "missed": self.missed}

    def _prune(self) -> None:
        horizon = iso(self.now - timedelta(days=BOOK_KEEP_DAYS))
        self.slots = {k: v for k, v in self.slots.items() if v["end"] >= horizon}
        missed_horizon = iso(self.now - timedelta(days=MISSED_KEEP_DAYS))
        self.missed = [instant for instant in self.missed if instant >= missed_horizon]

    def place(self, appointment: Appointment) -> None:
        """Hold the appointment's interval; Conflict (409) when another active one of the patient overlaps."""
        start, end = iso(appointment.start), iso(appointment.end)
        for other_id, slot in self.slots.items():
            if other_id != appointment.id and start < slot["end"] and slot["start"] < end:
                raise Conflict("double booking: the patient already has an appointment at an overlapping time",
                               [{"field": "start", "message": f"overlaps {other_id}"}])
        # The steps it carries out: an estimate dates a scheduled step by its appointment (one Query of the
        # patient's partition reads the book with the coverages).
        self.slots[appointment.id] = {"start": start, "end": end, "status": str(appointment.status),
                                      "location_id": appointment.location_id, "step_ids": list(appointment.step_ids)}

    def remove(self, appointment_id: str) -> None:
        self.slots.pop(appointment_id, None)

    def add_missed(self, at: datetime) -> None:
        self.missed.append(iso(at))

    def missed_instants(self) -> list[datetime]:
        return [datetime.fromisoformat(instant.replace("Z", "+00:00")) for instant in self.missed]

    def upcoming_ids(self, now: datetime) -> list[str]:
        """Ids of the appointments still ahead, soonest first."""
        ahead = [(slot["start"], key) for key, slot in self.slots.items() if slot["start"] > iso(now)]
        return [key for _, key in sorted(ahead)]
