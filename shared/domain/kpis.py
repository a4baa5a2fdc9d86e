"""Coordinator KPIs: which counters a change moves, and the figures read back from daily aggregates.

Counters live on small daily items per location (and per coordinator), written in the same transaction
as the change that moves them; a KPI request sums the items of its date range and computes the
figures here. Definitions (docs/KPIS.md explains them at length):

- Case acceptance: a plan counts once, on the local date of its FIRST presentation (its cohort day),
  whatever happens later: presented (+ its fees), accepted or partially accepted (+ the accepted steps'
  fees) and declined by the patient are all counted on that day. A completed plan was accepted first,
  so it is counted as accepted.
- Patients closed: a coordinator closes a patient when the patient accepts (all or part of) a plan the
  coordinator owns; a patient counts once per coordinator, location and local day.
- Days to acceptance: local calendar days from a plan's first presentation to its signature, counted
  on the day of the signature.
- Incomplete treatment: patients with a signed plan not yet completed / patients with a signed plan,
  a level kept as running counters and snapshotted at each day's close.
- No-show rate: (no-shows + late cancellations) / (completed + no-shows + late cancellations).
- Collections: payments - refunds (cents). Financing uptake: financings funded / cases accepted
  (both by the date they happened). Follow-ups overdue: the count recorded by the day's close.

Pure: no storage, no HTTP; instants are aware datetimes, days are local `date`s of the location.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from shared.errors import InvalidInput, RuleViolation

MAX_RANGE_DAYS = 366

# Counters of a location's day item, added to (never set) by the transactions that move them.
# Cohort counters are counted on the plan's first-presentation day, flow counters on the day it happened.
COHORT_COUNTERS = ("presented", "presented_cents", "accepted", "accepted_cents", "declined", "cohort_completed")
ACCEPTANCE_COUNTERS = ("accepted_on_day", "accept_days_sum")
LEVEL_CHANGE_COUNTERS = ("patients_accepted_change", "patients_incomplete_change")
LOCATION_COUNTERS = (
    *COHORT_COUNTERS,
    *ACCEPTANCE_COUNTERS,
    "plans_completed",
    *LEVEL_CHANGE_COUNTERS,
    "appointments_completed",
    "appointments_no_show",
    "appointments_late_cancel",
    "payments_cents",
    "refunds_cents",
    "financing_funded",
)
# A coordinator's day item: the plan counters of the plans the coordinator owns, and the patients closed.
COORDINATOR_COUNTERS = (*COHORT_COUNTERS, *ACCEPTANCE_COUNTERS, "patients_closed")
# The location's running levels (one item per location), moved with the *_change counters above.
LEVEL_COUNTERS = ("patients_accepted", "patients_incomplete")
# Written (SET, so a re-run writes the same values) by the nightly close of a day.
CLOSE_FIELDS = ("followups_overdue", "end_patients_accepted", "end_patients_incomplete")


class Scope(StrEnum):
    LOCATION = "location"  # the location's day item
    COORDINATOR = "coordinator"  # a coordinator's counters of a day at the location
    LEVEL = "level"  # the location's running levels


class AppointmentOutcome(StrEnum):
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    LATE_CANCEL = "late_cancel"  # cancelled with under 24 hours' notice: counts as a no-show


OUTCOME_COUNTERS = {
    AppointmentOutcome.COMPLETED: "appointments_completed",
    AppointmentOutcome.NO_SHOW: "appointments_no_show",
    AppointmentOutcome.LATE_CANCEL: "appointments_late_cancel",
}


@dataclass(frozen=True)
class Delta:
    """Add `amount` to `counter` of one item: a location's or a coordinator's day, or the levels."""

    scope: Scope
    counter: str
    amount: int
    day: date | None = None  # None for Scope.LEVEL
    coordinator_id: str | None = None  # only for Scope.COORDINATOR


def check_range(first: date, last: date, max_days: int = MAX_RANGE_DAYS) -> int:
    """The number of days in [first, last]; InvalidInput if reversed or longer than `max_days`."""
    if last < first:
        raise InvalidInput("invalid date range", [{"field": "to", "message": "must not be before from"}])
    days = (last - first).days + 1
    if days > max_days:
        raise InvalidInput("invalid date range",
                           [{"field": "to", "message": f"a range spans at most {max_days} days"}])
    return days


def days_between(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`, both included (empty when last < first)."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def merge(deltas: Iterable[Delta]) -> dict[tuple[Scope, date | None, str | None], Counter[str]]:
    """Deltas summed per item (scope, day, coordinator): one write per item, as a transaction requires."""
    items: dict[tuple[Scope, date | None, str | None], Counter[str]] = {}
    for delta in deltas:
        items.setdefault((delta.scope, delta.day, delta.coordinator_id), Counter())[delta.counter] += delta.amount
    return items


# ---- reading back ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """Patients with a signed plan, and those of them with accepted steps not completed."""

    patients_accepted: int = 0
    patients_incomplete: int = 0

    def __add__(self, other: Level) -> Level:
        return Level(self.patients_accepted + other.patients_accepted,
                     self.patients_incomplete + other.patients_incomplete)


@dataclass(frozen=True)
class DayClose:
    """What the nightly close recorded for a day: overdue follow-ups and the levels at the day's end."""

    followups_overdue: int
    level: Level


