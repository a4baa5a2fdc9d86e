from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.clock import local_date, require_utc
from shared.domain.quiet_hours import (
    QuietHours,
    allowed_send_time,
    local_days_before,
    utc_at_local,
)
from shared.errors import InvalidInput

NY = "America/New_York"
LONDON = "Europe/London"
AUCKLAND = "Pacific/Auckland"


def local(tz_name: str, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz_name), fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def allowed(instant: datetime, tz_name: str = NY, quiet: QuietHours | None = None) -> datetime:
    return allowed_send_time(instant.astimezone(UTC), tz_name, quiet)


def test_an_allowed_time_is_kept_and_returned_in_utc():
    result = allowed(local(NY, 2025, 6, 10, 12, 15, 30))
    assert result == utc(2025, 6, 10, 16, 15, 30)
    assert result.tzinfo == UTC


def test_early_morning_moves_to_one_minute_before_latest_the_evening_before():
    assert allowed(local(NY, 2025, 6, 10, 7, 30)) == local(NY, 2025, 6, 9, 20, 59)


def test_late_evening_moves_to_one_minute_before_latest_the_same_day():
    assert allowed(local(NY, 2025, 6, 10, 22, 0)) == local(NY, 2025, 6, 10, 20, 59)


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        ((8, 0), (2025, 6, 10, 8, 0)),  # earliest is allowed
        ((20, 59, 59), (2025, 6, 10, 20, 59, 59)),  # still before latest
        ((21, 0), (2025, 6, 10, 20, 59)),  # latest itself is quiet
        ((7, 59, 59), (2025, 6, 9, 20, 59)),
        ((0, 0), (2025, 6, 9, 20, 59)),
        ((23, 59), (2025, 6, 10, 20, 59)),
    ],
)
def test_window_edges(wall, expected):
    assert allowed(local(NY, 2025, 6, 10, *wall)) == local(NY, *expected)


def test_spring_forward_morning_moves_to_the_standard_time_evening_before():
    # New York springs forward on 2025-03-09; the evening before is still EST (UTC-5).
    result = allowed(local(NY, 2025, 3, 9, 7, 30))
    assert result == utc(2025, 3, 9, 1, 59)
    assert result.astimezone(ZoneInfo(NY)).strftime("%H:%M %Z") == "20:59 EST"


def test_fall_back_morning_moves_to_the_daylight_time_evening_before():
    # New York falls back on 2025-11-02; the evening before is still EDT (UTC-4).
    result = allowed(local(NY, 2025, 11, 2, 6, 30))
    assert result == utc(2025, 11, 2, 0, 59)
    assert result.astimezone(ZoneInfo(NY)).strftime("%H:%M %Z") == "20:59 EDT"


def test_london_across_both_transitions():
    assert allowed(local(LONDON, 2025, 3, 30, 7, 0), LONDON) == utc(2025, 3, 29, 20, 59)  # GMT evening
    assert allowed(local(LONDON, 2025, 10, 26, 7, 0), LONDON) == utc(2025, 10, 25, 19, 59)  # BST evening
    assert allowed(local(LONDON, 2025, 3, 30, 21, 30), LONDON) == utc(2025, 3, 30, 19, 59)  # BST


def test_auckland_across_both_transitions():
    # NZDT (UTC+13) ends 2025-04-06; NZST (UTC+12) ends 2025-09-28.
    assert allowed(local(AUCKLAND, 2025, 4, 6, 7, 0), AUCKLAND) == utc(2025, 4, 5, 7, 59)
    assert allowed(local(AUCKLAND, 2025, 9, 28, 7, 0), AUCKLAND) == utc(2025, 9, 27, 8, 59)


def test_a_location_can_set_stricter_hours():
    strict = QuietHours(earliest=time(9, 0), latest=time(20, 0))
    assert allowed(local(NY, 2025, 6, 10, 8, 30), quiet=strict) == local(NY, 2025, 6, 9, 19, 59)
    assert allowed(local(NY, 2025, 6, 10, 20, 0), quiet=strict) == local(NY, 2025, 6, 10, 19, 59)
    assert allowed(local(NY, 2025, 6, 10, 9, 0), quiet=strict) == local(NY, 2025, 6, 10, 9, 0)


