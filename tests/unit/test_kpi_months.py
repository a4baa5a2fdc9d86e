"""Month and pentad roll-ups: a range read from the fewest roll-ups and days, each added or taken back,
gives the same figures as the sum of its days.

Random counters go through the write path (units of work, several items per transaction), random
closes through the close's store call in random order; every figure of many ranges (roll-ups of months
and pentads and days, added and taken back) is then compared, read as a report reads them and as the
sum of every day item of the range. On moto with many ranges; on DynamoDB Local a smaller fixed
case (the same code path, checked against the real service's semantics).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain import kpi_months
from shared.domain import kpis as kpi
from shared.domain.kpis import DayClose, Delta, Level, Scope
from shared.store import kpi_days, kpi_legacy, kpi_ranges, lean_reads
from shared.store import kpis as kpi_store
from shared.store.unit_of_work import UnitOfWork
from tests.factories import commit

START, END = date(2024, 12, 20), date(2025, 3, 10)  # a year's end, a February, parts of four months
COORDINATORS = ("coord-a", "coord-b", "c#odd")  # '#' inside an id: names are split from the right


@given(st.dates(START, END), st.integers(0, 120))
def test_a_plan_counts_each_day_of_the_range_once_and_no_other(first, length):
    last = first + timedelta(days=length)
    net: Counter[date] = Counter()
    for term in kpi_months.plan(first, last):
        period = term.period
        assert term.sign in (1, -1)
        assert period.is_month or period in kpi_months.pentads(period.month) or term.is_day
        for day in period.days:
            net[day] += term.sign
    assert +net == Counter(kpi.days_between(first, last)) and -net == Counter()


def test_a_year_reads_twelve_roll_ups_and_thirty_days_a_few():
    terms = kpi_months.plan(date(2025, 1, 1), date(2025, 12, 31))
    assert len(terms) == 12 and all(term.period.is_month and term.sign == 1 for term in terms)
    assert kpi_months.items_read(date(2025, 10, 31), date(2025, 11, 29)) == (1, 2)  # 31 Oct; 30 Nov taken back
    # 30 days cut in the middle of two months: 16-20 October minus the 16th, five whole pentads
    assert kpi_months.items_read(date(2025, 10, 17), date(2025, 11, 15)) == (6, 1)
    # 10-29 January: the 10th, the month minus 1-5 and 6-10, 30 and 31 (6 items; pentads and days: 7)
    assert kpi_months.items_read(date(2025, 1, 10), date(2025, 1, 29)) == (3, 3)
    # a day item holds its coordinators' counters: an edge day costs what a roll-up does
    every_thirty = sorted(sum(kpi_months.items_read(first, first + timedelta(days=29)))
                          for first in kpi.days_between(date(2024, 1, 1), date(2025, 12, 31)))
    assert every_thirty[-1] == 10 and every_thirty[len(every_thirty) // 2] == 6


def test_a_day_items_update_is_three_item_updates_its_day_its_pentad_its_month():
    uow = UnitOfWork()
    day = date(2025, 1, 12)
    kpi_store.add_deltas(uow, "org_1", "loc_1", [Delta(Scope.LOCATION, "presented", 1, day),
                                                 Delta(Scope.COORDINATOR, "presented", 1, day, "coord-a")])
    expected = {"presented": 1, "c#coord-a#presented": 1}  # the coordinator's counters on the day's item
    periods = kpi_months.periods_of(day)
    assert uow.counts == {key: expected for key in [kpi_store.day_key("org_1", "loc_1", day),
                                                    *(kpi_store.roll_up_key("org_1", "loc_1", p) for p in periods)]}


def _write_random_activity(org: str, rng: random.Random, transactions: int, closes: int) -> None:
    """Moto copies its tables for each transaction, so fewer, larger transactions keep this quick."""
    days = kpi.days_between(START, END)
    for _ in range(transactions):
        deltas = []
        for _ in range(rng.randint(4, 12)):  # several items, and twice the same, in one transaction
            day = rng.choice(days)
            deltas.append(Delta(Scope.LOCATION, rng.choice(kpi.LOCATION_COUNTERS), rng.randint(-3, 9), day))
            coordinator = rng.choice(COORDINATORS)
            deltas.append(Delta(Scope.COORDINATOR, rng.choice(kpi.COORDINATOR_COUNTERS), rng.randint(1, 5),
                                rng.choice([day, rng.choice(days)]), coordinator))
        commit(lambda uow, deltas=deltas: kpi_store.add_deltas(uow, org, "loc_1", deltas))
    for day in rng.sample(days, closes):  # closed out of order: a roll-up keeps its period's latest close
        close = DayClose(rng.randint(0, 9), Level(rng.randint(5, 50), rng.randint(0, 5)))
        kpi_store.record_close(org, "loc_1", day, close, "2025-04-01T00:00:00.000Z")


def _same_figures(org: str, every_day: list[kpi.DayRecord], first: date, last: date, live: Level | None) -> None:
    days = kpi.check_range(first, last)
    today = date(2025, 4, 1)
    by_days = kpi.summarize(days, [record for record in every_day if first <= record.day <= last], live, today,
                            working_days=days - 3)
    read = kpi_ranges.read_range(org, ["loc_1"], first, last)
    by_roll_ups = kpi.summarize(days, read.records["loc_1"], live, today, working_days=days - 3)
    assert kpi.figures(by_roll_ups) == kpi.figures(by_days), (first, last)
    assert kpi.coordinator_figures(by_roll_ups) == kpi.coordinator_figures(by_days), (first, last)


FIXED_RANGES = [  # each kind of part: whole months and pentads, either with days taken back or added
    (START, END), (date(2025, 1, 1), date(2025, 1, 31)), (date(2025, 2, 3), date(2025, 2, 25)),
    (date(2025, 1, 10), date(2025, 3, 2)), (date(2025, 2, 28), date(2025, 2, 28)),
    (date(2025, 1, 17), date(2025, 2, 15)), (date(2025, 1, 7), date(2025, 1, 13)),
]


def test_roll_ups_and_edge_days_give_the_figures_of_the_days(store, org):
    rng = random.Random(13)
    small = store == "ddblocal"  # the broad random check runs on moto; DynamoDB Local checks a fixed case
    _write_random_activity(org, rng, *((6, 6) if small else (12, 15)))
    every_day = kpi_days.days(org, "loc_1", START, END)
    ranges = list(FIXED_RANGES)
    for _ in range(0 if small else 24):
        first = START + timedelta(days=rng.randint(0, 78))
        ranges.append((first, min(END, first + timedelta(days=rng.choice([0, 1, 4, 9, 29, rng.randint(0, 60)])))))
    for first, last in ranges:
        _same_figures(org, every_day, first, last, live=None)
    _same_figures(org, every_day, date(2025, 2, 10), date(2025, 3, 9), live=Level(40, 7))


def test_a_whole_month_is_one_item_and_a_live_range_adds_the_levels(store, org):
    commit(lambda uow: kpi_store.add_deltas(uow, org, "loc_1", [
        Delta(Scope.LOCATION, "presented", 2, date(2025, 1, 5)),
        Delta(Scope.COORDINATOR, "patients_closed", 1, date(2025, 1, 5), "coord-a"),
        Delta(Scope.LEVEL, "patients_accepted", 3)]))
    read = kpi_ranges.read_range(org, ["loc_1", "loc_2"], date(2025, 1, 1), date(2025, 1, 31), live_ids=["loc_1"])
    assert read.items_read == 2  # loc_1's roll-up and levels; loc_2 has neither
    assert read.levels == {"loc_1": Level(3, 0)}
    summary = kpi.summarize(31, read.records["loc_1"], None, date(2025, 4, 1))
    assert summary.counts["presented"] == 2 and summary.patients_closed == 1


@pytest.mark.parametrize("closes, expected", [
    ([date(2025, 1, 20), date(2025, 1, 30)], date(2025, 1, 20)),  # the month's is after the range: its days
    ([date(2025, 1, 20), date(2025, 1, 27), date(2025, 1, 30)], date(2025, 1, 27)),
    ([date(2025, 1, 20), date(2025, 1, 27)], date(2025, 1, 27)),  # the month's, inside the range
    ([date(2025, 1, 3)], None),  # before the range
])
def test_the_latest_close_inside_a_range_taken_from_a_roll_up(store, org, closes, expected):
    for day in closes:
        kpi_store.record_close(org, "loc_1", day, DayClose(1, Level(2, 1)), "2025-02-01T00:00:00.000Z")
    first, last = date(2025, 1, 12), date(2025, 1, 29)  # the month minus 1-5, 6-10, the 11th, 30 and 31
    assert [(term.period.first.day, term.period.last.day, term.sign) for term in kpi_months.plan(first, last)] == [
        (11, 11, -1), (6, 10, -1), (1, 5, -1), (1, 31, 1), (31, 31, -1), (30, 30, -1)]
    summary = kpi.summarize(18, kpi_ranges.read_range(org, ["loc_1"], first, last).records["loc_1"], None,
                            date(2025, 4, 1))
    assert (summary.followups.as_of if summary.followups else None) == expected


def _roll_up_items(org: str) -> dict[str, dict]:
    months = [date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    periods = [period for month in months for period in (kpi_months.month_period(month), *kpi_months.pentads(month))]
    found = lean_reads.batch_get([kpi_store.roll_up_key(org, "loc_1", period) for period in periods])
    return {pk: {name: value for name, value in raw.items()
                 if name != kpi_store.ROLL_UP_WRITES and value != {"N": "0"}}
            for (pk, _), raw in found.items()}


def test_the_backfill_builds_the_roll_ups_the_write_path_keeps(store, org):
    from infra import kpi_backfill
    from shared.store.table import Record

    _write_random_activity(org, random.Random(11), transactions=6, closes=6)
    kept = _roll_up_items(org)
    month, pentad = kpi_store.ROLL_UP_PARTITIONS[True], kpi_store.ROLL_UP_PARTITIONS[False]
    assert sum(month in pk for pk in kept) == 4 and sum(pentad in pk for pk in kept) > 12
    for pk in kept:
        Record._get_connection().delete_item(pk, "loc_1")
    assert _roll_up_items(org) == {}
    months = [date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    assert kpi_backfill.backfill(org, ["loc_1"], months) == {"loc_1": 4}
    assert _roll_up_items(org) == kept
    assert kpi_backfill.backfill(org, ["loc_1"], months) == {"loc_1": 4}  # again: the same items
    assert _roll_up_items(org) == kept


def test_the_backfill_reads_a_month_again_when_a_transaction_added_to_it_meanwhile(store, org, monkeypatch):
    from infra import kpi_backfill

    day = date(2025, 1, 7)
    commit(lambda uow: kpi_store.add_deltas(uow, org, "loc_1", [Delta(Scope.LOCATION, "presented", 1, day)]))
    read_days, raced = kpi_days.days, []

    def days_then_a_transaction(*args, **kwargs):
        found = read_days(*args, **kwargs)
        if not raced:  # lands after the backfill read the roll-ups and the days, before it writes
            raced.append(1)
            commit(lambda uow: kpi_store.add_deltas(uow, org, "loc_1", [Delta(Scope.LOCATION, "presented", 2, day)]))
        return found

    monkeypatch.setattr(kpi_days, "days", days_then_a_transaction)
    assert kpi_backfill.backfill_month(org, "loc_1", date(2025, 1, 1))
    keys = [kpi_store.roll_up_key(org, "loc_1", period) for period in kpi_months.periods_of(day)]
    for raw in lean_reads.batch_get(keys).values():  # the month's and the pentad's
        assert raw["presented"] == {"N": "3"} and raw[kpi_store.ROLL_UP_WRITES] == {"N": "2"}


def test_the_backfill_moves_the_items_of_the_layout_before_2026_11_30(store, org):
    """Days, roll-ups and levels used to be in the location's partition, a coordinator's day an item of its own,
    and roll-ups kept closes per day: the backfill moves the days (exactly once) and rebuilds the
    roll-ups, so the location stored the old way is stored as the write path stores another."""
    from infra import kpi_backfill
    from shared.store.table import Record

    day = date(2025, 1, 7)
    commit(lambda uow: kpi_store.add_deltas(uow, org, "loc_2", [
        Delta(Scope.LOCATION, "presented", 2, day), Delta(Scope.COORDINATOR, "presented", 1, day, "coord-a"),
        Delta(Scope.COORDINATOR, "patients_closed", 1, day, "coord-a")]))
    kpi_store.record_close(org, "loc_2", day, DayClose(3, Level(4, 1)), "2025-01-08T05:00:00.000Z")
    table, key = Record._get_connection(), kpi_store.pk(org, "loc_1")
    old = {"DAY#2025-01-07": {"kind": {"S": "kpi_day"}, "presented": {"N": "2"}, "followups_overdue": {"N": "3"},
                              "end_patients_accepted": {"N": "4"}, "end_patients_incomplete": {"N": "1"},
                              "closed_at": {"S": "2025-01-08T05:00:00.000Z"}},
           "DAY#2025-01-07#COORD#coord-a": {"kind": {"S": "kpi_coordinator_day"}, "presented": {"N": "1"},
                                            "patients_closed": {"N": "1"}},
           "MONTH#2025-01": {"kind": {"S": "kpi_month"}, "writes": {"N": "1"}, "presented": {"N": "2"},
                             "c#coord-a#presented": {"N": "1"}, "c#coord-a#patients_closed#07": {"N": "1"}}}
    for sk, attributes in old.items():
        table.put_item(key, sk, attributes=attributes)
    table.put_item(key, "LEVEL", attributes={"kind": {"S": "kpi_level"}, "patients_accepted": {"N": "4"}})

    # a run that stopped after moving the location's day (its month not rebuilt yet): the old month names it
    location_day = {"pk": {"S": key}, "sk": {"S": "DAY#2025-01-07"}, **old["DAY#2025-01-07"]}
    assert kpi_legacy.move_legacy(org, "loc_1", location_day) is True
    assert kpi_backfill.backfill(org, ["loc_1"]) == {"loc_1": 1}
    assert lean_reads.partition_read(key)() == []  # all moved
    assert kpi_store.levels(org, ["loc_1"]) == {"loc_1": Level(4, 0)}
    sk = "DAY#2025-01-07#COORD#coord-a"
    coordinator_day = {"pk": {"S": key}, "sk": {"S": sk}, **old[sk]}
    assert kpi_legacy.move_legacy(org, "loc_1", coordinator_day) is False  # already moved: not added twice

    def stored(location_id: str) -> dict[str, dict]:
        keys = [kpi_store.day_key(org, location_id, day),
                *(kpi_store.roll_up_key(org, location_id, period) for period in kpi_months.periods_of(day))]
        return {pk: {name: value for name, value in raw.items() if name not in ("sk", kpi_store.ROLL_UP_WRITES)}
                for (pk, _), raw in lean_reads.batch_get(keys, consistent=True).items()}

    assert stored("loc_1") == stored("loc_2") and len(stored("loc_1")) == 3
    day_item = stored("loc_1")[kpi_store.day_pk(org, day)]
    assert {name: day_item[name] for name in ("presented", "c#coord-a#presented", "c#coord-a#patients_closed",
                                              "followups_overdue")} == {
        "presented": {"N": "2"}, "c#coord-a#presented": {"N": "1"}, "c#coord-a#patients_closed": {"N": "1"},
        "followups_overdue": {"N": "3"}}


def test_a_report_of_many_locations_queries_the_periods_and_keeps_only_the_shown(store, org):
    """Shown at least half the group: one Query per item of the plan, which reads every location's
    items; a location not shown is left out. Shown fewer: the same records, read by key."""
    day = date(2025, 1, 12)
    for n, location_id in enumerate(("loc_1", "loc_2", "loc_3"), start=1):
        commit(lambda uow, n=n, location_id=location_id: kpi_store.add_deltas(uow, org, location_id, [
            Delta(Scope.LOCATION, "presented", n, day), Delta(Scope.COORDINATOR, "accepted", n, day, "coord-a")]))
    first, last = date(2025, 1, 3), date(2025, 1, 31)  # the month minus the 1st and the 2nd
    by_query = kpi_ranges.read_range(org, ["loc_1", "loc_3"], first, last, group_size=3)
    by_key = kpi_ranges.read_range(org, ["loc_1", "loc_3"], first, last, group_size=5)
    assert by_query.items_read == 3 and by_key.items_read == 2  # the query read loc_2's month too
    assert by_query.records == by_key.records and set(by_query.records) == {"loc_1", "loc_3"}
    summary = kpi.summarize(29, by_query.records["loc_3"], None, date(2025, 4, 1))
    assert summary.counts["presented"] == 3 and summary.coordinators["coord-a"]["accepted"] == 3
