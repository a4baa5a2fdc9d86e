"""The planner: every hour, one job per location whose local time has just reached 02:00 (fanned out
through SQS), each planning that location's outbox for the coming days and closing its KPI day, which
therefore ends on the location's own midnight (Los Angeles and Tokyo alike).

`location_jobs` reads the location registry (one Query partition, no Scan). A location's job reads
the appointments whose local start date falls in [today, today + HORIZON_DAYS] at that location (one
range Query on the location's appointment index), so its work grows with the appointments due, not with
all appointments stored; then, per patient, one Query of the patient's rows around those appointments
(the SMS caps and what is already planned) and a write only for rows that are new or changed. It also
runs the plan follow-up rules for the location's recently presented and accepted plans, puts back in the
send queue rows the sender missed (down longer than it looks back), and closes the location's KPI day.

Idempotent by construction: every row and task has a deterministic id, rows are written only when
they differ, never over a row a sender has taken, and tasks only when absent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from shared import clock
from shared.domain import appointment_lifecycle
from shared.domain.appointments import Appointment
from shared.domain.local_jobs import runs_at
from shared.domain.locations import Location
from shared.domain.messaging_settings import MessagingSettings
from shared.logs import logger
from shared.services import followups, kpis, outbox, sender, settings
from shared.services.installment_followups import installment_followups_for_location
from shared.store import appointments as appointment_store
from shared.store import locations as location_store
from shared.store import patients as patient_store
from shared.store.registry import all_locations

# The 7-day reminder of an appointment 8 local days ahead can move to the evening before by quiet hours:
# planning 8 days ahead leaves every reminder at least one nightly run before it is due.
HORIZON_DAYS = 8


def location_jobs(due_at: datetime | None = None) -> list[dict[str, str]]:
    """One job per registered location: {"org", "location_id"}; with `due_at`, only the locations whose
    daily job belongs to that hourly tick (02:00 local, DST included: `shared.domain.local_jobs`)."""
    return [{"org": registered.org, "location_id": registered.location_id} for registered in all_locations()
            if due_at is None or runs_at(registered.timezone, due_at)]


def replan_reminders(org: str, location: Location, messaging: MessagingSettings,
                     now: datetime) -> tuple[int, outbox.PlanOutcome]:
    """Plan the reminders of the location's appointments of the coming days by its settings (the nightly
    job, and after a settings change): (appointments, outcome). Rows already sent are never touched."""
    today = clock.local_date(now, location.timezone)
    last = today + timedelta(days=HORIZON_DAYS)
    by_patient: dict[str, list[Appointment]] = defaultdict(list)
    for appointment in appointment_store.in_local_dates(org, location.id, today.isoformat(), last.isoformat()):
        if appointment_lifecycle.is_upcoming(appointment.status) and appointment.start > now:
            by_patient[appointment.patient_id].append(appointment)
    profiles = patient_store.load_many(org, sorted(by_patient))
    totals = outbox.PlanOutcome()
    # SMS caps count per phone number too: patients sharing a number are planned nearest appointment first,
    # each counting the SMS planned for the others, so the nearer visit wins the day's SMS.
    by_phone: dict[str, list[outbox.ExistingSms]] = defaultdict(list)
    for patient_id, appointments in sorted(by_patient.items(), key=lambda item: min(a.start for a in item[1])):
        patient = profiles.get(patient_id)
        if patient is None:
            logger.warning("appointment of a missing patient", extra={"patient_id": patient_id})
            continue
        family = by_phone[patient.phone] if patient.phone else None
        totals.add(outbox.plan_patient_reminders(org, location, patient, appointments, now, messaging, family,
                                                 defer=True))
    totals.flush()  # the location's new and changed rows, 100 a request
    return sum(len(a) for a in by_patient.values()), totals


def run_location_job(org: str, location_id: str, now: datetime) -> dict[str, int]:
    """Plan the location's reminders for the coming days and its plan follow-ups. Safe to run twice."""
    location = location_store.load(org, location_id)
    if location is None:
        logger.warning("location job for a location that no longer exists", extra={"location_id": location_id})
        return {"appointments": 0}
    messaging = settings.effective_for(org, location)
    appointments, totals = replan_reminders(org, location, messaging, now)
    tasks = followups.plan_followups_for_location(org, location, now, messaging)
    installment_tasks = installment_followups_for_location(org, location, now)
    missed = outbox.requeue_missed(org, location, now, sender.LOOKBACK)
    kpis.close_day(org, location_id, kpis.day_to_close(location.timezone, now), timezone=location.timezone)
    return {"appointments": appointments, "planned": totals.planned,
            "suppressed": totals.suppressed, "expired_when_planned": totals.expired, "written": totals.written,
            **missed, **tasks,
            "installment_followups": installment_tasks}
