"""Persistence of the KPI aggregates: daily counter items per location and per coordinator, the
location's running levels, and each patient's treatment as the KPIs see it.

Keys (all under one partition per location, so a range of days is one Query):
  pk `{org}#KPI#{location_id}`
    sk `DAY#{yyyy-mm-dd}`                     the location's day (local date of the location)
    sk `DAY#{yyyy-mm-dd}#COORD#{coordinator}` a coordinator's day at the location
    sk `MONTH#{yyyy-mm}`                      the month's roll-up: the sum of its location and coordinator
                                              days (coordinators' counters as `c#{coordinator}#{counter}`,
                                              their closes per day as `c#{coordinator}#patients_closed#{dd}`)
                                              and the month's latest close
    sk `PENTAD#{yyyy-mm-dd}`                  the roll-up of a pentad (days 1-5, 6-10, ... 26-end of a month,
                                              keyed by its first day): the same attributes over its days
    sk `LEVEL`                                running levels (patients with signed / open plans)
    sk `PAT#{patient_id}`                     the patient's signed and open plans (versioned Record)

Counters are TOP-LEVEL number attributes changed with DynamoDB `ADD`, which creates a missing item and
a missing attribute: a nested `doc.x` path cannot be added to on an item that does not exist yet, and
`SET doc = if_not_exists(doc, ...)` with `ADD doc.x` in one expression is refused (overlapping paths).

A transaction may not hold two operations on one item, yet a payment, an appointment outcome and a
plan change may all move the same day item in one transaction: the unit of work merges the counts
added to one item into one update (`UnitOfWork.add_counts`). The month and pentad roll-ups are added to
in the same unit of work as their day items, so each always equals their sum (shared/store/kpi_ranges.py
reads them): a day item's update is three item updates (the day, its pentad, its month), merged with the
other updates of those items in the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.operand import Path
from pynamodb.models import Model
from pynamodb.transactions import TransactGet

from shared.domain import kpis as kpi
from shared.domain.kpi_months import Period, periods_of
from shared.domain.kpi_plan_changes import PatientTreatment
from shared.domain.kpis import DayClose, DayRecord, Level
from shared.store import followups as followup_store
from shared.store import records
from shared.store.table import Record, connection, register_model
from shared.store.unit_of_work import Failure, UnitOfWork, stale

DAY = "DAY#"
COORDINATOR = "#COORD#"
LEVEL = "LEVEL"
PATIENT = "PAT#"
MONTH = "MONTH#"
PENTAD = "PENTAD#"
COORDINATOR_ATTRIBUTE = "c#"  # a roll-up's coordinator counters: c#{coordinator}#{counter}
CLOSED = "patients_closed"  # a coordinator's closes are kept per day in a roll-up: ...#patients_closed#{dd}
ROLL_UP_WRITES = "writes"  # transactions that added to a roll-up: lets the backfill write one conditionally
ROLL_UP_KINDS = {True: "kpi_month", False: "kpi_pentad"}  # by Period.is_month
ROLL_UP_CLOSE_DAY = "close_day"  # the roll-up's latest closed day (its close fields are that day's)
MAX_TRANSACT_GET = 100  # DynamoDB's limit of items in one TransactGetItems

ITEM_KINDS = {kpi.Scope.LOCATION: "kpi_day", kpi.Scope.COORDINATOR: "kpi_coordinator_day",
              kpi.Scope.LEVEL: "kpi_level"}


def pk(org: str, location_id: str) -> str:
    return f"{org}#KPI#{location_id}"


def day_sk(day: date) -> str:
    return f"{DAY}{day.isoformat()}"


def coordinator_sk(day: date, coordinator_id: str) -> str:
    return f"{day_sk(day)}{COORDINATOR}{coordinator_id}"


def month_sk(day: date) -> str:
    return f"{MONTH}{day.isoformat()[:7]}"


def roll_up_sk(period: Period) -> str:
    """The key of a month's roll-up (`MONTH#{yyyy-mm}`) or of a pentad's (`PENTAD#{its first day}`)."""
    return month_sk(period.first) if period.is_month else f"{PENTAD}{period.first.isoformat()}"


def coordinator_attribute(coordinator_id: str, counter: str, day: date | None = None) -> str:
    """A coordinator's counter in a roll-up; `patients_closed` is kept per day (`day`, by its day of the
    month: a pentad is inside one month)."""
    name = f"{COORDINATOR_ATTRIBUTE}{coordinator_id}#{counter}"
    if counter == CLOSED:
        if day is None:
            raise ValueError("a coordinator's closes are kept per day")
        return f"{name}#{day.day:02d}"
    return name


def item_sk(scope: kpi.Scope, day: date | None, coordinator_id: str | None) -> str:
    if scope is kpi.Scope.LEVEL:
        return LEVEL
    if day is None:
        raise ValueError(f"a {scope} item needs a day")
    if scope is kpi.Scope.COORDINATOR:
        if not coordinator_id:
            raise ValueError("a coordinator item needs a coordinator id")
        return coordinator_sk(day, coordinator_id)
    return day_sk(day)


_NUMBERS = sorted({*kpi.LOCATION_COUNTERS, *kpi.COORDINATOR_COUNTERS, *kpi.LEVEL_COUNTERS, *kpi.CLOSE_FIELDS})


class _KpiItemBase(Model):
    """The KPI items of the one table, with their counters as top-level attributes (Record keeps its
    entity in `doc`, which cannot be added to before the item exists)."""

    Meta = Record.Meta  # the same table, re-pointed by shared.store.table.bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)

    def number(self, name: str) -> int:
        return int(getattr(self, name) or 0)


KpiItem: type[_KpiItemBase] = type(
    "KpiItem", (_KpiItemBase,), {"__module__": __name__, **{n: NumberAttribute(null=True) for n in _NUMBERS}})
register_model(KpiItem)


def _actions(kind: str) -> Any:
    def build(counts: Mapping[str, int]) -> list:
        actions = [KpiItem.kind.set(KpiItem.kind | kind)]
        return actions + [getattr(KpiItem, name).add(amount) for name, amount in sorted(counts.items())]

    return build


def add_counts(uow: UnitOfWork, org: str, location_id: str, scope: kpi.Scope, counts: Mapping[str, int],
               day: date | None = None, coordinator_id: str | None = None) -> None:
    """Add `counts` to one KPI item in the unit of work (creating the item if needed); counts added to
    the same item are merged into one update."""
    allowed = {kpi.Scope.LOCATION: kpi.LOCATION_COUNTERS, kpi.Scope.COORDINATOR: kpi.COORDINATOR_COUNTERS,
               kpi.Scope.LEVEL: kpi.LEVEL_COUNTERS}[scope]
    unknown = set(counts) - set(allowed)
    if unknown:
        raise ValueError(f"not counters of a {scope} item: {sorted(unknown)}")
    item = KpiItem(pk=pk(org, location_id), sk=item_sk(scope, day, coordinator_id))
    uow.add_counts(item, counts, _actions(ITEM_KINDS[scope]))
    if scope is not kpi.Scope.LEVEL and day is not None:
        added = roll_up_counts(counts, day, coordinator_id)
        for period in periods_of(day):
            uow.add_counts(KpiItem(pk=pk(org, location_id), sk=roll_up_sk(period)), added,
                           _ROLL_UP_ACTIONS[period.is_month])


def roll_up_counts(counts: Mapping[str, int], day: date, coordinator_id: str | None) -> dict[str, int]:
    """What a day item's counts add to its roll-ups (a coordinator's under their own names)."""
    if coordinator_id is None:
        return dict(counts)
    return {coordinator_attribute(coordinator_id, name, day): amount for name, amount in counts.items()}


def _roll_up_actions(kind: str) -> Any:
    def build(counts: Mapping[str, int]) -> list:
        """ADD to the roll-up's counters, named at run time (a coordinator's), and count the write. Zeros
        are left out: a roll-up holds only the counters that moved, so it stays small to read."""
        actions = [KpiItem.kind.set(KpiItem.kind | kind), Path([ROLL_UP_WRITES]).add({"N": "1"})]
        return actions + [Path([name]).add({"N": str(amount)}) for name, amount in sorted(counts.items()) if amount]

    return build


_ROLL_UP_ACTIONS = {is_month: _roll_up_actions(kind) for is_month, kind in ROLL_UP_KINDS.items()}


def add_deltas(uow: UnitOfWork, org: str, location_id: str, deltas: Iterable[kpi.Delta]) -> None:
    for (scope, day, coordinator_id), counts in kpi.merge(deltas).items():
        add_counts(uow, org, location_id, scope, counts, day, coordinator_id)


# ---- a patient's treatment -----------------------------------------------------------------------------


def load_treatment(org: str, location_id: str, patient_id: str) -> tuple[PatientTreatment, int | None]:
    """The patient's treatment at the location and the version read (None: nothing stored yet)."""
    record = records.get(pk(org, location_id), f"{PATIENT}{patient_id}", consistent=True)
    if record is None:
        return PatientTreatment(), None
    return PatientTreatment.from_dict(record.data()), int(record.version)


