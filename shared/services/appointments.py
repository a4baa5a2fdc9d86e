"""Appointments: booking, a location's day, a patient's list, reschedule, confirm, arrive, complete,
cancel and no-show, tied to treatment-plan steps and to the outbox.

Statuses: scheduled -> confirmed -> arrived -> completed; scheduled or confirmed -> cancelled or
no_show. Every change is one transaction: the appointment (conditional on the version read), the
patient's appointment book (conditional on its version: two overlapping bookings of one patient can't
both succeed) and, when the appointment carries plan steps, the plan (steps scheduled on booking,
pending again on cancellation or no-show, completed on completion). The outbox follows at once:
reminders planned on booking, re-planned on reschedule, cancelled when the visit is off or over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from shared import clock
from shared.auth import Principal
from shared.clock import iso
from shared.domain import appointment_lifecycle, plan_lifecycle
from shared.domain.appointment_lifecycle import AppointmentOperation
from shared.domain.followup_rules import MissedAppointmentCode, classify_cancellation, flag_repeat_no_show
from shared.domain.plans import Plan, StepStatus
from shared.errors import InvalidInput, RuleViolation, StaleVersion
from shared.ids import new_id
from shared.services import benefits, followups, kpis, ledger, locations, outbox, patients, plans, settings
from shared.services.visibility import Kind, get_visible, visible
from shared.store import appointments as store
from shared.store import plans as plan_store
from shared.store.appointments import Book
from shared.store.table import Record
from shared.store.unit_of_work import UnitOfWork, conflict

CONCURRENT = "this patient's appointments or plan changed at the same moment; fetch them and try again"


def local_start(doc: Mapping[str, Any]) -> str:
    """`start` as the location's wall clock with its UTC offset (2026-03-08T09:00:00-04:00)."""
    start = clock.parse_instant(doc["start"]).astimezone(clock.zone(doc["timezone"]))
    return start.isoformat(timespec="seconds")


def view(record: Record) -> dict[str, Any]:
    doc = record.data()
    shown = {name: value for name, value in doc.items() if name not in ("previous_starts", "created_by")}
    return {**shown, "plan_id": doc.get("plan_id"), "start": local_start(doc), "start_utc": doc["start"],
            "step_ids": list(doc.get("step_ids", [])),
            "duration_minutes": int(doc["duration_minutes"]), "version": int(record.version)}


def load(principal: Principal, appointment_id: str) -> Record:
    return get_visible(principal, Kind.APPOINTMENT, appointment_id)


def _require(doc: Mapping[str, Any], operation: AppointmentOperation, start_moved: bool = False) -> str:
    """The status `operation` leaves the appointment in; 422 when the lifecycle does not allow it."""
    return appointment_lifecycle.status_after(doc["status"], operation, start_moved=start_moved)


PlanChange = tuple[Plan, Plan]  # (the plan as read, the plan as it will be stored)
Extra = Callable[[UnitOfWork], None]


def _write(org: str, doc: dict[str, Any], read_version: int | None, book: Book, plan_change: PlanChange | None = None,
           extra: Extra | None = None, stale_message: str = "") -> Record:
    """One unit of work: the changed plan first, the appointment, the patient's book, the plan change's KPI
    writes, then `extra` (an outcome counter, ledger charges). A failed condition on the appointment is
    StaleVersion when `stale_message` is given (the caller's If-Match no longer holds); anything else
    failing means a concurrent change to the same appointment, book or plan: Conflict."""
    concurrent = conflict(CONCURRENT)
    uow = UnitOfWork(race_message=CONCURRENT)
    kpi_writes = None
    if plan_change is not None:
        before, after = plan_change
        tz = doc["timezone"] if after.location_id == doc["location_id"] else locations.load(
            org, after.location_id).timezone
        kpi_writes = kpis.kpi_writes_for_plan_change(org, before, after, tz, on_race=concurrent)
        plan_store.put(uow, org, after, before.version, concurrent)
    local_date = clock.local_date(clock.parse_instant(doc["start"]), doc["timezone"]).isoformat()
    record = store.put(uow, org, doc, local_date, read_version,
                       (lambda: StaleVersion(stale_message)) if stale_message else concurrent)
    store.put_book(uow, org, book, concurrent)
    for more in (kpi_writes, extra):
        if more is not None:
            more(uow)
    uow.commit()
    return record


