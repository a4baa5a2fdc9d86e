"""Appointments: booking, a location's day, a patient's list, reschedule, confirm, arrive, complete,
cancel and no-show, tied to treatment-plan steps and to the outbox.

Statuses: scheduled -> confirmed -> arrived -> completed; scheduled or confirmed -> cancelled or
no_show. Every change is one transaction: the appointment (conditional on the version read), the
patient's appointment book (conditional on its version: two overlapping bookings of one patient can't
both succeed) and, when the appointment carries plan steps, the plan (steps scheduled on booking,
pending again on cancellation or no-show, completed on completion). The outbox follows at once:
reminders planned on booking, re-planned on reschedule, cancelled when the visit is off or over.

Services take the validated commands (shared/commands/appointments.py) and return `Appointment` values;
`view` is the one JSON form the routes answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.auth import Principal
from shared.clock import iso
from shared.domain import appointment_lifecycle, plan_lifecycle
from shared.domain.appointment_lifecycle import AppointmentOperation, AppointmentStatus
from shared.domain.appointments import Appointment
from shared.domain.codec import to_json
from shared.domain.followup_rules import MissedAppointmentCode, classify_cancellation, flag_repeat_no_show
from shared.domain.plans import Plan, StepStatus
from shared.errors import InvalidInput, RuleViolation, StaleVersion
from shared.ids import new_id
from shared.services import benefits, followups, kpis, ledger, locations, outbox, patients, plans, settings
from shared.services.visibility import Kind, get_visible, visible
from shared.store import appointments as store
from shared.store import plans as plan_store
from shared.store.appointments import Book
from shared.store.unit_of_work import UnitOfWork, conflict

if TYPE_CHECKING:
    from shared.commands.appointments import AppointmentCreate, AppointmentPatch, CancelIn

CONCURRENT = "this patient's appointments or plan changed at the same moment; fetch them and try again"


HIDDEN_FIELDS = frozenset({"previous_starts", "created_by", "version"})  # kept, but not shown


def local_start(appointment: Appointment) -> str:
    """`start` as the location's wall clock with its UTC offset (2026-03-08T09:00:00-04:00)."""
    return appointment.start.astimezone(clock.zone(appointment.timezone)).isoformat(timespec="seconds")


def view(appointment: Appointment) -> dict[str, Any]:
    """The appointment as the API shows it: its fields (those it has), `start` on the location's clock
    and `start_utc`, and `plan_id` always (null without one)."""
    shown = {name: value for name, value in to_json(appointment).items()
             if value is not None and name not in HIDDEN_FIELDS}
    return {**shown, "plan_id": appointment.plan_id, "start": local_start(appointment),
            "start_utc": iso(appointment.start), "version": appointment.version}


def load(principal: Principal, appointment_id: str) -> Appointment:
    return get_visible(principal, Kind.APPOINTMENT, appointment_id)


def _require(appointment: Appointment, operation: AppointmentOperation,
             start_moved: bool = False) -> AppointmentStatus:
    """The status `operation` leaves the appointment in; 422 when the lifecycle does not allow it."""
    return appointment_lifecycle.status_after(appointment.status, operation, start_moved=start_moved)


PlanChange = tuple[Plan, Plan]  # (the plan as read, the plan as it will be stored)
Extra = Callable[[UnitOfWork], None]


def _write(org: str, appointment: Appointment, read_version: int | None, book: Book,
           plan_change: PlanChange | None = None, extra: Extra | None = None, stale_message: str = "") -> Appointment:
    """One unit of work: the changed plan first, the appointment, the patient's book, the plan change's KPI
    writes, then `extra` (an outcome counter, ledger charges). A failed condition on the appointment is
    StaleVersion when `stale_message` is given (the caller's If-Match no longer holds); anything else
    failing means a concurrent change to the same appointment, book or plan: Conflict. The appointment as
    stored (its new version) is returned."""
    concurrent = conflict(CONCURRENT)
    uow = UnitOfWork(race_message=CONCURRENT)
    kpi_writes = None
    if plan_change is not None:
        before, after = plan_change
        tz = appointment.timezone if after.location_id == appointment.location_id else locations.load(
            org, after.location_id).timezone
        kpi_writes = kpis.kpi_writes_for_plan_change(org, before, after, tz, on_race=concurrent)
        plan_store.put(uow, org, after, before.version, concurrent)
    written = store.put(uow, org, appointment, read_version,
                        (lambda: StaleVersion(stale_message)) if stale_message else concurrent)
    store.put_book(uow, org, book, concurrent)
    for more in (kpi_writes, extra):
        if more is not None:
            more(uow)
    uow.commit()
    return written