def save_treatment(uow: UnitOfWork, org: str, location_id: str, patient_id: str,
                   treatment: PatientTreatment, read_version: int | None, on_fail: Failure | None = None) -> None:
    """Write the patient's treatment, conditional on the version read (so two changes of one patient's
    plans racing each other cannot both count the patient): StaleVersion by default when they do.
    All of a patient's plan changes go in one KPI call (one unit of work holds one write per item)."""
    record = Record(pk=pk(org, location_id), sk=f"{PATIENT}{patient_id}", kind="kpi_patient",
                    doc=treatment.to_dict())
    uow.put_at(record, read_version, on_fail or stale("patient's treatment"), new_version=(read_version or 0) + 1)


# ---- reading -------------------------------------------------------------------------------------------


def number_of(raw: Mapping[str, Mapping[str, str]], name: str) -> int:
    """A counter of an item as DynamoDB returned it (0 when absent)."""
    value = raw.get(name)
    return int(value["N"]) if value else 0


def close_of(raw: Mapping[str, Mapping[str, str]]) -> DayClose:
    """The close fields of a day item or a roll-up, in their wire form."""
    return DayClose(number_of(raw, "followups_overdue"),
                    Level(number_of(raw, "end_patients_accepted"), number_of(raw, "end_patients_incomplete")))


