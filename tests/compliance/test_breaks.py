"""China's official holiday breaks (放假调休): the data agrees with the `holidays` package,
and the calendar applies the whole break."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.compliance.breaks import _day, arrangements, calendar_warnings, unpublished_years, warning
from dunning.compliance.calendar import DayKind, calendar_key, day_kind, holiday_name

PUBLISHED = sorted(arrangements("CN"))
CN = calendar_key("CN", "CN")


def test_the_tables_published_so_far() -> None:
    assert PUBLISHED == [2025, 2026]
    year = arrangements("CN")[2026]
    assert (year.notice, year.published) == ("国务院办公厅关于2026年部分节假日安排的通知", "2025-11-04")
    assert [(b.first.isoformat(), b.last.isoformat()) for b in year.breaks] == [
        ("2026-01-01", "2026-01-03"),
        ("2026-02-15", "2026-02-23"),
        ("2026-04-04", "2026-04-06"),
        ("2026-05-01", "2026-05-05"),
        ("2026-06-19", "2026-06-21"),
        ("2026-09-25", "2026-09-27"),
        ("2026-10-01", "2026-10-07"),
    ]
    assert sorted(d.isoformat() for d in year.working_days) == [
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
    ]  # fmt: skip


@pytest.mark.parametrize("year", PUBLISHED)
def test_every_day_the_package_lists_is_inside_a_break(year: int) -> None:
    table = arrangements("CN")[year]
    package = holidays.country_holidays("CN", years=year)
    assert [d for d in package if table.break_on(d) is None] == []
    # the moved working days are the package's, and nothing else is invented: every day off
    # is a statutory (or substituted) day of the package or a weekend day between them
    assert table.working_days == {d for d in package.weekend_workdays if d.year == year}
    assert [d for d in table.days_off() if d not in package and d.weekday() < 5] == []
    # each break is one run of days that starts and ends on a day the package lists or a weekend
    for b in table.breaks:
        assert b.first <= b.last
        assert all(d in package or d.weekday() >= 5 for d in (b.first, b.last)), b.name


def test_the_whole_national_day_break_is_a_holiday() -> None:
    days = [date(2026, 10, 1) + timedelta(days=i) for i in range(10)]
    assert [day_kind(CN, d) for d in days] == [DayKind.HOLIDAY] * 7 + [
        DayKind.WORKDAY,
        DayKind.WORKDAY,
        DayKind.MAKEUP_WORKDAY,
    ]
    assert holiday_name(CN, date(2026, 10, 4)) == "国庆节 National Day break"  # not a statutory day
    assert holiday_name(CN, date(2026, 10, 1)) == "National Day"
    assert day_kind(CN, date(2026, 2, 22)) is DayKind.HOLIDAY  # Sunday inside the Spring Festival break


def test_a_year_without_a_table_falls_back_to_the_package_and_says_so() -> None:
    assert day_kind(CN, date(2027, 10, 1)) is DayKind.HOLIDAY  # statutory: the package
    assert unpublished_years("CN", date(2026, 12, 20), date(2027, 1, 10)) == [2027]
    assert unpublished_years("CN", date(2026, 1, 1), date(2026, 12, 31)) == []
    assert unpublished_years("US", date(2026, 12, 20), date(2027, 1, 10)) == []
    assert warning("CN", date(2026, 12, 20), date(2027, 1, 10)) == (
        "CN: the official holiday breaks are published up to 2026; for 2027 only the statutory holidays apply "
        "(the `holidays` package), not the whole breaks. Add the year's arrangement to "
        "compliance/data/official_breaks_cn.yaml when its notice is published"
    )


def test_every_day_off_of_each_break_one_day_breaks_too() -> None:
    days_2025 = arrangements("CN")[2025].days_off()
    assert days_2025[:3] == [date(2025, 1, 1), date(2025, 1, 28), date(2025, 1, 29)]  # New Year's Day: one day
    assert len(days_2025) == 1 + 8 + 3 + 5 + 3 + 8
    days_2026 = arrangements("CN")[2026].days_off()
    assert len(days_2026) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert days_2026[-7:] == [date(2026, 10, 1) + timedelta(days=i) for i in range(7)]


def test_a_quoted_date_in_the_table_is_read_as_a_date() -> None:
    # YAML reads an unquoted ISO date as a date and a quoted one as text: both are a date here
    assert _day("2026-10-08") == date(2026, 10, 8)
    assert _day(date(2026, 10, 8)) == date(2026, 10, 8)


def test_the_warning_names_only_the_unpublished_years_of_the_plan() -> None:
    # years between the last table and the plan's first day are not the plan's
    assert unpublished_years("CN", date(2028, 3, 1), date(2028, 3, 31)) == [2028]
    assert unpublished_years("CN", date(2027, 12, 20), date(2029, 1, 10)) == [2027, 2028, 2029]
    assert warning("CN", date(2027, 12, 20), date(2028, 1, 10)) == (
        "CN: the official holiday breaks are published up to 2026; for 2027, 2028 only the statutory holidays "
        "apply (the `holidays` package), not the whole breaks. Add the year's arrangement to "
        "compliance/data/official_breaks_cn.yaml when its notice is published"
    )


def test_calendar_warnings_one_per_country_of_the_calendars() -> None:
    first, last = date(2026, 12, 20), date(2027, 1, 10)
    # a subdivision's calendar is its country's; None (no calendar) and countries without tables give none
    assert calendar_warnings(["CN-SH", None, "US-MA", "", "CN"], first, last) == [warning("CN", first, last)]
    assert calendar_warnings(["CN-SH"], first, last) == [warning("CN", first, last)]
    assert calendar_warnings(["US-MA", "GB-SCT"], first, last) == []
    assert calendar_warnings(["CN"], date(2026, 1, 1), date(2026, 12, 31)) == []


def test_dunning_plan_warns_when_it_plans_past_the_last_published_year(example_root: Path, tmp_path: Path) -> None:
    accounts = str(example_root / "examples" / "accounts.csv")
    base = ["plan", "--accounts", accounts, "--quiet", "--out", str(tmp_path / "o")]
    within = CliRunner().invoke(main, [*base, "--as-of", "2026-12-20", "--horizon", "11", str(example_root)])
    assert within.exit_code == 0 and within.stderr == ""
    past = CliRunner().invoke(main, [*base, "--as-of", "2026-12-20", "--horizon", "12", str(example_root)])
    assert past.exit_code == 0, past.output
    assert past.stderr == f"warning: {warning('CN', date(2026, 12, 20), date(2027, 1, 1))}\n"