def _local_day(appointment: Appointment) -> date:
    return clock.local_date(appointment.start, appointment.timezone)


def _outcome(org: str, appointment: Appointment, outcome: str) -> Extra:
    """The KPI counter of an appointment outcome (completed, no_show, late_cancel), on its local date."""
    day = _local_day(appointment)
    return lambda uow: kpis.add_appointment_outcome(uow, org, appointment.location_id, day, outcome)


def _plan_steps(principal: Principal, appointment: Appointment, move: Callable[..., Plan], only: StepStatus | None,
                now: datetime) -> tuple[list[str], PlanChange | None]:
    """Apply a step operation to the appointment's steps (those in status `only`, when given): the steps
    moved and (the plan as read, as changed), or ([], None) when nothing moved."""
    if not appointment.plan_id or not appointment.step_ids:
        return [], None
    original = plans.load(principal, appointment.plan_id)
    plan, moved = original, []
    for step_id in appointment.step_ids:
        if only is None or plan.step(step_id).status is only:
            plan = move(plan, step_id, now=now)
            moved.append(step_id)
    return moved, ((original, plan) if moved else None)


# --- booking and reading ------------------------------------------------------------------------------


def create(principal: Principal, command: AppointmentCreate) -> Appointment:
    now = clock.now()
    patient = patients.load(principal, command.patient_id)
    location = locations.load_visible(principal, command.location_id or patient.location_id)
    start = clock.require_utc(command.start, "start")
    if start <= now:
        raise RuleViolation("appointments are booked ahead: start must be in the future")
    step_ids = tuple(command.step_ids)
    if step_ids and not command.plan_id:
        raise InvalidInput("step_ids need the plan_id they belong to", [{"field": "plan_id", "message": "required"}])
    appointment = Appointment(
        id=new_id("apt"), patient_id=patient.id, location_id=location.id, timezone=location.timezone,
        plan_id=command.plan_id, step_ids=step_ids, start=start, duration_minutes=command.duration_minutes,
        status=appointment_lifecycle.BOOKED, created_at=now, updated_at=now, created_by=principal.sub,
        notes=command.notes or None)
    plan_change = None
    if appointment.plan_id:
        if len(set(step_ids)) != len(step_ids):
            raise InvalidInput("a step is named more than once", [{"field": "step_ids", "message": "duplicate"}])
        _, plan_change = _plan_steps(principal, appointment, plan_lifecycle.mark_step_scheduled, None, now)
        plan = plan_change[0] if plan_change else plans.load(principal, appointment.plan_id)
        if plan.patient_id != patient.id:
            raise RuleViolation("appointment steps: the plan belongs to another patient")
    book = Book.load(principal.org, patient.id, now)
    book.place(appointment)

    def reminders(uow: UnitOfWork) -> None:  # committed with the booking: never an appointment without them
        outbox.plan_patient_reminders(principal.org, location, patient, [appointment], now,
                                      settings.effective_for(principal.org, location), uow=uow)

    return _write(principal.org, appointment, None, book, plan_change, reminders)


def get(principal: Principal, appointment_id: str) -> Appointment:
    return load(principal, appointment_id)


def list_for_location_day(principal: Principal, location_id: str, local_date: str | None, limit: int,
                          start_key: dict | None) -> tuple[list[Appointment], dict | None, str]:
    location = locations.load_visible(principal, location_id)
    day = local_date or clock.local_date(clock.now(), location.timezone).isoformat()
    items, last_key = store.page_for_location_day(principal.org, location_id, day, limit, start_key)
    return items, last_key, day