@dataclass(frozen=True)
class DayRecord:
    """The counters of one day (or of a roll-up's days, dated by its first) of a location
    (coordinator_id None) or of one of its coordinators, and the day's close when it was closed."""

    day: date
    counts: Mapping[str, int]
    coordinator_id: str | None = None
    close: DayClose | None = None


def end_of_day_level(current: Level, changes_after: Iterable[Mapping[str, int]]) -> Level:
    """The level at the end of a day: today's running level minus the changes recorded on later days."""
    accepted, incomplete = current.patients_accepted, current.patients_incomplete
    for counts in changes_after:
        accepted -= counts.get("patients_accepted_change", 0)
        incomplete -= counts.get("patients_incomplete_change", 0)
    return Level(accepted, incomplete)


@dataclass(frozen=True)
class Snapshot:
    """A level-type figure (incomplete treatment, overdue follow-ups) and the day it describes."""

    value: Level | int
    as_of: date


@dataclass
class Summary:
    """A location's (or a group's) counters summed over a date range, ready to be shown as figures."""

    days: int
    counts: Counter[str] = field(default_factory=Counter)
    working_days: int | None = None  # the location's working days in the range; None: every day works
    coordinators: dict[str, Counter[str]] = field(default_factory=dict)
    incomplete: Snapshot | None = None
    followups: Snapshot | None = None

    @property
    def patients_closed(self) -> int:
        """The location's patients closed: its coordinators' (a close is counted for the plan's owner)."""
        return sum(counts["patients_closed"] for counts in self.coordinators.values())


def summarize(days: int, records: Iterable[DayRecord], live: Level | None, today: date,
              working_days: int | None = None) -> Summary:
    """Sum a location's day items of one range (or the records of its roll-ups and edge days, whose
    sum is the same: shared.store.kpi_ranges). `live` is the running level, given when the range
    reaches `today` (then it is the incomplete-treatment figure); otherwise that figure is the one
    recorded by the latest closed day of the range, and absent when no day of it was closed."""
    summary = Summary(days, working_days=working_days)
    latest_close: tuple[date, DayClose] | None = None
    for record in records:
        if record.coordinator_id is None:
            _add_known(summary.counts, record.counts, _LOCATION_NAMES)
            if record.close is not None and (latest_close is None or record.day > latest_close[0]):
                latest_close = (record.day, record.close)
            continue
        coordinator = summary.coordinators.get(record.coordinator_id)
        if coordinator is None:
            coordinator = summary.coordinators[record.coordinator_id] = Counter()
        _add_known(coordinator, record.counts, _COORDINATOR_NAMES)
    # A coordinator is shown when something of theirs moved in the range: the same whether the range was
    # summed from its days or from roll-ups with days taken back.
    for coordinator in [c for c, counts in summary.coordinators.items() if not any(counts.values())]:
        del summary.coordinators[coordinator]
    if live is not None:
        summary.incomplete = Snapshot(live, today)
    elif latest_close is not None:
        summary.incomplete = Snapshot(latest_close[1].level, latest_close[0])
    if latest_close is not None:
        summary.followups = Snapshot(latest_close[1].followups_overdue, latest_close[0])
    return summary


_LOCATION_NAMES = frozenset(LOCATION_COUNTERS)
_COORDINATOR_NAMES = frozenset(COORDINATOR_COUNTERS)


def _add_known(total: Counter[str], counts: Mapping[str, int], names: frozenset[str]) -> None:
    """Add the counters of `names` (other keys ignored; zeros skipped: a report sums thousands of records)."""
    for name, amount in counts.items():
        if amount and name in names:
            total[name] += amount


@dataclass(frozen=True)
class ClosesByDay:
    """Patients closed per day of a range: the location's, and each coordinator's (days with none left
    out). Read from the day items, so given for one location's report (shared.services.kpis)."""

    location: Mapping[date, int]
    coordinators: Mapping[str, Mapping[date, int]]


def closes_by_day(records: Iterable[DayRecord]) -> ClosesByDay:
    location: Counter[date] = Counter()
    coordinators: dict[str, Counter[date]] = {}
    for record in records:
        closed = record.counts.get("patients_closed") if record.coordinator_id is not None else None
        if closed:
            location[record.day] += closed
            coordinators.setdefault(record.coordinator_id, Counter())[record.day] += closed
    return ClosesByDay(location, coordinators)


def roll_up(summaries: Sequence[Summary], days: int) -> Summary:
    """The group's summary: counters added, snapshots added with the oldest as_of among them."""
    working = [summary.working_days for summary in summaries if summary.working_days is not None]
    # A group works on a day when any of its locations does: its largest count of working days.
    group = Summary(days, working_days=max(working) if working else None)
    for summary in summaries:
        group.counts.update(summary.counts)
        for coordinator, counts in summary.coordinators.items():
            group.coordinators.setdefault(coordinator, Counter()).update(counts)
        group.incomplete = _add_snapshots(group.incomplete, summary.incomplete)
        group.followups = _add_snapshots(group.followups, summary.followups)
    return group