def day_record(raw: Mapping[str, Mapping[str, str]]) -> DayRecord:
    """A day item as DynamoDB returned it: numbers read straight from their wire form (building pynamodb
    models for thousands of items costs as much CPU as botocore's parsing)."""
    day_text, _, coordinator_id = raw["sk"]["S"].removeprefix(DAY).partition(COORDINATOR)
    names = kpi.COORDINATOR_COUNTERS if coordinator_id else kpi.LOCATION_COUNTERS
    close = close_of(raw) if "closed_at" in raw else None
    return DayRecord(date.fromisoformat(day_text), {n: number_of(raw, n) for n in names}, coordinator_id or None,
                     close)


def days(org: str, location_id: str, first: date, last: date, consistent: bool = False) -> list[DayRecord]:
    """Every day item of the location from `first` to `last` (both local dates), coordinators' included:
    one Query, paged by DynamoDB beyond 1 MB."""
    return [day_record(raw) for raw in query_days(org, location_id, first, last, consistent)]


def query_days(org: str, location_id: str, first: date, last: date,
               consistent: bool = False) -> list[Mapping[str, Mapping[str, str]]]:
    """The day items of [first, last] as DynamoDB returned them (see day_record)."""
    condition = KpiItem.sk.between(day_sk(first), f"{day_sk(last)}~")  # '~' sorts after '#COORD#...'
    table = Record._get_connection()
    found: list[Mapping[str, Mapping[str, str]]] = []
    start: dict | None = None
    while True:
        page = table.query(pk(org, location_id), range_key_condition=condition, exclusive_start_key=start,
                           consistent_read=consistent)
        found += page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def levels(org: str, location_ids: Sequence[str]) -> dict[str, Level]:
    """The running levels of these locations (BatchGetItem, 100 keys a request)."""
    keys = [(pk(org, location_id), LEVEL) for location_id in location_ids]
    found = {item.pk: item for item in KpiItem.batch_get(keys)} if keys else {}
    return {location_id: _level(found.get(pk(org, location_id))) for location_id in location_ids}