def list_for_patient(principal: Principal, patient_id: str, limit: int,
                     start_key: dict | None) -> tuple[list[Appointment], dict | None]:
    patients.load(principal, patient_id)
    items, last_key = store.page_for_patient(principal.org, patient_id, limit, start_key)
    return visible(principal, items), last_key


# --- changes ---------------------------------------------------------------------------------------


def reschedule(principal: Principal, appointment_id: str, patch: AppointmentPatch,
               expected_version: int) -> Appointment:
    """PATCH: a new start or duration (back to scheduled: the patient confirms the new time), or notes."""
    now = clock.now()
    old = load(principal, appointment_id)
    if old.version != expected_version:
        raise StaleVersion(f"appointment was changed since you read it (current version {old.version})")
    changed = replace(old, updated_at=now)
    if patch.sent("notes"):
        changed = replace(changed, notes=patch.notes or None)
    new_start, new_duration = patch.start, patch.duration_minutes
    start_moves = new_start is not None and iso(new_start) != iso(old.start)
    moves = start_moves or new_duration not in (None, old.duration_minutes)
    book = Book.load(principal.org, old.patient_id, now)
    if moves:
        status = _require(old, AppointmentOperation.RESCHEDULE, start_moved=start_moves)
        if start_moves:
            assert new_start is not None
            if new_start <= now:
                raise RuleViolation("appointments are booked ahead: start must be in the future")
            changed = replace(changed, start=clock.require_utc(new_start, "start"), status=status, confirmed_at=None,
                              previous_starts=(*(old.previous_starts or ()), old.start))
        if new_duration is not None:
            changed = replace(changed, duration_minutes=new_duration)
        book.place(changed)
    stale = "appointment was changed since you read it; fetch it again"
    written = _write(principal.org, changed, expected_version, book, stale_message=stale)
    if start_moves:
        location = locations.load(principal.org, written.location_id)
        patient = patients.load(principal, written.patient_id)
        outbox.cancel(principal.org, outbox.reminder_ids(written.location_id, written.id, old.start), "rescheduled",
                      now)
        outbox.plan_patient_reminders(principal.org, location, patient, [written], now,
                                      settings.effective_for(principal.org, location))
    return written


def confirm(principal: Principal, appointment_id: str, via: str = "staff") -> Appointment:
    return record_confirmation(principal.org, load(principal, appointment_id), via, clock.now())


def record_confirmation(org: str, appointment: Appointment, via: str, now: datetime) -> Appointment:
    """Confirm (staff, or the patient's C/YES reply); confirming a confirmed appointment changes nothing."""
    if appointment.status is AppointmentStatus.CONFIRMED:
        return appointment
    changed = replace(appointment, status=_require(appointment, AppointmentOperation.CONFIRM), confirmed_at=now,
                      confirmed_via=via, updated_at=now)
    book = Book.load(org, appointment.patient_id, now)
    book.place(changed)
    return _write(org, changed, appointment.version, book)


def arrive(principal: Principal, appointment_id: str) -> Appointment:
    now = clock.now()
    appointment = load(principal, appointment_id)
    changed = replace(appointment, status=_require(appointment, AppointmentOperation.ARRIVE), arrived_at=now,
                      updated_at=now)
    book = Book.load(principal.org, appointment.patient_id, now)
    book.place(changed)
    written = _write(principal.org, changed, appointment.version, book)
    _cancel_reminders(principal.org, appointment, "patient_arrived", now)
    return written


def complete(principal: Principal, appointment_id: str) -> Appointment:
    """Completed: its plan steps are completed in the same transaction (with their ledger charges)."""
    now = clock.now()
    appointment = load(principal, appointment_id)
    status = _require(appointment, AppointmentOperation.COMPLETE)
    completed, plan_change = _plan_steps(principal, appointment, plan_lifecycle.mark_step_completed,
                                         StepStatus.SCHEDULED, now)
    charges = step_charges(principal.org, plan_change[1], completed, now) if plan_change else None
    if plan_change:  # the completed procedures join the patient's history (frequency limits count them)
        day = _local_day(appointment)
        charges = kpis.combine(charges, lambda uow: benefits.completed_step_history(
            uow, principal.org, plan_change[1], completed, day))
    book = Book.load(principal.org, appointment.patient_id, now)
    book.remove(appointment.id)
    written = _write(principal.org, replace(appointment, status=status, completed_at=now, updated_at=now),
                     appointment.version, book, plan_change,
                     kpis.combine(_outcome(principal.org, appointment, "completed"), charges))
    _cancel_reminders(principal.org, appointment, "appointment_completed", now)
    return written