def _outcome(org: str, doc: Mapping[str, Any], outcome: str) -> Extra:
    """The KPI counter of an appointment outcome (completed, no_show, late_cancel), on its local date."""
    day = clock.local_date(clock.parse_instant(doc["start"]), doc["timezone"])
    return lambda uow: kpis.add_appointment_outcome(uow, org, doc["location_id"], day, outcome)


def _plan_steps(principal: Principal, doc: Mapping[str, Any], move: Callable[..., Plan], only: StepStatus | None,
                now: datetime) -> tuple[list[str], PlanChange | None]:
    """Apply a step operation to the appointment's steps (those in status `only`, when given): the steps
    moved and (the plan as read, as changed), or ([], None) when nothing moved."""
    if not doc.get("plan_id") or not doc.get("step_ids"):
        return [], None
    original = plans.load(principal, doc["plan_id"])
    plan, moved = original, []
    for step_id in doc["step_ids"]:
        if only is None or plan.step(step_id).status is only:
            plan = move(plan, step_id, now=now)
            moved.append(step_id)
    return moved, ((original, plan) if moved else None)


# --- booking and reading ------------------------------------------------------------------------------


def create(principal: Principal, fields: dict[str, Any]) -> dict[str, Any]:
    now = clock.now()
    patient = patients.load(principal, fields["patient_id"])
    location = locations.load_visible(principal, fields.get("location_id") or patient.location_id)
    start = clock.require_utc(fields["start"], "start")
    if start <= now:
        raise RuleViolation("appointments are booked ahead: start must be in the future")
    step_ids = list(fields.get("step_ids") or [])
    if step_ids and not fields.get("plan_id"):
        raise InvalidInput("step_ids need the plan_id they belong to", [{"field": "plan_id", "message": "required"}])
    doc = {"id": new_id("apt"), "patient_id": patient.id, "location_id": location.id,
           "timezone": location.timezone, "plan_id": fields.get("plan_id"), "step_ids": step_ids,
           "start": iso(start), "duration_minutes": fields["duration_minutes"], "status": appointment_lifecycle.BOOKED,
           "created_at": iso(now), "updated_at": iso(now), "created_by": principal.sub}
    if fields.get("notes"):
        doc["notes"] = fields["notes"]
    plan_change = None
    if doc["plan_id"]:
        if len(set(step_ids)) != len(step_ids):
            raise InvalidInput("a step is named more than once", [{"field": "step_ids", "message": "duplicate"}])
        _, plan_change = _plan_steps(principal, doc, plan_lifecycle.mark_step_scheduled, None, now)
        plan = plan_change[0] if plan_change else plans.load(principal, doc["plan_id"])
        if plan.patient_id != patient.id:
            raise RuleViolation("appointment steps: the plan belongs to another patient")
    doc = {name: value for name, value in doc.items() if value is not None}
    book = Book.load(principal.org, patient.id, now)
    book.place(doc)

    def reminders(uow: UnitOfWork) -> None:  # committed with the booking: never an appointment without them
        outbox.plan_patient_reminders(principal.org, location, patient, [doc], now,
                                      settings.effective_for(principal.org, location), uow=uow)

    return view(_write(principal.org, doc, None, book, plan_change, reminders))


def get(principal: Principal, appointment_id: str) -> dict[str, Any]:
    return view(load(principal, appointment_id))


def list_for_location_day(principal: Principal, location_id: str, local_date: str | None, limit: int,
                          start_key: dict | None) -> tuple[list[dict[str, Any]], dict | None, str]:
    location = locations.load_visible(principal, location_id)
    day = local_date or clock.local_date(clock.now(), location.timezone).isoformat()
    page = store.page_for_location_day(principal.org, location_id, day, limit, start_key)
    return [view(record) for record in page.records], page.last_key, day


def list_for_patient(principal: Principal, patient_id: str, limit: int,
                     start_key: dict | None) -> tuple[list[dict[str, Any]], dict | None]:
    patients.load(principal, patient_id)
    page = store.page_for_patient(principal.org, patient_id, limit, start_key)
    return [view(r) for r in visible(principal, page.records)], page.last_key