def _level(item: _KpiItemBase | None) -> Level:
    if item is None:
        return Level()
    return Level(item.number("patients_accepted"), item.number("patients_incomplete"))


def level_and_changes(org: str, location_id: str, later_days: Sequence[date]) -> tuple[Level, list[dict]]:
    """The running level and the level changes recorded on `later_days`, read in one TransactGetItems so
    they are a consistent snapshot (a change writes both in one transaction)."""
    if len(later_days) + 1 > MAX_TRANSACT_GET:
        raise ValueError(f"at most {MAX_TRANSACT_GET - 1} days in one consistent read")
    key = pk(org, location_id)
    # The table's cached connection: a new Connection would build a new botocore client (~0.1 s).
    with TransactGet(connection=connection()) as tx:
        level = tx.get(KpiItem, key, LEVEL)
        later = [tx.get(KpiItem, key, day_sk(day)) for day in later_days]
    changes = []
    for future in later:
        item = _resolved(future)
        if item is not None:
            changes.append({name: item.number(name) for name in kpi.LEVEL_CHANGE_COUNTERS})
    return _level(_resolved(level)), changes


def _resolved(future: Any) -> _KpiItemBase | None:
    try:
        return future.get()
    except KpiItem.DoesNotExist:
        return None


def overdue_followups(org: str, location_id: str, day: date) -> int:
    """Follow-up tasks of the location still open with a due date on or before `day`: a COUNT Query on
    the follow-ups' location index (sorted `{status}#{due_date}#{id}`), no task read."""
    condition = Record.gsi1sk.between("open#", f"open#{day.isoformat()}~")
    return Record.gsi1.count(followup_store.by_location(org, location_id), range_key_condition=condition)


def record_close(org: str, location_id: str, day: date, close: DayClose, closed_at: str) -> None:
    """SET (not ADD) the day's close on its item, then on its month's and its pentad's roll-ups unless a
    roll-up holds a later day's close: running it again, or closing days out of order, writes the same."""
    item = KpiItem(pk=pk(org, location_id), sk=day_sk(day))
    fields = [
        KpiItem.followups_overdue.set(close.followups_overdue),
        KpiItem.end_patients_accepted.set(close.level.patients_accepted),
        KpiItem.end_patients_incomplete.set(close.level.patients_incomplete),
    ]
    item.update(actions=[KpiItem.kind.set(KpiItem.kind | ITEM_KINDS[kpi.Scope.LOCATION]),
                         KpiItem.closed_at.set(closed_at), *fields])
    close_day = Path([ROLL_UP_CLOSE_DAY])
    for period in periods_of(day):
        roll_up = KpiItem(pk=pk(org, location_id), sk=roll_up_sk(period))
        try:
            roll_up.update(actions=[KpiItem.kind.set(KpiItem.kind | ROLL_UP_KINDS[period.is_month]),
                                    close_day.set(day.isoformat()), *fields],
                           condition=close_day.does_not_exist() | (close_day <= day.isoformat()))
        except UpdateError as exc:
            if not records.is_conditional_failure(exc):
                raise
