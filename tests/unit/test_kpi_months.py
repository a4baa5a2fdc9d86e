"""Month roll-ups: a range read from roll-ups and edge days gives the same figures as the sum of its days.

Random counters go through the write path (units of work, several items per transaction), random
closes through the close's store call in random order; every figure of random ranges is then compared,
read by key (roll-ups) and by the Query of the range's day items.
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
from tests.factories import commit

START, END = date(2024, 12, 20), date(2025, 3, 10)  # a year's end, a February, parts of four months
COORDINATORS = ("coord-a", "coord-b", "c#odd")  # '#' inside an id: names are split from the right


@given(st.dates(START, END), st.integers(0, 120))
def test_a_plan_reads_each_day_once_from_the_fewest_items(first, length):
    last = first + timedelta(days=length)
    parts = kpi_months.plan(first, last)
    covered = []
    for part in parts:
        month = kpi_months.month_of(part.first)
        assert part.month == month and part.first <= part.last <= kpi_months.month_end(month)
        inside = kpi.days_between(part.first, part.last)
        outside = [d for d in kpi.days_between(month, kpi_months.month_end(month)) if d not in inside]
        assert (list(part.plus_days), list(part.minus_days)) in ((inside, []), ([], outside))
        assert len(part.edge_days) == min(len(inside), len(outside))  # the fewer of the two
        covered += inside
    assert covered == kpi.days_between(first, last)


def test_a_year_reads_twelve_roll_ups_and_no_day():
    parts = kpi_months.plan(date(2025, 1, 1), date(2025, 12, 31))
    assert len(parts) == 12 and all(part.whole for part in parts)
    assert kpi_months.day_items_read(date(2025, 1, 1), date(2025, 12, 31)) == 0
    assert kpi_months.day_items_read(date(2025, 10, 31), date(2025, 11, 29)) == 2  # 31 Oct; 30 Nov taken back


def _write_random_activity(org: str, rng: random.Random) -> None:
    days = kpi.days_between(START, END)
    for _ in range(70):
        deltas = []
        for _ in range(rng.randint(1, 4)):  # several items, and twice the same, in one transaction
            day = rng.choice(days)
            deltas.append(Delta(Scope.LOCATION, rng.choice(kpi.LOCATION_COUNTERS), rng.randint(-3, 9), day))
            coordinator = rng.choice(COORDINATORS)
            deltas.append(Delta(Scope.COORDINATOR, rng.choice(kpi.COORDINATOR_COUNTERS), rng.randint(1, 5),
                                rng.choice([day, rng.choice(days)]), coordinator))
        commit(lambda uow, deltas=deltas: kpi_store.add_deltas(uow, org, "loc_1", deltas))
    for day in rng.sample(days, 25):  # closed out of order: a roll-up keeps its month's latest close
        close = DayClose(rng.randint(0, 9), Level(rng.randint(5, 50), rng.randint(0, 5)))
        kpi_store.record_close(org, "loc_1", day, close, "2025-04-01T00:00:00.000Z")


def _same_figures(org: str, first: date, last: date, live: Level | None) -> None:
    days = kpi.check_range(first, last)
    today = date(2025, 4, 1)
    by_days = kpi.summarize(days, kpi_store.days(org, "loc_1", first, last), live, today, working_days=days - 3)
    read = kpi_ranges.read_range(org, ["loc_1"], first, last)
    by_roll_ups = kpi.summarize(days, read.records["loc_1"], live, today, working_days=days - 3)
    assert kpi.figures(by_roll_ups) == kpi.figures(by_days), (first, last)
    assert kpi.coordinator_figures(by_roll_ups) == kpi.coordinator_figures(by_days), (first, last)


def test_roll_ups_and_edge_days_give_the_figures_of_the_days(store, org):
    rng = random.Random(13)
    _write_random_activity(org, rng)
    ranges = [(START, END), (date(2025, 1, 1), date(2025, 1, 31)), (date(2025, 2, 3), date(2025, 2, 25)),
              (date(2025, 1, 10), date(2025, 3, 2)), (date(2025, 2, 28), date(2025, 2, 28))]
    for _ in range(12):
        first = START + timedelta(days=rng.randint(0, 70))
        ranges.append((first, min(END, first + timedelta(days=rng.randint(0, 60)))))
    for first, last in ranges:
        _same_figures(org, first, last, live=None)
    _same_figures(org, date(2025, 2, 10), date(2025, 3, 9), live=Level(40, 7))


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
    ([date(2025, 1, 20)], date(2025, 1, 20)),  # inside the range: the roll-up has it
    ([date(2025, 1, 20), date(2025, 1, 30)], date(2025, 1, 20)),  # the roll-up's is after the range
    ([date(2025, 1, 3)], None),  # before the range
])
def test_the_latest_close_inside_a_range_taken_from_a_roll_up(store, org, closes, expected):
    for day in closes:
        kpi_store.record_close(org, "loc_1", day, DayClose(1, Level(2, 1)), "2025-02-01T00:00:00.000Z")
    first, last = date(2025, 1, 5), date(2025, 1, 25)  # January read from its roll-up, minus 10 days
    assert kpi_months.plan(first, last)[0].from_roll_up
    summary = kpi.summarize(21, kpi_ranges.read_range(org, ["loc_1"], first, last).records["loc_1"], None,
                            date(2025, 4, 1))
    assert (summary.followups.as_of if summary.followups else None) == expected


def _roll_up_items(org: str) -> dict[str, dict]:
    months = [f"{kpi_store.MONTH}{m}" for m in ("2024-12", "2025-01", "2025-02", "2025-03")]
    found = kpi_ranges.batch_get([(kpi_store.pk(org, "loc_1"), sk) for sk in months])
    return {sk: {name: value for name, value in raw.items() if name != kpi_store.MONTH_WRITES and value != {"N": "0"}}
            for (_, sk), raw in found.items()}


def test_the_backfill_builds_the_roll_ups_the_write_path_keeps(store, org):
    from infra import kpi_backfill

    _write_random_activity(org, random.Random(11))
    kept = _roll_up_items(org)
    assert len(kept) == 4
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
        if not raced:  # lands after the backfill read the roll-up and the days, before it writes
            raced.append(1)
            commit(lambda uow: kpi_store.add_deltas(uow, org, "loc_1", [Delta(Scope.LOCATION, "presented", 2, day)]))
        return found

    monkeypatch.setattr(kpi_store, "days", days_then_a_transaction)
    assert kpi_backfill.backfill_month(org, "loc_1", date(2025, 1, 1))
    [raw] = kpi_ranges.batch_get([(kpi_store.pk(org, "loc_1"), kpi_store.month_sk(day))]).values()
    assert raw["presented"] == {"N": "3"} and raw[kpi_store.MONTH_WRITES] == {"N": "2"}


def Record_delete(org: str, sk: str) -> None:
    from shared.store.table import Record

    Record._get_connection().delete_item(kpi_store.pk(org, "loc_1"), sk)


def test_many_edge_days_are_read_by_query_few_by_key():
    """30 days cut in the middle of two months: their days, one Query a location (no roll-up needed);
    a range ending a day before a month's end: the roll-up minus that day, by key."""
    cut = kpi_months.plan(date(2025, 10, 17), date(2025, 11, 15))
    assert [part.from_roll_up for part in cut] == [False, False]
    assert kpi_ranges.query_runs(cut) == [(date(2025, 10, 17), date(2025, 11, 15))]
    inside = kpi_months.plan(date(2025, 11, 3), date(2025, 11, 24))  # minus 1-2 and 25-30: two runs
    assert kpi_ranges.query_runs(inside) == [(date(2025, 11, 1), date(2025, 11, 2)), (date(2025, 11, 25),
                                                                                     date(2025, 11, 30))]
    assert kpi_ranges.query_runs(kpi_months.plan(date(2025, 10, 31), date(2025, 11, 29))) == []  # 2 days, by key