# --- changes ---------------------------------------------------------------------------------------


def reschedule(principal: Principal, appointment_id: str, changes: dict[str, Any],
               expected_version: int) -> dict[str, Any]:
    """PATCH: a new start or duration (back to scheduled: the patient confirms the new time), or notes."""
    now = clock.now()
    record = load(principal, appointment_id)
    if int(record.version) != expected_version:
        raise StaleVersion(f"appointment was changed since you read it (current version {int(record.version)})")
    old = record.data()
    doc = {**old, "updated_at": iso(now)}
    if "notes" in changes:
        doc.pop("notes", None) if not changes["notes"] else doc.update(notes=changes["notes"])
    new_start = changes.get("start")
    start_moves = new_start is not None and iso(new_start) != old["start"]
    moves = start_moves or changes.get("duration_minutes") not in (None, int(old["duration_minutes"]))
    book = Book.load(principal.org, old["patient_id"], now)
    if moves:
        status = _require(old, AppointmentOperation.RESCHEDULE, start_moved=start_moves)
        if start_moves:
            if new_start <= now:
                raise RuleViolation("appointments are booked ahead: start must be in the future")
            doc.update(start=iso(new_start), status=status,
                       previous_starts=[*old.get("previous_starts", []), old["start"]])
            doc.pop("confirmed_at", None)
        if changes.get("duration_minutes") is not None:
            doc["duration_minutes"] = changes["duration_minutes"]
        book.place(doc)
    stale = "appointment was changed since you read it; fetch it again"
    written = _write(principal.org, doc, expected_version, book, stale_message=stale)
    if doc["start"] != old["start"]:
        location = locations.load(principal.org, doc["location_id"])
        patient = patients.load(principal, doc["patient_id"])
        outbox.cancel(principal.org, outbox.reminder_ids(doc["location_id"], doc["id"],
                                                         clock.parse_instant(old["start"])), "rescheduled", now)
        outbox.plan_patient_reminders(principal.org, location, patient, [doc], now,
                                      settings.effective_for(principal.org, location))
    return view(written)


def confirm(principal: Principal, appointment_id: str, via: str = "staff") -> dict[str, Any]:
    return view(confirm_record(principal.org, load(principal, appointment_id), via, clock.now()))


def confirm_record(org: str, record: Record, via: str, now: datetime) -> Record:
    """Confirm (staff, or the patient's C/YES reply); confirming a confirmed appointment changes nothing."""
    doc = record.data()
    if doc["status"] == "confirmed":
        return record
    status = _require(doc, AppointmentOperation.CONFIRM)
    book = Book.load(org, doc["patient_id"], now)
    book.place({**doc, "status": status})
    return _write(org, {**doc, "status": status, "confirmed_at": iso(now), "confirmed_via": via,
                        "updated_at": iso(now)}, int(record.version), book)


def arrive(principal: Principal, appointment_id: str) -> dict[str, Any]:
    now = clock.now()
    record = load(principal, appointment_id)
    doc = record.data()
    status = _require(doc, AppointmentOperation.ARRIVE)
    book = Book.load(principal.org, doc["patient_id"], now)
    book.place({**doc, "status": status})
    written = _write(principal.org, {**doc, "status": status, "arrived_at": iso(now), "updated_at": iso(now)},
                     int(record.version), book)
    _cancel_reminders(principal.org, doc, "patient_arrived", now)
    return view(written)


def complete(principal: Principal, appointment_id: str) -> dict[str, Any]:
    """Completed: its plan steps are completed in the same transaction (with their ledger charges)."""
    now = clock.now()
    record = load(principal, appointment_id)
    doc = record.data()
    status = _require(doc, AppointmentOperation.COMPLETE)
    completed, plan_change = _plan_steps(principal, doc, plan_lifecycle.mark_step_completed, StepStatus.SCHEDULED,
                                         now)
    charges = step_charges(principal.org, plan_change[1], completed, now) if plan_change else None
    if plan_change:  # the completed procedures join the patient's history (frequency limits count them)
        day = clock.local_date(clock.parse_instant(doc["start"]), doc["timezone"])
        charges = kpis.combine(charges, lambda uow: benefits.completed_step_history(
            uow, principal.org, plan_change[1], completed, day))
    book = Book.load(principal.org, doc["patient_id"], now)
    book.remove(doc["id"])
    written = _write(principal.org, {**doc, "status": status, "completed_at": iso(now), "updated_at": iso(now)},
                     int(record.version), book, plan_change,
                     kpis.combine(_outcome(principal.org, doc, "completed"), charges))
    _cancel_reminders(principal.org, doc, "appointment_completed", now)
    return view(written)


