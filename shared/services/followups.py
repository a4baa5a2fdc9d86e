"""Follow-up tasks: the coordinators' worklist, fed by the rules of shared/domain/followup_rules.py and by
the messaging side (a send that failed for good, an SMS reply nobody's keywords match).

Every task has an owner, a due date (the location's local date), a kind, links to what it is about
(appointment, plan, message) and, once resolved, an outcome, who resolved it and when. Owners: the
coordinator who owns the plan, the person who recorded the missed appointment, or `front_desk` (the
location's front desk as a team) for tasks the system raises on its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.auth import Principal
from shared.domain.appointments import Appointment
from shared.domain.codec import to_json
from shared.domain.followup_rules import (
    FollowUpKind,
    MissedAppointmentCode,
    PlannedTask,
    followup_id,
    plan_no_show,
    plan_unaccepted_plan,
    plan_unscheduled_treatment,
    plan_unused_benefits,
)
from shared.domain.followups import CALLBACK, CANCEL_REQUEST, FRONT_DESK, MESSAGE_FAILED, FollowUp, FollowUpStatus
from shared.domain.locations import Location
from shared.domain.messages import Message
from shared.domain.messaging_settings import MessagingSettings, next_working_day
from shared.domain.patients import Patient
from shared.domain.plans import Plan, PlanStatus, StepStatus, effective_status
from shared.domain.reminders import AppointmentRef, PlannedMessage, message_id
from shared.errors import RuleViolation, StaleVersion
from shared.services import benefits, locations, outbox, settings
from shared.services.documents import patched, require_version, without_nulls
from shared.services.patients import display_names as patient_names
from shared.services.visibility import Kind, get_visible
from shared.store import followups as followup_store
from shared.store import patients as patient_store
from shared.store import plans as plan_store
from shared.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from shared.commands.followups import FollowUpPatch, ResolveIn

MAX_REPLY_CHARS = 500
UNACCEPTED, UNSCHEDULED = str(FollowUpKind.UNACCEPTED_PLAN), str(FollowUpKind.UNSCHEDULED_TREATMENT)
OPEN_PLAN_STATUSES = (PlanStatus.ACCEPTED, PlanStatus.PARTIALLY_ACCEPTED, PlanStatus.SCHEDULED, PlanStatus.IN_PROGRESS)
PLAN_RULE_WINDOW = timedelta(days=31)  # the last message of a plan rule goes 30 days after its event


def new_task(task: PlannedTask, owner: str, now: datetime, links: Mapping[str, Any], **details: Any) -> FollowUp:
    """The open task a rule planned, with its links (plan, appointment, message ...) and details."""
    return FollowUp(id=task.id, kind=str(task.kind), status=FollowUpStatus.OPEN, patient_id=task.patient_id,
                    location_id=task.location_id, subject_id=task.subject_id, due_date=task.due_date, owner=owner,
                    created_at=now, updated_at=now, **links, **details)


def open_tasks(org: str, tasks: Iterable[FollowUp]) -> list[str]:
    """Create each task unless it exists (a rule firing again never makes a second task or reopens one)."""
    return [task.id for task in tasks if followup_store.create_if_absent(org, task)]


def store_messages(org: str, tz_name: str, messages: Sequence[PlannedMessage], links: Mapping[str, Any],
                   stored: Mapping[str, Message], now: datetime) -> None:
    outbox.store_planned(org, tz_name, [(message, links) for message in messages], stored, now)


def open_for_missed_appointment(org: str, location: Location, patient: Patient,
                                appointment: Appointment, missed_at: datetime, now: datetime, owner: str,
                                repeat_no_show: bool) -> list[str]:
    """A no-show, or a cancellation with under 24 hours' notice (D9986): a rebook task due that day and a
    message the next local morning at 10:00. Returns the ids of the tasks created."""
    ref = AppointmentRef(appointment.id, patient.id, location.id, appointment.start)
    ctx, stored = outbox.patient_context(org, location, patient, now, missed_at, missed_at + timedelta(days=2))
    plan = plan_no_show(ref, missed_at, ctx)
    links = {"appointment_id": appointment.id, "plan_id": appointment.plan_id}
    store_messages(org, ctx.location.tz_name, plan.messages, {"appointment_id": appointment.id}, stored, now)
    return open_tasks(org, (new_task(task, owner, now, links, missed_code=str(MissedAppointmentCode.MISSED),
                                     repeat_no_show=repeat_no_show) for task in plan.tasks))


def open_callback(org: str, location_id: str, patient_id: str, inbound_id: str, text: str,
                  possible_opt_out: bool, now: datetime) -> list[str]:
    """An SMS reply that matched no keyword: a person calls the patient back today."""
    location = locations.load(org, location_id)
    task = PlannedTask(followup_id(location_id, inbound_id, CALLBACK), CALLBACK, patient_id,  # type: ignore[arg-type]
                       location_id, inbound_id, clock.local_date(now, location.timezone))
    return open_tasks(org, [new_task(task, FRONT_DESK, now, {}, reply_text=text[:MAX_REPLY_CHARS],
                                     possible_opt_out=possible_opt_out)])


def open_cancel_request(org: str, appointment: Appointment, inbound_id: str, now: datetime) -> list[str]:
    """The patient texted CANCEL with this appointment coming: ask whether they meant the visit too."""
    location = locations.load(org, appointment.location_id)
    task = PlannedTask(followup_id(appointment.location_id, inbound_id, CANCEL_REQUEST), CANCEL_REQUEST,  # type: ignore[arg-type]
                       appointment.patient_id, appointment.location_id, appointment.id,
                       clock.local_date(now, location.timezone))
    return open_tasks(org, [new_task(task, FRONT_DESK, now, {"appointment_id": appointment.id})])


def open_for_failed_message(org: str, message: Message, error: str, now: datetime) -> list[str]:
    """A message that could not be sent after its last try: a person reaches the patient another way."""
    location = locations.load(org, message.location_id)
    task = PlannedTask(followup_id(message.location_id, message.id, MESSAGE_FAILED), MESSAGE_FAILED,  # type: ignore[arg-type]
                       message.patient_id, message.location_id, message.id, clock.local_date(now, location.timezone))
    links = {"message_id": message.id, "appointment_id": message.appointment_id}
    return open_tasks(org, [new_task(task, FRONT_DESK, now, links, error=error[:200])])


# --- the worklist -----------------------------------------------------------------------------------


def view(task: FollowUp) -> dict[str, Any]:
    """The task as the API shows it (empty optional fields left out)."""
    return without_nulls(to_json(task))


@dataclass(frozen=True)
class Listed:
    """A task of a worklist, with its patient's name (None when the patient is gone)."""

    task: FollowUp
    patient_name: str | None

    def view(self) -> dict[str, Any]:
        return {**view(self.task), "patient_name": self.patient_name}


