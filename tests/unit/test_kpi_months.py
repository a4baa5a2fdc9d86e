"""Month and pentad roll-ups: a range read from roll-ups and edge days gives the same figures as the sum
of its days.

Random counters go through the write path (units of work, several items per transaction), random
closes through the close's store call in random order; every figure of many ranges (each kind of part:
whole months and pentads, either taken back from, days added) is then compared, read by key (roll-ups)
and by the Query of the range's day items. On moto with many ranges; on DynamoDB Local a smaller fixed
case (the same code path, checked against the real service's semantics).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain import kpi_months
from shared.domain import kpis as kpi
from shared.domain.kpis import DayClose, Delta, Level, Scope
from shared.store import kpi_ranges
from shared.store import kpis as kpi_store
from shared.store.unit_of_work import UnitOfWork
from tests.factories import commit

START, END = date(2024, 12, 20), date(2025, 3, 10)  # a year's end, a February, parts of four months
COORDINATORS = ("coord-a", "coord-b", "c#odd")  # '#' inside an id: names are split from the right


@given(st.dates(START, END), st.integers(0, 120))
def test_a_plan_reads_each_day_once_with_few_edge_days(first, length):
    last = first + timedelta(days=length)
    parts = kpi_months.plan(first, last)
    covered = []
    for part in parts:
        period = part.period
        assert period.first <= part.first <= part.last <= period.last
        assert period.is_month or period == kpi_months.pentad_of(part.first)
        inside = kpi.days_between(part.first, part.last)
        outside = [d for d in period.days if d not in inside]
        assert (list(part.plus_days), list(part.minus_days)) in ((inside, []), ([], outside))
        assert len(part.edge_days) == min(len(inside), len(outside))  # the fewer of the two
        covered += inside
    assert covered == kpi.days_between(first, last)
    assert kpi_months.day_items_read(first, last) <= 6  # at most three at each end


def test_a_year_reads_twelve_roll_ups_and_thirty_days_a_few():
    parts = kpi_months.plan(date(2025, 1, 1), date(2025, 12, 31))
    assert len(parts) == 12 and all(part.whole and part.period.is_month for part in parts)
    assert kpi_months.day_items_read(date(2025, 1, 1), date(2025, 12, 31)) == 0
    assert kpi_months.day_items_read(date(2025, 10, 31), date(2025, 11, 29)) == 2  # 31 Oct; 30 Nov taken back
    # 30 days cut in the middle of two months: 16-20 October minus the 16th, five whole pentads
    assert kpi_ranges.reads_per_location(date(2025, 10, 17), date(2025, 11, 15)) == (6, 1)
    every_thirty = [kpi_ranges.reads_per_location(first, first + timedelta(days=29))
                    for first in kpi.days_between(date(2024, 1, 1), date(2025, 12, 31))]
    assert max(roll_ups for roll_ups, _ in every_thirty) == 8 and max(days for _, days in every_thirty) == 6


def test_a_day_items_update_is_three_item_updates_its_day_its_pentad_its_month():
    uow = UnitOfWork()
    day = date(2025, 1, 12)
    kpi_store.add_deltas(uow, "org_1", "loc_1", [Delta(Scope.LOCATION, "presented", 1, day),
                                                 Delta(Scope.COORDINATOR, "presented", 1, day, "coord-a")])
    assert sorted(sk for _, sk in uow.counts) == ["DAY#2025-01-12", "DAY#2025-01-12#COORD#coord-a",
                                                  "MONTH#2025-01", "PENTAD#2025-01-11"]


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
    every_day = kpi_store.days(org, "loc_1", START, END)
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
    assert summary.counts["presented"] == 2 and dict(summary.closed_by_day) == {date(2025, 1, 5): 1}


@pytest.mark.parametrize("closes, expected", [
    ([date(2025, 1, 20), date(2025, 1, 30)], date(2025, 1, 20)),  # 16-20's roll-up; 26-31's is after the range
    ([date(2025, 1, 20), date(2025, 1, 27), date(2025, 1, 30)], date(2025, 1, 27)),  # found on 26-29's days
    ([date(2025, 1, 3)], None),  # before the range
])
def test_the_latest_close_inside_a_range_taken_from_a_roll_up(store, org, closes, expected):
    for day in closes:
        kpi_store.record_close(org, "loc_1", day, DayClose(1, Level(2, 1)), "2025-02-01T00:00:00.000Z")
    first, last = date(2025, 1, 5), date(2025, 1, 29)  # the 5th; four whole pentads; 26-31 minus 30 and 31
    parts = kpi_months.plan(first, last)
    assert parts[0].plus_days == (first,) and parts[-1].minus_days == (date(2025, 1, 30), date(2025, 1, 31))
    summary = kpi.summarize(25, kpi_ranges.read_range(org, ["loc_1"], first, last).records["loc_1"], None,
                            date(2025, 4, 1))
    assert (summary.followups.as_of if summary.followups else None) == expected


def _roll_up_items(org: str) -> dict[str, dict]:
    months = [date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    periods = [period for month in months for period in (kpi_months.month_period(month), *kpi_months.pentads(month))]
    found = kpi_ranges.batch_get([(kpi_store.pk(org, "loc_1"), kpi_store.roll_up_sk(period)) for period in periods])
    return {sk: {name: value for name, value in raw.items()
                 if name != kpi_store.ROLL_UP_WRITES and value != {"N": "0"}}
            for (_, sk), raw in found.items()}


def test_the_backfill_builds_the_roll_ups_the_write_path_keeps(store, org):
    from infra import kpi_backfill

    _write_random_activity(org, random.Random(11), transactions=6, closes=6)
    kept = _roll_up_items(org)
    assert sum(sk.startswith(kpi_store.MONTH) for sk in kept) == 4 and sum(
        sk.startswith(kpi_store.PENTAD) for sk in kept) > 12
    for sk in kept:
        Record_delete(org, sk)
    assert _roll_up_items(org) == {}
    assert kpi_backfill.backfill(org, ["loc_1"]) == {"loc_1": 4}
    assert _roll_up_items(org) == kept
    assert kpi_backfill.backfill(org, ["loc_1"]) == {"loc_1": 4}  # again: the same items
    assert _roll_up_items(org) == kept


def test_the_backfill_reads_a_month_again_when_a_transaction_added_to_it_meanwhile(store, org, monkeypatch):
    from infra import kpi_backfill

    day = date(2025, 1, 7)
    commit(lambda uow: kpi_store.add_deltas(uow, org, "loc_1", [Delta(Scope.LOCATION, "presented", 1, day)]))
    read_days, raced = kpi_store.days, []

    def days_then_a_transaction(*args, **kwargs):
        found = read_days(*args, **kwargs)
        if not raced:  # lands after the backfill read the roll-ups and the days, before it writes
            raced.append(1)
            commit(lambda uow: kpi_store.add_deltas(uow, org, "loc_1", [Delta(Scope.LOCATION, "presented", 2, day)]))
        return found

    monkeypatch.setattr(kpi_store, "days", days_then_a_transaction)
    assert kpi_backfill.backfill_month(org, "loc_1", date(2025, 1, 1))
    keys = [(kpi_store.pk(org, "loc_1"), kpi_store.roll_up_sk(period)) for period in kpi_months.periods_of(day)]
    for raw in kpi_ranges.batch_get(keys).values():  # the month's and the pentad's
        assert raw["presented"] == {"N": "3"} and raw[kpi_store.ROLL_UP_WRITES] == {"N": "2"}


def Record_delete(org: str, sk: str) -> None:
    from shared.store.table import Record

    Record._get_connection().delete_item(kpi_store.pk(org, "loc_1"), sk)
