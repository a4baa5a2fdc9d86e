"""Persistence of the KPI aggregates: a day item per location and day (its coordinators' counters on it),
month and pentad roll-ups of them, the location's running levels, and each patient's treatment as the
KPIs see it.

Keys. A day's items and a period's roll-ups of every location of a group share one partition, keyed by
the location, so a group report reads each item of its plan for all locations with one Query:
  pk `{org}#KPIDAY#{yyyy-mm-dd}`        sk `{location_id}`   a location's day (local date of the location):
                                                             its counters under their own names, each
                                                             coordinator's as `c#{coordinator}#{counter}`,
                                                             and the nightly close's fields
  pk `{org}#KPIMONTH#{yyyy-mm}`         sk `{location_id}`   the month's roll-up: the sum of its day items
                                                             (the same attribute names), its latest close
  pk `{org}#KPIPENTAD#{yyyy-mm-dd}`     sk `{location_id}`   a pentad's roll-up (days 1-5, 6-10, ... 26-end of
                                                             a month, keyed by its first day): the same
  pk `{org}#KPILEVEL`                   sk `{location_id}`   running levels (patients with signed / open plans)
  pk `{org}#KPI#{location_id}`          sk `PAT#{patient_id}` the patient's signed and open plans (versioned)
Before 2026-11-30 the days, roll-ups and levels were in the location's partition (`DAY#{d}`, a
coordinator's own `DAY#{d}#COORD#{c}`, `MONTH#`, `PENTAD#`, `LEVEL`): `infra/kpi_backfill.py` moves them
(shared/store/kpi_legacy.py). A group's day partition takes the writes of all its locations for that day:
at 2 write units an item update (4 in a transaction) it stays far below DynamoDB's 1,000 WCU per
partition (docs/SCALE.md).

Counters are TOP-LEVEL number attributes changed with DynamoDB `ADD`, which creates a missing item and
a missing attribute: a nested `doc.x` path cannot be added to on an item that does not exist yet, and
`SET doc = if_not_exists(doc, ...)` with `ADD doc.x` in one expression is refused (overlapping paths).

A transaction may not hold two operations on one item, yet a payment, an appointment outcome and a
plan change may all move the same day item in one transaction: the unit of work merges the counts
added to one item into one update (`UnitOfWork.add_counts`). The month and pentad roll-ups are added to
in the same unit of work as their day items, so each always equals their sum (shared/store/kpi_ranges.py
reads them): a day's counters, the location's and its coordinators' alike, are three item updates (the
day, its pentad, its month), merged with the other updates of those items in the transaction.
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
from shared.domain.kpis import DayClose, Level
from shared.store import followups as followup_store
from shared.store import records
from shared.store.table import Record, connection, register_model
from shared.store.unit_of_work import Failure, UnitOfWork, stale

DAY_PARTITION = "#KPIDAY#"
LEVEL_PARTITION = "#KPILEVEL"
ROLL_UP_PARTITIONS = {True: "#KPIMONTH#", False: "#KPIPENTAD#"}  # by Period.is_month
PATIENT = "PAT#"
COORDINATOR_ATTRIBUTE = "c#"  # a coordinator's counters on a day item or a roll-up: c#{coordinator}#{counter}
ROLL_UP_WRITES = "writes"  # transactions that added to a roll-up: lets the backfill write one conditionally
ROLL_UP_KINDS = {True: "kpi_month", False: "kpi_pentad"}  # by Period.is_month
DAY_KIND = "kpi_day"
ROLL_UP_CLOSE_DAY = "close_day"  # the roll-up's latest closed day (its close fields are that day's)
MAX_TRANSACT_GET = 100  # DynamoDB's limit of items in one TransactGetItems
Key = tuple[str, str]


def pk(org: str, location_id: str) -> str:
    """The location's partition: its patients' treatments."""
    return f"{org}#KPI#{location_id}"


def level_pk(org: str) -> str:
    return f"{org}{LEVEL_PARTITION}"


def level_key(org: str, location_id: str) -> Key:
    return level_pk(org), location_id


def day_pk(org: str, day: date) -> str:
    return f"{org}{DAY_PARTITION}{day.isoformat()}"


def roll_up_pk(org: str, period: Period) -> str:
    """A month's roll-ups (`{org}#KPIMONTH#{yyyy-mm}`) or a pentad's (`{org}#KPIPENTAD#{its first day}`)."""
    return f"{org}{ROLL_UP_PARTITIONS[period.is_month]}{period.first.isoformat()[:7 if period.is_month else 10]}"


def period_pk(org: str, period: Period) -> str:
    """The partition of a plan's item (shared.domain.kpi_months.Term): a day's, or a roll-up's."""
    return day_pk(org, period.first) if period.is_day else roll_up_pk(org, period)


def day_key(org: str, location_id: str, day: date) -> Key:
    return day_pk(org, day), location_id


def roll_up_key(org: str, location_id: str, period: Period) -> Key:
    return roll_up_pk(org, period), location_id


def day_of(pk_value: str) -> date:
    """The date of a day partition's key."""
    return date.fromisoformat(pk_value.rpartition("#")[2])


def counter_names(counts: Mapping[str, int], coordinator_id: str | None) -> dict[str, int]:
    """Counts as a day item and its roll-ups name them: a coordinator's as `c#{coordinator}#{counter}`."""
    if coordinator_id is None:
        return dict(counts)
    return {f"{COORDINATOR_ATTRIBUTE}{coordinator_id}#{name}": amount for name, amount in counts.items()}