def load(principal: Principal, followup_id_: str) -> FollowUp:
    return get_visible(principal, Kind.FOLLOWUP, followup_id_)


def list_followups(principal: Principal, location_id: str, kind: str | None, status: str | None, limit: int,
                   start_key: dict | None, owner: str | None = None) -> tuple[list[Listed], dict | None]:
    locations.load_visible(principal, location_id)
    tasks, last_key = followup_store.page(principal.org, location_id, kind, status, limit, start_key, owner)
    names = patient_names(principal.org, [task.patient_id for task in tasks])  # the route audits them
    return [Listed(task, names.get(task.patient_id)) for task in tasks], last_key


def reassign(principal: Principal, followup_id_: str, patch: FollowUpPatch, expected_version: int,
             now: datetime) -> FollowUp:
    """`PATCH /followups/{id}`: a new owner (reassign) and/or a later or earlier due date (snooze) of an
    open task, at the version the caller read (412 otherwise); a resolved task stays as it was (422)."""
    task = require_version(load(principal, followup_id_), expected_version)
    if not task.is_open:
        raise RuleViolation("follow-up lifecycle: a resolved follow-up cannot be reassigned or snoozed")
    changed = patched(task, patch, ("owner", "due_date"), updated_at=now, updated_by=principal.sub)
    uow = UnitOfWork()
    stored = followup_store.put(uow, principal.org, changed, expected_version)
    uow.commit()
    return stored


def resolve(principal: Principal, followup_id_: str, request: ResolveIn, now: datetime) -> FollowUp:
    """Record the outcome of an open task; a resolved task cannot be resolved again (422)."""
    task = load(principal, followup_id_)
    if not task.is_open:
        raise RuleViolation("follow-up lifecycle: this follow-up is already resolved")
    return _resolved(principal.org, task, str(request.outcome), request.note, principal.sub, now)


def auto_resolve(org: str, followup_ids: Iterable[str], outcome: str, now: datetime) -> int:
    """Close open tasks the situation has resolved on its own (the plan was accepted, steps scheduled)."""
    closed = 0
    for fup_id in followup_ids:
        task = followup_store.load(org, fup_id)
        if task is not None and task.is_open:
            try:
                _resolved(org, task, outcome, "", "system", now)
                closed += 1
            except StaleVersion:
                continue  # someone resolved it meanwhile
    return closed


def _resolved(org: str, task: FollowUp, outcome: str, note: str, by: str, now: datetime) -> FollowUp:
    resolved = dataclasses.replace(task, status=FollowUpStatus.RESOLVED, outcome=outcome, resolved_by=by,
                                   resolved_at=now, updated_at=now, note=note or task.note)
    uow = UnitOfWork()
    stored = followup_store.put(uow, org, resolved, task.version)
    uow.commit()
    return stored


# --- plan rules, run by the nightly location job --------------------------------------------------------


def _plan_message_ids(location_id: str, plan_id: str, kind: str, days: tuple[int, ...]) -> list[str]:
    return [message_id(location_id, plan_id, kind, channel, f"day{n}") for n in days for channel in ("email", "sms")]