def step_charges(org: str, plan: Plan, step_ids: Sequence[str], now: datetime) -> Extra:
    """The ledger charges of the completed steps (patient, insurance and write-off parts of their frozen
    quote lines), added to the completion's transaction: completing the visit and charging for it happen
    together or not at all, and an entry already posted refuses the whole transaction."""

    return lambda uow: ledger.add_step_charges(uow, org, plan, list(step_ids), now, conflict(CONCURRENT))


def cancel(principal: Principal, appointment_id: str, reason: str) -> dict[str, Any]:
    """Cancel; under 24 hours' notice it is recorded as missed (D9986) and followed up like a no-show,
    with more notice as D9987. The steps wait to be scheduled again."""
    now = clock.now()
    record = load(principal, appointment_id)
    doc = record.data()
    status = _require(doc, AppointmentOperation.CANCEL)
    code = classify_cancellation(clock.parse_instant(doc["start"]), now)
    changes = {"status": status, "cancelled_at": iso(now), "missed_code": str(code), "updated_at": iso(now)}
    if reason:
        changes["cancel_reason"] = reason
    return view(_off(principal, record, changes, code == MissedAppointmentCode.MISSED, now))


def no_show(principal: Principal, appointment_id: str) -> dict[str, Any]:
    """The patient did not come (D9986): a rebook task and message, and a flag at 2 in 60 days."""
    now = clock.now()
    record = load(principal, appointment_id)
    doc = record.data()
    status = _require(doc, AppointmentOperation.NO_SHOW)
    if clock.parse_instant(doc["start"]) > now:
        raise RuleViolation("appointment lifecycle: a no-show is recorded once the appointment has started")
    changes = {"status": status, "no_show_at": iso(now), "missed_code": str(MissedAppointmentCode.MISSED),
               "updated_at": iso(now)}
    return view(_off(principal, record, changes, True, now))


def _off(principal: Principal, record: Record, changes: dict[str, Any], missed: bool, now: datetime) -> Record:
    """Cancelled or missed: steps back to pending, slot freed, reminders cancelled, follow-up if missed."""
    doc = record.data()
    _, plan_change = _plan_steps(principal, doc, plan_lifecycle.unschedule_step, StepStatus.SCHEDULED, now)
    book = Book.load(principal.org, doc["patient_id"], now)
    book.remove(doc["id"])
    repeat, outcome = False, None
    if missed:
        book.add_missed(now)
        repeat = flag_repeat_no_show(book.missed_instants(), now)
        changes["repeat_no_show"] = repeat
        outcome = _outcome(principal.org, doc, "no_show" if changes["status"] == "no_show" else "late_cancel")
    new_doc = {**doc, **changes}
    written = _write(principal.org, new_doc, int(record.version), book, plan_change, outcome)
    _cancel_reminders(principal.org, doc, str(changes["status"]), now)
    if missed:
        location = locations.load(principal.org, doc["location_id"])
        patient = patients.load(principal, doc["patient_id"])
        followups.open_for_missed_appointment(principal.org, location, patient, new_doc, now, now, principal.sub,
                                              repeat)
    return written


def _cancel_reminders(org: str, doc: Mapping[str, Any], reason: str, now: datetime) -> None:
    outbox.cancel(org, outbox.reminder_ids(doc["location_id"], doc["id"], clock.parse_instant(doc["start"])),
                  reason, now)


def next_upcoming(org: str, patient_id: str, now: datetime) -> Record | None:
    """The patient's next appointment still to be confirmed or kept (for a C/YES reply)."""
    for appointment_id in Book.load(org, patient_id, now).upcoming_ids(now):
        record = store.load(org, appointment_id, consistent=True)
        if record is not None and appointment_lifecycle.is_upcoming(record.data()["status"]):
            return record
    return None
