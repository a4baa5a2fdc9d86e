"""How an appointment moves: scheduled -> confirmed -> arrived -> completed; scheduled or confirmed ->
cancelled or no_show (FHIR's booked, arrived, fulfilled, cancelled, noshow).

Moving the start makes a confirmed appointment scheduled again (the patient confirms the new time); a
change of duration alone keeps its status.
"""

from __future__ import annotations

from enum import StrEnum

from shared.domain.lifecycle import Lifecycle


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class AppointmentOperation(StrEnum):
    RESCHEDULE = "reschedule"
    CONFIRM = "confirm"
    ARRIVE = "arrive"
    COMPLETE = "complete"
    CANCEL = "cancel"
    NO_SHOW = "no-show"


A = AppointmentStatus
# Appointments still ahead: they may be rescheduled, confirmed, cancelled or missed, and get reminders.
UPCOMING = (A.SCHEDULED, A.CONFIRMED)
BOOKED = A.SCHEDULED  # a new appointment's status

APPOINTMENT = Lifecycle[AppointmentStatus, AppointmentOperation](
    rule="appointment lifecycle",
    subject="an appointment",
    table={
        AppointmentOperation.RESCHEDULE: {A.SCHEDULED: frozenset({A.SCHEDULED}),
                                          A.CONFIRMED: frozenset({A.CONFIRMED, A.SCHEDULED})},
        AppointmentOperation.CONFIRM: {A.SCHEDULED: frozenset({A.CONFIRMED}), A.CONFIRMED: frozenset({A.CONFIRMED})},
        AppointmentOperation.ARRIVE: {status: frozenset({A.ARRIVED}) for status in UPCOMING},
        AppointmentOperation.COMPLETE: {status: frozenset({A.COMPLETED}) for status in (*UPCOMING, A.ARRIVED)},
        AppointmentOperation.CANCEL: {status: frozenset({A.CANCELLED}) for status in UPCOMING},
        AppointmentOperation.NO_SHOW: {status: frozenset({A.NO_SHOW}) for status in UPCOMING},
    },
)


def is_upcoming(status: str) -> bool:
    return status in UPCOMING


def status_after(status: AppointmentStatus, operation: AppointmentOperation, *,
                 start_moved: bool = False) -> AppointmentStatus:
    """The status after `operation`; a reschedule that moves the start asks the patient to confirm again.
    IllegalTransition (422) when the operation does not apply to an appointment that is `status`."""
    APPOINTMENT.require(status, operation)
    to = None  # the table's only outcome
    if operation is AppointmentOperation.RESCHEDULE:
        to = A.SCHEDULED if start_moved else AppointmentStatus(status)
    elif operation is AppointmentOperation.CONFIRM:
        to = A.CONFIRMED
    return APPOINTMENT.move(status, operation, to)