def _close(org: str, location_id: str, plan_id: str, kind: str, days: tuple[int, ...], outcome: str,
           now: datetime) -> None:
    """The situation a plan rule was about has resolved: cancel its waiting messages, close its task."""
    outbox.cancel(org, _plan_message_ids(location_id, plan_id, kind, days), outcome, now)
    auto_resolve(org, [followup_id(location_id, plan_id, kind)], outcome, now)


def _location_plans(org: str, location_id: str, status: str, newer_than: datetime | None) -> Iterable[Plan]:
    """The location's plans stored with `status`, newest change first (stopping at `newer_than`)."""
    start: dict | None = None
    while True:
        page = plan_store.page_for_location(org, location_id, status, 100, start)
        for record in page.records:
            plan = plan_store.from_record(record)
            if newer_than is not None and plan.updated_at < newer_than:
                return
            yield plan
        if not page.last_key:
            return
        start = page.last_key


def plan_followups_for_location(org: str, location: Location, now: datetime,
                                messaging: MessagingSettings | None = None) -> dict[str, int]:
    """Presented and not accepted -> task at 2 days, messages at 7 and 21; accepted steps not scheduled ->
    task at 3 days, messages at 7 and 30 (closed once the plan is accepted / every step is scheduled);
    pending treatment (accepted steps not scheduled, or a presented plan not answered, at any age) and
    unused annual maximum -> one message per patient and benefit year, from 3 months before reset.
    A task falling on a day the location does not work is due its next working day (its settings)."""
    messaging = messaging or settings.without_reads(location)
    cutoff = now - PLAN_RULE_WINDOW
    profiles: dict[str, Patient | None] = {}
    counts = {"followups": 0}

    def apply(plan: Plan, made: Any, first: datetime, last: datetime) -> None:
        patient = _profile(org, plan.patient_id, profiles)
        if patient is None:
            return
        ctx, stored = outbox.patient_context(org, location, patient, now, first, last, messaging)
        rules = made(ctx)
        store_messages(org, location.timezone, rules.messages, {"plan_id": plan.id}, stored, now)
        tasks = (dataclasses.replace(task, due_date=next_working_day(task.due_date, messaging.working_days))
                 for task in rules.tasks)
        counts["followups"] += len(open_tasks(org, (new_task(task, plan.coordinator_id, now, {"plan_id": plan.id})
                                                    for task in tasks)))

    for plan in _location_plans(org, location.id, PlanStatus.PRESENTED, cutoff):
        presented = plan.presented_at
        if presented is None or presented < cutoff or effective_status(plan, now) is not PlanStatus.PRESENTED:
            continue
        apply(plan, lambda ctx, p=plan, t=presented: plan_unaccepted_plan(p.id, t, ctx), presented,
              presented + timedelta(days=21))
    pending_treatment: set[str] = set()
    for status in OPEN_PLAN_STATUSES:
        for plan in _location_plans(org, location.id, status, None):
            accepted = set(plan.acceptance.step_ids) if plan.acceptance else set()
            pending = any(s.status is StepStatus.PENDING and s.id in accepted for s in plan.steps)
            signed = plan.acceptance.signed_at if plan.acceptance else None
            if signed is not None and signed >= cutoff:
                _close(org, location.id, plan.id, UNACCEPTED, (7, 21), "plan_accepted", now)
                if pending:
                    apply(plan, lambda ctx, p=plan, t=signed: plan_unscheduled_treatment(p.id, t, ctx), signed,
                          signed + timedelta(days=30))
                else:
                    _close(org, location.id, plan.id, UNSCHEDULED, (7, 30), "steps_scheduled", now)
            if pending:
                pending_treatment.add(plan.patient_id)
    # Treatment presented and never answered is pending treatment too, however long ago it was presented
    # (past its quote's expiry included: the diagnosis stands).
    pending_treatment.update(plan.patient_id for plan in _location_plans(org, location.id, PlanStatus.PRESENTED,
                                                                         None))
    for patient_id in sorted(pending_treatment):
        _unused_benefits(org, location, patient_id, now, profiles)
    return counts


def _profile(org: str, patient_id: str, cache: dict[str, Patient | None]) -> Patient | None:
    if patient_id not in cache:
        cache[patient_id] = patient_store.load(org, patient_id)
    return cache[patient_id]


def _unused_benefits(org: str, location: Location, patient_id: str, now: datetime,
                     profiles: dict[str, Patient | None]) -> None:
    """The once-a-benefit-year message to a patient with pending treatment (signed and not scheduled, or
    presented and not answered) in the last quarter of the benefit year, with annual maximum unused."""
    insured = benefits.insured(org, patient_id, location, now=now)
    patient = _profile(org, patient_id, profiles)
    if not insured.coverages or patient is None:
        return
    unused = insured.remaining_benefits_cents()
    ctx, stored = outbox.patient_context(org, location, patient, now, now, now + timedelta(days=1))
    rules = plan_unused_benefits(ctx, has_pending_treatment=True, unused_max_cents=unused,
                                 renewal_month=insured.coverages[0].renewal_month)
    store_messages(org, location.timezone, rules.messages, {}, stored, now)