def step_charges(org: str, plan: Plan, step_ids: Sequence[str], now: datetime) -> Extra:
    """The ledger charges of the completed steps (patient, insurance and write-off parts of their frozen
    quote lines), added to the completion's transaction: completing the visit and charging for it happen
    together or not at all, and an entry already posted refuses the whole transaction."""

    return lambda uow: ledger.add_step_charges(uow, org, plan, list(step_ids), now, conflict(CONCURRENT))


def cancel(principal: Principal, appointment_id: str, command: CancelIn) -> Appointment:
    """Cancel; under 24 hours' notice it is recorded as missed (D9986) and followed up like a no-show,
    with more notice as D9987. The steps wait to be scheduled again."""
    now = clock.now()
    appointment = load(principal, appointment_id)
    status = _require(appointment, AppointmentOperation.CANCEL)
    code = classify_cancellation(appointment.start, now)
    changed = replace(appointment, status=status, cancelled_at=now, missed_code=str(code), updated_at=now,
                      cancel_reason=command.reason or None)
    return _off(principal, appointment, changed, code == MissedAppointmentCode.MISSED, now)


def no_show(principal: Principal, appointment_id: str) -> Appointment:
    """The patient did not come (D9986): a rebook task and message, and a flag at 2 in 60 days."""
    now = clock.now()
    appointment = load(principal, appointment_id)
    status = _require(appointment, AppointmentOperation.NO_SHOW)
    if appointment.start > now:
        raise RuleViolation("appointment lifecycle: a no-show is recorded once the appointment has started")
    changed = replace(appointment, status=status, no_show_at=now, missed_code=str(MissedAppointmentCode.MISSED),
                      updated_at=now)
    return _off(principal, appointment, changed, True, now)


def _off(principal: Principal, appointment: Appointment, changed: Appointment, missed: bool,
         now: datetime) -> Appointment:
    """Cancelled or missed: steps back to pending, slot freed, reminders cancelled, follow-up if missed."""
    _, plan_change = _plan_steps(principal, appointment, plan_lifecycle.unschedule_step, StepStatus.SCHEDULED, now)
    book = Book.load(principal.org, appointment.patient_id, now)
    book.remove(appointment.id)
    repeat, outcome = False, None
    if missed:
        book.add_missed(now)
        repeat = flag_repeat_no_show(book.missed_instants(), now)
        changed = replace(changed, repeat_no_show=repeat)
        outcome = _outcome(principal.org, appointment,
                           "no_show" if changed.status is AppointmentStatus.NO_SHOW else "late_cancel")
    written = _write(principal.org, changed, appointment.version, book, plan_change, outcome)
    _cancel_reminders(principal.org, appointment, str(changed.status), now)
    if missed:
        location = locations.load(principal.org, appointment.location_id)
        patient = patients.load(principal, appointment.patient_id)
        followups.open_for_missed_appointment(principal.org, location, patient, written, now, now, principal.sub,
                                              repeat)
    return written


def _cancel_reminders(org: str, appointment: Appointment, reason: str, now: datetime) -> None:
    outbox.cancel(org, outbox.reminder_ids(appointment.location_id, appointment.id, appointment.start), reason, now)


def next_upcoming(org: str, patient_id: str, now: datetime) -> Appointment | None:
    """The patient's next appointment still to be confirmed or kept (for a C/YES reply)."""
    for appointment_id in Book.load(org, patient_id, now).upcoming_ids(now):
        appointment = store.load(org, appointment_id, consistent=True)
        if appointment is not None and appointment_lifecycle.is_upcoming(appointment.status):
            return appointment
    return None
