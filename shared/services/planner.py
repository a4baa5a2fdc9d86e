"""The nightly planner: one job per location (fanned out through SQS), each planning that location's
outbox for the coming days.

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
from typing import Any

from shared import clock
from shared.domain import appointment_lifecycle
from shared.logs import logger
from shared.services import followups, kpis, outbox, sender
from shared.services.installment_followups import installment_followups_for_location
from shared.store import appointments as appointment_store
from shared.store import locations as location_store
from shared.store import patients as patient_store
from shared.store.registry import all_locations

# The 7-day reminder of an appointment 8 local days ahead can move to the evening before by quiet hours:
# planning 8 days ahead leaves every reminder at least one nightly run before it is due.
HORIZON_DAYS = 8


def location_jobs() -> list[dict[str, str]]:
    """One job per registered location: {"org", "location_id"}."""
    return [{"org": registered.org, "location_id": registered.location_id} for registered in all_locations()]


def run_location_job(org: str, location_id: str, now: datetime) -> dict[str, int]:
    """Plan the location's reminders for the coming days and its plan follow-ups. Safe to run twice."""
    location_record = location_store.get(org, location_id)
    if location_record is None:
        logger.warning("location job for a location that no longer exists", extra={"location_id": location_id})
        return {"appointments": 0}
    location = location_record.data()
    today = clock.local_date(now, location["timezone"])
    last = today + timedelta(days=HORIZON_DAYS)
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in appointment_store.in_local_dates(org, location_id, today.isoformat(), last.isoformat()):
        doc = record.data()
        if appointment_lifecycle.is_upcoming(doc["status"]) and clock.parse_instant(doc["start"]) > now:
            by_patient[doc["patient_id"]].append(doc)
    profiles = patient_store.profiles(org, sorted(by_patient))
    totals = outbox.PlanOutcome()
    for patient_id, appointments in by_patient.items():
        patient = profiles.get(patient_id)
        if patient is None:
            logger.warning("appointment of a missing patient", extra={"patient_id": patient_id})
            continue
        totals.add(outbox.plan_patient_reminders(org, location, patient, appointments, now, defer=True))
    totals.flush()  # the location's new and changed rows, 100 a request
    tasks = followups.plan_followups_for_location(org, location, now)
    installment_tasks = installment_followups_for_location(org, location, now)
    requeued = outbox.requeue_missed(org, location, now, sender.LOOKBACK)
    kpis.close_day(org, location_id, kpis.day_to_close(location["timezone"], now), timezone=location["timezone"])
    return {"appointments": sum(len(a) for a in by_patient.values()), "planned": totals.planned,
            "suppressed": totals.suppressed, "written": totals.written, "requeued": requeued, **tasks,
            "installment_followups": installment_tasks}
