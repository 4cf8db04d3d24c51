"""The dates the law attaches to a UK default notice (compliance/notices.py): the day it is
deemed served (4 business days of post), the end of its 14-day remedy period, and the worst
case a static check must assume. Written from the mutation run of docs/testing.md."""

from __future__ import annotations

from datetime import date

import pytest

from dunning.compliance import notices
from dunning.compliance.notices import (
    WORST_SERVICE_DAYS,
    BankHolidays,
    default_notice_remedy_end,
    scan_worst_service_days,
    served_on,
    worst_case_gap,
)

# England and Wales, Easter 2026: Good Friday 3 April, Easter Monday 6 April
EASTER = frozenset({date(2026, 4, 3), date(2026, 4, 6)})


def test_a_notice_is_served_four_business_days_after_posting() -> None:
    assert served_on(date(2026, 11, 2), EASTER) == date(2026, 11, 6)  # Monday → Friday
    assert served_on(date(2026, 11, 6), EASTER) == date(2026, 11, 12)  # Friday → Thursday: no weekend day counts
    assert served_on(date(2026, 11, 7), EASTER) == date(2026, 11, 12)  # posted on a Saturday
    assert served_on(date(2026, 4, 2), EASTER) == date(2026, 4, 10)  # over Easter: 8 calendar days
    assert served_on(date(2026, 4, 2), frozenset()) == date(2026, 4, 8)
    assert served_on(date(2026, 11, 2), EASTER, business_days=1) == date(2026, 11, 3)
    assert served_on(date(2026, 11, 2), EASTER, business_days=0) == date(2026, 11, 2)


def test_the_remedy_period_runs_fourteen_days_from_service() -> None:
    assert default_notice_remedy_end(date(2026, 4, 2), EASTER) == date(2026, 4, 24)
    assert default_notice_remedy_end(date(2026, 11, 2), EASTER) == date(2026, 11, 20)
    assert default_notice_remedy_end(date(2026, 11, 2), EASTER, remedy_days=28, business_days=2) == date(2026, 12, 2)


def test_the_worst_case_a_cadence_must_leave() -> None:
    assert worst_case_gap() == 12 + 14 + 1
    assert worst_case_gap(21) == 12 + 21 + 1
    assert worst_case_gap(14, 5) == 13 + 14 + 1  # a tightened service time widens the gap
    assert worst_case_gap(14, 12) == scan_worst_service_days(12) + 14 + 1  # not in the table: scanned
    # the worst case is Christmas and New Year: posted on Wednesday 24 December 2025, served
    # on Monday 5 January (Scotland's 2 January is a bank holiday too), the remedy period ends
    # 26 days after posting, and enforcement may start the day after
    posted = date(2025, 12, 24)
    assert (default_notice_remedy_end(posted, BankHolidays("GB")) - posted).days + 1 == worst_case_gap()
    # England alone: 9 days that year (2 January is a working day there); its worst is 11,
    # posted on Friday 22 December in a year whose Christmas is a Monday (2028)
    assert served_on(posted, BankHolidays("GB-ENG")) == date(2026, 1, 2)
    assert served_on(date(2028, 12, 22), BankHolidays("GB-ENG")) == date(2029, 1, 2)


def test_the_table_of_worst_service_times_is_what_the_calendar_gives() -> None:
    assert {n: scan_worst_service_days(n) for n in WORST_SERVICE_DAYS} == WORST_SERVICE_DAYS
    assert scan_worst_service_days(0) == 0  # no days of service: served on the day of posting


def test_the_scan_looks_at_every_day(monkeypatch: pytest.MonkeyPatch) -> None:
    # 2025 alone: its worst posting day is Wednesday 24 December (12 days); the days around
    # it take 8 (posted on the 22nd or 23rd, served on the 30th or 31st)
    monkeypatch.setattr(notices, "SCAN_YEARS", (2025, 2026))
    assert scan_worst_service_days(4) == 12
    assert served_on(date(2025, 12, 23), BankHolidays("GB")) == date(2025, 12, 31)