def test_last_allowed_minute_inside_a_spring_forward_gap_becomes_the_minute_before_the_gap():
    # With sending allowed until 02:31, the last minute (02:30) does not exist on 2025-03-09 in New York:
    # the clock went 01:59 EST -> 03:00 EDT, so 01:59 EST is the latest allowed moment that day.
    quiet = QuietHours(earliest=time(0, 0), latest=time(2, 31))
    assert allowed(local(NY, 2025, 3, 9, 3, 10), quiet=quiet) == utc(2025, 3, 9, 6, 59)


def test_last_allowed_minute_repeated_by_a_fall_back_takes_the_latest_occurrence_not_after_the_wish():
    quiet = QuietHours(earliest=time(0, 0), latest=time(1, 31))
    # 03:00 EST: both 01:30 EDT and 01:30 EST came before; the later one (EST) wins.
    assert allowed(local(NY, 2025, 11, 2, 3, 0), quiet=quiet) == utc(2025, 11, 2, 6, 30)
    # 01:40 EDT (first pass): 01:30 EST is still to come, so 01:30 EDT it is.
    assert allowed(local(NY, 2025, 11, 2, 1, 40, fold=0), quiet=quiet) == utc(2025, 11, 2, 5, 30)


@pytest.mark.parametrize(
    ("earliest", "latest"),
    [(time(21, 0), time(8, 0)), (time(9, 0), time(9, 0)), (time(8, 0, 30), time(21, 0))],
)
def test_quiet_hours_must_leave_a_whole_minute_window(earliest, latest):
    with pytest.raises(InvalidInput):
        QuietHours(earliest=earliest, latest=latest)


def test_naive_instants_and_unknown_zones_are_rejected():
    with pytest.raises(InvalidInput):
        allowed_send_time(datetime(2025, 6, 10, 12, 0), NY)
    with pytest.raises(InvalidInput):
        allowed_send_time(utc(2025, 6, 10, 12, 0), "Mars/Olympus_Mons")
    with pytest.raises(InvalidInput):
        require_utc("2025-06-10T12:00:00Z", "send_at")  # type: ignore[arg-type]


def test_local_days_before_keeps_the_wall_clock_across_dst():
    start = local(NY, 2025, 3, 12, 10, 0)  # EDT
    assert local_days_before(start, 7, NY) == local(NY, 2025, 3, 5, 10, 0)  # EST: 15:00 UTC
    assert local_days_before(start, 7, NY) == utc(2025, 3, 5, 15, 0)
    assert start - local_days_before(start, 7, NY) == timedelta(days=7, hours=-1)


def test_utc_at_local_reads_gap_times_forward_and_repeated_times_first():
    assert utc_at_local(date(2025, 3, 9), time(2, 30), NY) == utc(2025, 3, 9, 7, 30)  # 03:30 EDT
    assert utc_at_local(date(2025, 11, 2), time(1, 30), NY) == utc(2025, 11, 2, 5, 30)  # 01:30 EDT


def test_local_date_uses_the_location_clock():
    assert local_date(utc(2025, 6, 11, 2, 0), NY) == date(2025, 6, 10)
    assert local_date(utc(2025, 6, 10, 13, 0), AUCKLAND) == date(2025, 6, 11)


ZONES = [NY, LONDON, AUCKLAND, "Australia/Lord_Howe", "America/St_Johns", "Asia/Kolkata", "UTC"]


@st.composite
def quiet_hours(draw):
    earliest = draw(st.integers(0, 24 * 60 - 2))
    latest = draw(st.integers(earliest + 1, 24 * 60 - 1))
    return QuietHours(time(*divmod(earliest, 60)), time(*divmod(latest, 60)))


def _brute_force_latest_allowed(instant: datetime, tz_name: str, quiet: QuietHours) -> datetime:
    tz = ZoneInfo(tz_name)
    if quiet.allows(instant.astimezone(tz).time()):
        return instant
    candidate = instant.replace(second=0, microsecond=0)
    while not quiet.allows(candidate.astimezone(tz).time()):
        candidate -= timedelta(minutes=1)
    return candidate


@settings(max_examples=150, deadline=None)
@given(
    instant=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    tz_name=st.sampled_from(ZONES),
    quiet=quiet_hours(),
)
def test_result_is_the_latest_allowed_minute_not_after_the_wish(instant, tz_name, quiet):
    assert allowed_send_time(instant, tz_name, quiet) == _brute_force_latest_allowed(instant, tz_name, quiet)
