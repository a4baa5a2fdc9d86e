"""Coordinator KPIs: the counters other services move inside their own transactions, the nightly close of
a location's day, and the figures of a date range per location, per coordinator and for the group.

Writing (call inside the transaction of the change that moves the figure; see docs/KPIS.md):
  kpi_writes_for_plan_change(org, before, after, location_tz)  -> `extra` for shared.store.plans.commit
  add_payment / add_refund / add_financing_funded / add_appointment_outcome (uow, org, location_id, day, ...)
Reading: `report` reads the fewest roll-ups and days whose signed sum is the range (shared.store.kpi_ranges):
for many locations one Query per item, whose partition holds the whole group's; for a few, by key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any

from shared import clock
from shared.auth import Principal
from shared.domain import kpi_plan_changes as plan_rules
from shared.domain import kpis as kpi
from shared.domain.kpi_plan_changes import PatientTreatment
from shared.domain.kpis import AppointmentOutcome, DayClose, Level, Scope
from shared.domain.messaging_settings import count_working_days
from shared.domain.plans import Plan
from shared.money import require_cents
from shared.services import locations, settings
from shared.services.visibility import Kind, visible
from shared.store import kpi_days, kpi_ranges
from shared.store import kpis as kpi_store
from shared.store.unit_of_work import Failure, UnitOfWork

ExtraWrites = Callable[[UnitOfWork], None]  # writes added to the unit of work of the change
READ_CONCURRENCY = 8  # requests of a report sent at once
EARLIEST_ZONE = "Etc/GMT+12"  # UTC-12: no location's today is before this zone's (for reading levels early)


# ---- writing: plan changes -------------------------------------------------------------------------


def kpi_writes_for_plan_change(org: str, before: Plan | None, after: Plan, location_tz: str,
                               on_race: Failure | None = None) -> ExtraWrites:
    """The KPI writes of one plan change, to add to the unit of work that stores the plan.

    Call it with the plan as read (`before`, None for a new plan) and as it will be stored (`after`),
    right before committing. A change that signs a plan or completes it reads the patient's KPI
    treatment now and writes it back conditionally in the transaction (`on_race`: the error when another
    change of the patient's plans wrote it first; StaleVersion by default)."""
    return kpi_writes_for_plan_changes(org, [(before, after)], {after.location_id: location_tz}, on_race)


def kpi_writes_for_plan_changes(org: str, changes: Sequence[tuple[Plan | None, Plan]],
                                timezones: Mapping[str, str], on_race: Failure | None = None) -> ExtraWrites:
    """Like `kpi_writes_for_plan_change`, for several plans committed in one transaction (an accepted
    option and the alternatives it declines); `timezones` maps each plan's location to its zone."""
    deltas: dict[str, list[kpi.Delta]] = {}
    treatments: dict[tuple[str, str], tuple[PatientTreatment, int | None, PatientTreatment]] = {}
    for before, after in changes:
        timezone = timezones[after.location_id]
        treatment_key = (after.location_id, after.patient_id)
        treatment = None
        if plan_rules.needs_patient_treatment(before, after):
            if treatment_key not in treatments:
                stored, version = kpi_store.load_treatment(org, after.location_id, after.patient_id)
                treatments[treatment_key] = (stored, version, stored)
            treatment = treatments[treatment_key][2]
        plan_deltas, changed = plan_rules.plan_change_deltas(before, after, timezone, treatment)
        if changed is not None:
            stored, version, _ = treatments[treatment_key]
            treatments[treatment_key] = (stored, version, changed)
        deltas.setdefault(after.location_id, []).extend(plan_deltas)

    def write(uow: UnitOfWork) -> None:
        for location_id, location_deltas in deltas.items():
            kpi_store.add_deltas(uow, org, location_id, location_deltas)
        for (location_id, patient_id), (stored, version, changed) in treatments.items():
            if changed != stored:
                kpi_store.save_treatment(uow, org, location_id, patient_id, changed, version, on_race)

    return write


def combine(*writes: ExtraWrites | None) -> ExtraWrites:
    """One `extra` that runs several (None ignored), for a transaction with more than one source."""
    def write(uow: UnitOfWork) -> None:
        for each in writes:
            if each is not None:
                each(uow)

    return write


# ---- writing: money and appointments ---------------------------------------------------------------


def _add(uow: UnitOfWork, org: str, location_id: str, local_date: date, counter: str, amount: int) -> None:
    if not isinstance(local_date, date) or isinstance(local_date, datetime):
        raise TypeError(f"local_date must be a date (the location's local date), got {local_date!r}")
    kpi_store.add_counts(uow, org, location_id, Scope.LOCATION, {counter: amount}, local_date)


def add_payment(uow: UnitOfWork, org: str, location_id: str, local_date: date, amount_cents: int) -> None:
    """In the payment's transaction: a payment received at the location on its local date (collections)."""
    _add(uow, org, location_id, local_date, "payments_cents", _positive_cents(amount_cents))


def add_refund(uow: UnitOfWork, org: str, location_id: str, local_date: date, amount_cents: int) -> None:
    """In the refund's transaction: money given back on the refund's local date (subtracted from collections)."""
    _add(uow, org, location_id, local_date, "refunds_cents", _positive_cents(amount_cents))


def add_financing_funded(uow: UnitOfWork, org: str, location_id: str, local_date: date) -> None:
    """In the transaction that moves a financing application to `funded`, once per application."""
    _add(uow, org, location_id, local_date, "financing_funded", 1)


def add_appointment_outcome(uow: UnitOfWork, org: str, location_id: str, local_date: date,
                            outcome: AppointmentOutcome | str, count: int = 1) -> None:
    """In the transaction that records an appointment's outcome: `completed`, `no_show` or `late_cancel`
    (cancelled with under 24 hours' notice), on the appointment's local date. `count=-1` takes back an
    outcome recorded by mistake (in the transaction that corrects it)."""
    if count not in (1, -1):
        raise ValueError("count is 1, or -1 to take an outcome back")
    _add(uow, org, location_id, local_date, kpi.OUTCOME_COUNTERS[AppointmentOutcome(outcome)], count)


def _positive_cents(amount_cents: int) -> int:
    if require_cents(amount_cents, "amount_cents") <= 0:
        raise ValueError(f"amount_cents must be positive, got {amount_cents}")
    return amount_cents


# ---- the nightly close ------------------------------------------------------------------------------


def day_to_close(timezone: str, now: datetime | None = None) -> date:
    """Yesterday at the location: the day the nightly job closes."""
    return clock.local_date(now or clock.now(), timezone) - timedelta(days=1)


def close_day(org: str, location_id: str, local_date: date, *, timezone: str | None = None,
              overdue_followups: int | None = None) -> dict[str, Any]:
    """Record a location's ended day: the follow-ups overdue as at the close (still open, due that day
    or before; counted from the follow-up store unless given) and the incomplete-treatment levels at the
    day's end. SET, not ADD, and the levels are computed exactly (today's running levels minus the
    changes recorded after the day), so running it twice, or late, writes the same values.
    RuleViolation for a day that has not ended at the location."""
    if overdue_followups is not None and (isinstance(overdue_followups, bool) or
                                          not isinstance(overdue_followups, int) or overdue_followups < 0):
        raise ValueError(f"overdue_followups must be a count, got {overdue_followups!r}")
    timezone = timezone or locations.load(org, location_id).timezone
    now = clock.now()
    later = kpi.require_closable(local_date, clock.local_date(now, timezone), kpi_store.MAX_TRANSACT_GET - 1)
    if overdue_followups is None:
        overdue_followups = kpi_store.overdue_followups(org, location_id, local_date)
    level, changes = kpi_store.level_and_changes(org, location_id, later)
    close = DayClose(overdue_followups, kpi.end_of_day_level(level, changes))
    kpi_store.record_close(org, location_id, local_date, close, clock.iso(now))
    return {"location_id": location_id, "date": local_date.isoformat(),
            "followups_overdue": close.followups_overdue,
            "patients_accepted": close.level.patients_accepted,
            "patients_incomplete": close.level.patients_incomplete}


# ---- reading ----------------------------------------------------------------------------------------


def _visible_locations(principal: Principal, location_id: str | None) -> tuple[list[dict[str, Any]], int]:
    """The locations the report shows, and how many the group has."""
    if location_id:
        location = locations.load_visible(principal, location_id)
        return [{"id": location.id, "name": location.name, "timezone": location.timezone}], 1
    every = kpi_ranges.locations(principal.org)
    return visible(principal, every, Kind.LOCATION), len(every)


def report(principal: Principal, location_id: str | None, first: date, last: date,
           concurrency: int | None = None) -> dict[str, Any]:
    """The figures of [first, last] (local dates) for one location, or for every location the caller
    may see with a group total. Reads (shared.store.kpi_ranges) the items of the range's plan (roll-ups
    and days, each added or taken back), plus the running levels when the range reaches a location's
    today, and the locations' settings (their working days: "per day" figures are per working day).
    One location's report also gives its patients closed `by_day`, read from its day items of the
    range (BatchGetItem by key, beside the other reads)."""
    days = kpi.check_range(first, last)
    now = clock.now()
    concurrency = concurrency or READ_CONCURRENCY
    with ThreadPoolExecutor(max_workers=2) as pool:  # the settings' (and the days') reads overlap the roll-ups'
        early = None
        if location_id is None and principal.all_locations:  # every location shown: read while listing them
            maybe_live = last >= clock.local_date(now, EARLIEST_ZONE)
            early = pool.submit(kpi_ranges.read_range, principal.org, None, first, last, None if maybe_live else (),
                                concurrency)
        shown, group_size = _visible_locations(principal, location_id)
        ids = [loc["id"] for loc in shown]
        today_in = {zone: clock.local_date(now, zone) for zone in {loc["timezone"] for loc in shown}}
        today = {loc["id"]: today_in[loc["timezone"]] for loc in shown}
        live_ids = [loc["id"] for loc in shown if last >= today[loc["id"]]]
        settings_read = pool.submit(settings.effective_for_many, principal.org, ids)
        days_read = pool.submit(kpi_days.days, principal.org, location_id, first, last) if location_id else None
        read = early.result() if early is not None else kpi_ranges.read_range(
            principal.org, ids, first, last, live_ids, concurrency, group_size)
        working_days = {location_id: each.working_days for location_id, each in settings_read.result().items()}
        by_day = kpi.closes_by_day(days_read.result()) if days_read is not None else None
    counted = {week: count_working_days(first, last, week) for week in set(working_days.values())}
    working = {location_id: counted[week] for location_id, week in working_days.items()}
    live = set(live_ids)
    summaries = [kpi.summarize(days, read.records.get(loc["id"], ()), read.levels.get(loc["id"], Level())
                               if loc["id"] in live else None, today[loc["id"]], working[loc["id"]]) for loc in shown]
    body: dict[str, Any] = {
        "from": first.isoformat(), "to": last.isoformat(), "days": days,
        "locations": [{"location_id": loc["id"], "name": loc.get("name"), "timezone": loc["timezone"],
                       "figures": kpi.figures(summary, by_day),
                       "coordinators": kpi.coordinator_figures(summary, by_day)}
                      for loc, summary in zip(shown, summaries, strict=True)],
        "group": None,
    }
    if location_id is None:
        group = kpi.roll_up(summaries, days)
        body["group"] = {"location_count": len(shown), "figures": kpi.figures(group),
                         "coordinators": kpi.coordinator_figures(group)}
    return body


local_date = clock.local_date
