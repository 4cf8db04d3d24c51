"""The interval arithmetic under the contact windows (compliance/windows.py), exact to the second.

Each test pins one behaviour a mutation of windows.py changed unnoticed (docs/testing.md).
The whole module also runs once more in a fresh interpreter under ``TZ=Pacific/Kiritimati``
(UTC+14), so no date here depends on the machine's own time zone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import dunning
from dunning.compliance.engine import ContactEngine
from dunning.compliance.windows import (
    Interval,
    contains,
    day_bounds,
    intersect,
    local_dates,
    local_instant,
    local_interval,
    normalize,
)

from .compliance_support import account

NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """The epoch second of a UTC wall time."""
    return int(datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp())


def hours(span: Interval) -> float:
    return (span[1] - span[0]) / 3600


# ---------------------------------------------------------------- one local window


def test_window_edges_in_the_repeated_hour_take_the_narrower_instants() -> None:
    # 2026-11-01, New York falls back at 02:00 EDT to 01:00 EST: 01:30 happens twice.
    # A window from 01:30 starts at the second 01:30 (06:30Z) and runs to 03:00 EST (08:00Z).
    assert local_interval(date(2026, 11, 1), time(1, 30), time(3, 0), NEW_YORK) == (
        utc(2026, 11, 1, 6, 30),
        utc(2026, 11, 1, 8, 0),
    )
    # A window ending at 01:30 ends at the first 01:30 (05:30Z); it began at 00:00 EDT (04:00Z).
    assert local_interval(date(2026, 11, 1), time(0, 0), time(1, 30), NEW_YORK) == (
        utc(2026, 11, 1, 4, 0),
        utc(2026, 11, 1, 5, 30),
    )


def test_window_edges_in_the_skipped_hour_take_the_narrower_instants() -> None:
    # 2026-03-08, New York springs forward at 02:00 EST to 03:00 EDT: 02:30 does not exist.
    # A start at 02:30 resolves to 07:30Z (03:30 EDT), an end at 02:30 to 06:30Z (01:30 EST).
    assert local_interval(date(2026, 3, 8), time(2, 30), time(4, 0), NEW_YORK) == (
        utc(2026, 3, 8, 7, 30),
        utc(2026, 3, 8, 8, 0),
    )
    assert local_interval(date(2026, 3, 8), time(1, 0), time(2, 30), NEW_YORK) == (
        utc(2026, 3, 8, 6, 0),
        utc(2026, 3, 8, 6, 30),
    )


def test_a_window_with_no_length_is_none() -> None:
    assert local_interval(date(2026, 11, 2), time(9, 0), time(9, 0), NEW_YORK) is None
    assert local_interval(date(2026, 11, 2), time(10, 0), time(9, 0), NEW_YORK) is None
    # 02:00-03:00 on the spring-forward day is the skipped hour itself: nothing is left.
    assert local_interval(date(2026, 3, 8), time(2, 0), time(3, 0), NEW_YORK) is None
    # one second is a window
    assert local_interval(date(2026, 11, 2), time(9, 0), time(9, 0, 1), NEW_YORK) == (
        utc(2026, 11, 2, 14, 0),
        utc(2026, 11, 2, 14, 0, 1),
    )


def test_24_00_is_the_next_midnight() -> None:
    assert local_instant(date(2026, 11, 2), time.max, NEW_YORK, start=False) == utc(2026, 11, 3, 5, 0)
    assert local_interval(date(2026, 11, 2), time(20, 0), time.max, NEW_YORK) == (
        utc(2026, 11, 3, 1, 0),
        utc(2026, 11, 3, 5, 0),
    )


# ---------------------------------------------------------------- whole days


def test_an_ordinary_day_is_24_hours_from_local_midnight() -> None:
    assert day_bounds(date(2026, 11, 2), SHANGHAI) == (utc(2026, 11, 1, 16), utc(2026, 11, 2, 16))


def test_dst_days_in_new_york_are_23_and_25_hours() -> None:
    assert day_bounds(date(2026, 3, 8), NEW_YORK) == (utc(2026, 3, 8, 5), utc(2026, 3, 9, 4))
    assert day_bounds(date(2026, 11, 1), NEW_YORK) == (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5))


@pytest.mark.parametrize(
    ("zone_name", "day_before", "short_day", "short_day_starts"),
    [
        # the clock jumps from 00:00 to 01:00: the day starts at what would have been 00:00
        ("America/Santiago", date(2026, 9, 5), date(2026, 9, 6), (2026, 9, 6, 4)),
        ("America/Havana", date(2026, 3, 7), date(2026, 3, 8), (2026, 3, 8, 5)),
        ("Africa/Cairo", date(2026, 4, 23), date(2026, 4, 24), (2026, 4, 23, 22)),
        ("Asia/Beirut", date(2026, 3, 28), date(2026, 3, 29), (2026, 3, 28, 22)),
    ],
)
def test_a_clock_change_at_midnight_makes_that_day_23_hours_and_no_other(
    zone_name: str, day_before: date, short_day: date, short_day_starts: tuple[int, int, int, int]
) -> None:
    tz = ZoneInfo(zone_name)
    before, short = day_bounds(day_before, tz), day_bounds(short_day, tz)
    assert short[0] == utc(*short_day_starts)
    assert (hours(before), hours(short)) == (24, 23)
    assert before[1] == short[0]  # the days tile time: no hour belongs to neither
    assert local_dates(short, tz) == [short_day]
    assert local_dates(before, tz) == [day_before]


def test_a_midnight_that_happens_twice_starts_the_day_at_the_first() -> None:
    # Havana falls back on 2026-11-01 at 01:00 CDT to 00:00 CST: that day is 25 hours.
    havana = ZoneInfo("America/Havana")
    assert day_bounds(date(2026, 10, 31), havana) == (utc(2026, 10, 31, 4), utc(2026, 11, 1, 4))
    assert day_bounds(date(2026, 11, 1), havana) == (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5))


# ---------------------------------------------------------------- local dates


def test_local_dates_are_those_of_the_zone_asked_about() -> None:
    # Shanghai's 2026-11-02 is 16:00Z on the 1st to 16:00Z on the 2nd: one date in Shanghai,
    # two in UTC, two in New York.
    span = day_bounds(date(2026, 11, 2), SHANGHAI)
    assert local_dates(span, SHANGHAI) == [date(2026, 11, 2)]
    assert local_dates(span, ZoneInfo("UTC")) == [date(2026, 11, 1), date(2026, 11, 2)]
    assert local_dates(span, NEW_YORK) == [date(2026, 11, 1), date(2026, 11, 2)]


def test_a_span_ending_at_midnight_does_not_reach_the_next_date() -> None:
    start, end = day_bounds(date(2026, 11, 7), NEW_YORK)
    assert local_dates((start, end), NEW_YORK) == [date(2026, 11, 7)]
    assert local_dates((start, end + 1), NEW_YORK) == [date(2026, 11, 7), date(2026, 11, 8)]
    assert local_dates((start - 1, end), NEW_YORK) == [date(2026, 11, 6), date(2026, 11, 7)]
    assert local_dates((start, start + 1), NEW_YORK) == [date(2026, 11, 7)]


# ---------------------------------------------------------------- interval lists


def test_two_windows_a_day_stay_two() -> None:
    morning = local_interval(date(2026, 11, 2), time(9), time(12), NEW_YORK)
    afternoon = local_interval(date(2026, 11, 2), time(14), time(18), NEW_YORK)
    assert morning is not None and afternoon is not None
    assert normalize([afternoon, morning]) == [morning, afternoon]
    assert intersect([day_bounds(date(2026, 11, 2), NEW_YORK)], [morning, afternoon]) == [morning, afternoon]


def test_overlapping_and_touching_intervals_merge_and_empty_ones_vanish() -> None:
    assert normalize([(3, 8), (0, 5)]) == [(0, 8)]  # overlapping: the union
    assert normalize([(0, 8), (2, 4)]) == [(0, 8)]  # one inside the other
    assert normalize([(5, 8), (0, 5)]) == [(0, 8)]  # touching
    assert normalize([(0, 5), (6, 8)]) == [(0, 5), (6, 8)]  # a gap of one second stays
    assert normalize([(5, 5)]) == []  # zero length
    assert normalize([(5, 5), (6, 8), (9, 9), (10, 12)]) == [(6, 8), (10, 12)]
    assert normalize([(7, 6), (6, 8)]) == [(6, 8)]  # backwards
    assert normalize([]) == []


def test_intersection_of_interval_lists() -> None:
    assert intersect([(0, 10)], [(10, 20)]) == []  # touching: nothing in common
    assert intersect([(0, 10)], [(9, 20)]) == [(9, 10)]
    assert intersect([(0, 10), (12, 14)], [(0, 2), (3, 11), (12, 13)]) == [(0, 2), (3, 10), (12, 13)]
    assert intersect([(0, 2), (3, 11), (12, 13)], [(0, 10), (12, 14)]) == [(0, 2), (3, 10), (12, 13)]
    assert intersect([(0, 100)], [(0, 10), (20, 30), (40, 50), (60, 70)]) == [(0, 10), (20, 30), (40, 50), (60, 70)]
    assert intersect([], [(0, 1)]) == []
    assert intersect([(0, 1)], []) == []


def test_contains_is_half_open() -> None:
    intervals = [(10, 20), (30, 40)]
    found = [t for t in (9, 10, 19, 20, 29, 30, 39, 40) if contains(intervals, t)]
    assert found == [10, 19, 30, 39]
    assert not contains([], 10)


# ---------------------------------------------------------------- through the engine


def test_multi_zone_saturday_is_not_blocked_by_sunday(engine: ContactEngine) -> None:
    # An Eastern address and a Pacific phone; the US timetable says `sms: sun: none`. The
    # Saturday (primary zone: New York) reaches into no Sunday of Los Angeles, and only the
    # last three hours of it into New York's own Sunday — which belongs to the Sunday.
    a = account(postal_code="02139", phone="+14155550100")
    saturday = date(2026, 11, 7)
    assert [(s.isoformat(), e.isoformat()) for s, e in engine.windows(a, "sms", saturday)] == [
        ("2026-11-07T11:00:00-05:00", "2026-11-07T21:00:00-05:00")
    ]
    assert engine.day_blocked(a, "sms", saturday) is None
    sunday = engine.day_blocked(a, "sms", date(2026, 11, 8))
    assert sunday is not None and sunday.code == "weekday"


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("TZ") == "Pacific/Kiritimati", reason="this is the re-run")
def test_windows_do_not_depend_on_the_machine_time_zone() -> None:
    here = Path(__file__).resolve()
    # the same code as this process (the worktree's, or a mutated copy), in a +14 h machine
    source = str(Path(dunning.__file__).resolve().parents[1])
    env = {**os.environ, "TZ": "Pacific/Kiritimati", "PYTHONPATH": source}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-o",
            "addopts=",
            "-q",
            str(here),
            str(here.with_name("test_windows.py")),
        ],
        cwd=here.parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"^\d+ passed, 1 skipped in ", done.stdout, re.MULTILINE), done.stdout[-3000:]
