"""HTTP routes for appointments. Every one reads or writes patient data, so every one is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from functions.api import Reply, Request, Router, list_page
from functions.models import Models, page_of
from shared.services import appointments

if TYPE_CHECKING:
    from shared.domain.appointments import Appointment

out = Models("functions.schemas.out.schedule")
commands = Models("shared.commands.appointments")
router = Router("appointments")


def _reply(appointment: Appointment, status: int = 200) -> Reply:
    return Reply(appointments.view(appointment), status, version=appointment.version)


def _page(listed: tuple[list[Appointment], dict | None]) -> tuple[list[dict], dict | None]:
    items, last_key = listed
    return [appointments.view(item) for item in items], last_key


@router.route("POST", "/appointments", permission="appointments:write", body=commands.AppointmentCreate, status=201,
              summary="Book an appointment (optionally carrying accepted plan steps); plans its reminders",
              audit="appointment.create", response=out.AppointmentOut)
def create_appointment(request: Request) -> Reply:
    appointment = appointments.create(request.principal, request.body)
    request.audit(appointment.id, appointment.patient_id)
    return _reply(appointment, 201)


@router.route("GET", "/appointments", permission="appointments:read", query=commands.AppointmentList,
              summary="A location's appointments on a local date, or a patient's appointments",
              audit="appointment.list", response=page_of(out.AppointmentOut))
def list_appointments(request: Request) -> dict:
    q = request.query
    if q.patient_id:
        return list_page(request, {"route": "appointments", "patient_id": q.patient_id},
                         lambda start: _page(appointments.list_for_patient(request.principal, q.patient_id, q.limit,
                                                                           start)))
    day = q.date.isoformat() if q.date else None
    return list_page(request, {"route": "appointments", "location_id": q.location_id, "date": day},
                     lambda start: _page(appointments.list_for_location_day(request.principal, q.location_id, day,
                                                                            q.limit, start)[:2]))


@router.route("GET", "/appointments/{appointment_id}", permission="appointments:read", summary="Get an appointment",
              audit="appointment.read", response=out.AppointmentOut)
def get_appointment(request: Request) -> Reply:
    return _reply(appointments.get(request.principal, request.params["appointment_id"]))


@router.route("PATCH", "/appointments/{appointment_id}", permission="appointments:write",
              body=commands.AppointmentPatch,
              summary="Reschedule (start, duration) or change notes; re-plans reminders at once",
              audit="appointment.update", response=out.AppointmentOut)
def patch_appointment(request: Request) -> Reply:
    expected = request.if_match()
    return _reply(appointments.reschedule(request.principal, request.params["appointment_id"], request.body,
                                          expected))


@router.route("POST", "/appointments/{appointment_id}/confirm", permission="appointments:write",
              summary="Record that the patient confirmed", audit="appointment.confirm", response=out.AppointmentOut)
def confirm_appointment(request: Request) -> Reply:
    return _reply(appointments.confirm(request.principal, request.params["appointment_id"]))


@router.route("POST", "/appointments/{appointment_id}/arrive", permission="appointments:write",
              summary="Check the patient in", audit="appointment.arrive", response=out.AppointmentOut)
def arrive_appointment(request: Request) -> Reply:
    return _reply(appointments.arrive(request.principal, request.params["appointment_id"]))


@router.route("POST", "/appointments/{appointment_id}/complete", permission="appointments:write",
              summary="Complete the visit and its plan steps", audit="appointment.complete",
              response=out.AppointmentOut)
def complete_appointment(request: Request) -> Reply:
    return _reply(appointments.complete(request.principal, request.params["appointment_id"]))


@router.route("POST", "/appointments/{appointment_id}/cancel", permission="appointments:write", body=commands.CancelIn,
              summary="Cancel (under 24 hours' notice: recorded as missed, D9986, and followed up)",
              audit="appointment.cancel", response=out.AppointmentOut)
def cancel_appointment(request: Request) -> Reply:
    return _reply(appointments.cancel(request.principal, request.params["appointment_id"], request.body))


@router.route("POST", "/appointments/{appointment_id}/no-show", permission="appointments:write",
              summary="Record a no-show (D9986): rebook task and message", audit="appointment.no_show",
              response=out.AppointmentOut)
def record_no_show(request: Request) -> Reply:
    return _reply(appointments.no_show(request.principal, request.params["appointment_id"]))