_NUMBERS = sorted({*kpi.LOCATION_COUNTERS, *kpi.LEVEL_COUNTERS, *kpi.CLOSE_FIELDS})


class _KpiItemBase(Model):
    """The KPI items of the one table, with their counters as top-level attributes (Record keeps its
    entity in `doc`, which cannot be added to before the item exists). A coordinator's counters are
    named at run time (`Path`), so only the location's are declared."""

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

_ALLOWED = {kpi.Scope.LOCATION: frozenset(kpi.LOCATION_COUNTERS),
            kpi.Scope.COORDINATOR: frozenset(kpi.COORDINATOR_COUNTERS),
            kpi.Scope.LEVEL: frozenset(kpi.LEVEL_COUNTERS)}


def add_counts(uow: UnitOfWork, org: str, location_id: str, scope: kpi.Scope, counts: Mapping[str, int],
               day: date | None = None, coordinator_id: str | None = None) -> None:
    """Add `counts` to the location's levels, or to a day's item (a coordinator's under their names) and
    its roll-ups, in the unit of work (creating items as needed); counts added to the same item are
    merged into one update."""
    unknown = set(counts) - _ALLOWED[scope]
    if unknown:
        raise ValueError(f"not counters of a {scope} item: {sorted(unknown)}")
    if scope is kpi.Scope.LEVEL:
        uow.add_counts(_item(level_key(org, location_id)), counts, LEVEL_ACTIONS)
        return
    if day is None:
        raise ValueError(f"a {scope} count needs a day")
    if scope is kpi.Scope.COORDINATOR and not coordinator_id:
        raise ValueError("a coordinator's count needs a coordinator id")
    named = counter_names(counts, coordinator_id if scope is kpi.Scope.COORDINATOR else None)
    uow.add_counts(_item(day_key(org, location_id, day)), named, DAY_ACTIONS)
    for period in periods_of(day):
        uow.add_counts(_item(roll_up_key(org, location_id, period)), named, _ROLL_UP_ACTIONS[period.is_month])


def _item(key: Key) -> _KpiItemBase:
    return KpiItem(pk=key[0], sk=key[1])


def _adds(kind: str, count_writes: bool) -> Any:
    def build(counts: Mapping[str, int]) -> list:
        """ADD to the counters, named at run time (a coordinator's); a roll-up also counts the write.
        Zeros are left out: an item holds only the counters that moved, so it stays small to read."""
        actions = [KpiItem.kind.set(KpiItem.kind | kind)]
        if count_writes:
            actions.append(Path([ROLL_UP_WRITES]).add({"N": "1"}))
        return actions + [Path([name]).add({"N": str(amount)}) for name, amount in sorted(counts.items()) if amount]

    return build


LEVEL_ACTIONS = _adds("kpi_level", count_writes=False)
DAY_ACTIONS = _adds(DAY_KIND, count_writes=False)
_ROLL_UP_ACTIONS = {is_month: _adds(kind, count_writes=True) for is_month, kind in ROLL_UP_KINDS.items()}


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


# ---- levels and closes --------------------------------------------------------------------------------


def levels(org: str, location_ids: Sequence[str]) -> dict[str, Level]:
    """The running levels of these locations (BatchGetItem, 100 keys a request)."""
    keys = [level_key(org, location_id) for location_id in location_ids]
    found = {item.sk: item for item in KpiItem.batch_get(keys)} if keys else {}
    return {location_id: _level(found.get(location_id)) for location_id in location_ids}


def _level(item: _KpiItemBase | None) -> Level:
    if item is None:
        return Level()
    return Level(item.number("patients_accepted"), item.number("patients_incomplete"))


def level_and_changes(org: str, location_id: str, later_days: Sequence[date]) -> tuple[Level, list[dict]]:
    """The running level and the level changes recorded on `later_days`, read in one TransactGetItems so
    they are a consistent snapshot (a change writes both in one transaction)."""
    if len(later_days) + 1 > MAX_TRANSACT_GET:
        raise ValueError(f"at most {MAX_TRANSACT_GET - 1} days in one consistent read")
    # The table's cached connection: a new Connection would build a new botocore client (~0.1 s).
    with TransactGet(connection=connection()) as tx:
        level = tx.get(KpiItem, *level_key(org, location_id))
        later = [tx.get(KpiItem, *day_key(org, location_id, day)) for day in later_days]
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
    item = _item(day_key(org, location_id, day))
    fields = [
        KpiItem.followups_overdue.set(close.followups_overdue),
        KpiItem.end_patients_accepted.set(close.level.patients_accepted),
        KpiItem.end_patients_incomplete.set(close.level.patients_incomplete),
    ]
    item.update(actions=[KpiItem.kind.set(KpiItem.kind | DAY_KIND),
                         KpiItem.closed_at.set(closed_at), *fields])
    close_day = Path([ROLL_UP_CLOSE_DAY])
    for period in periods_of(day):
        roll_up = _item(roll_up_key(org, location_id, period))
        try:
            roll_up.update(actions=[KpiItem.kind.set(KpiItem.kind | ROLL_UP_KINDS[period.is_month]),
                                    close_day.set(day.isoformat()), *fields],
                           condition=close_day.does_not_exist() | (close_day <= day.isoformat()))
        except UpdateError as exc:
            if not records.is_conditional_failure(exc):
                raise