def _add_snapshots(total: Snapshot | None, one: Snapshot | None) -> Snapshot | None:
    if one is None:
        return total
    if total is None:
        return one
    value = total.value + one.value  # type: ignore[operator]  # both Level or both int
    return Snapshot(value, min(total.as_of, one.as_of))


# ---- figures -----------------------------------------------------------------------------------------


def ratio(numerator: int, denominator: int, places: int = 4) -> dict:
    """`{value, numerator, denominator}`; value rounded half-up (away from zero) to `places`, None when
    nothing to divide. Integer arithmetic: exact, and the float is the nearest to the rounded decimal."""
    value = None
    if denominator:
        scale = 10 ** places
        top, bottom = abs(numerator) * scale, abs(denominator)
        rounded = (2 * top + bottom) // (2 * bottom)
        value = (rounded if (numerator < 0) == (denominator < 0) else -rounded) / scale
    return {"value": value, "numerator": numerator, "denominator": denominator}


def _closed_per_day(closed: int, days: int, by_day: Mapping[date, int] | None) -> dict:
    figure = ratio(closed, days, places=2)
    if by_day is not None:
        figure["by_day"] = {day.isoformat(): n for day, n in sorted(by_day.items()) if n}
    return figure


def _plan_figures(counts: Mapping[str, int], closed: int, days: int, by_day: Mapping[date, int] | None) -> dict:
    """`days`: the working days of the range (patients closed are a rate per working day); `by_day`:
    the closes per day, when they were read."""
    return {
        "case_acceptance_count": {**ratio(counts["accepted"], counts["presented"]), "declined": counts["declined"]},
        "incomplete_treatment_cohort": ratio(counts["accepted"] - counts["cohort_completed"], counts["accepted"]),
        "case_acceptance_value": ratio(counts["accepted_cents"], counts["presented_cents"]),
        "patients_closed_per_day": _closed_per_day(closed, days, by_day),
        "days_to_acceptance": ratio(counts["accept_days_sum"], counts["accepted_on_day"], places=1),
    }


def _per_day_days(summary: Summary) -> int:
    return summary.days if summary.working_days is None else summary.working_days


def figures(summary: Summary, by_day: ClosesByDay | None = None) -> dict:
    """Every figure of a summary, each with what it was computed from (patients closed per day with
    `by_day` when it is given)."""
    counts = {name: summary.counts.get(name, 0) for name in LOCATION_COUNTERS}
    no_shows, late = counts["appointments_no_show"], counts["appointments_late_cancel"]
    seen = counts["appointments_completed"]
    incomplete = summary.incomplete
    level = incomplete.value if incomplete is not None else None
    return {
        **_plan_figures(counts, summary.patients_closed, _per_day_days(summary),
                        by_day.location if by_day is not None else None),
        "incomplete_treatment": {
            **(ratio(level.patients_incomplete, level.patients_accepted) if isinstance(level, Level)
               else {"value": None, "numerator": None, "denominator": None}),
            "as_of": incomplete.as_of.isoformat() if incomplete is not None else None,
        },
        "no_show_rate": {**ratio(no_shows + late, seen + no_shows + late), "no_shows": no_shows,
                         "late_cancellations": late, "completed": seen},
        "collections": {"value": counts["payments_cents"] - counts["refunds_cents"],
                        "payments_cents": counts["payments_cents"], "refunds_cents": counts["refunds_cents"]},
        "financing_uptake": ratio(counts["financing_funded"], counts["accepted_on_day"]),
        "followups_overdue": {
            "value": summary.followups.value if summary.followups is not None else None,
            "as_of": summary.followups.as_of.isoformat() if summary.followups is not None else None,
        },
        "plans_completed": {"value": counts["plans_completed"]},
    }


def coordinator_figures(summary: Summary, by_day: ClosesByDay | None = None) -> list[dict]:
    """Per coordinator (by id, sorted): the plan figures of the plans they own."""
    rows = []
    for coordinator in sorted(summary.coordinators):
        counts = {name: summary.coordinators[coordinator].get(name, 0) for name in COORDINATOR_COUNTERS}
        days = by_day.coordinators.get(coordinator, {}) if by_day is not None else None
        rows.append({"coordinator_id": coordinator,
                     "figures": _plan_figures(counts, counts["patients_closed"], _per_day_days(summary), days)})
    return rows


def require_closable(day: date, today: date, max_days_after: int) -> list[date]:
    """The days after `day` up to `today` whose changes a close must take back; RuleViolation when the
    day has not ended yet or ended too long ago to be closed exactly."""
    if day >= today:
        raise RuleViolation(f"KPI close: {day.isoformat()} has not ended yet at the location "
                            f"(today is {today.isoformat()})")
    later = days_between(day + timedelta(days=1), today)
    if len(later) > max_days_after:
        raise RuleViolation(f"KPI close: a day can be closed at most {max_days_after} days after it ended")
    return later
