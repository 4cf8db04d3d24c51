"""Dates the law attaches to a notice once it is sent.

``validation_end`` (Regulation F) lives with the disclosure texts (``compliance.texts``);
this module holds the UK default notice's remedy period and the worst case a static check
must assume. Each function takes the calendar it counts business days in, so a plan for a
Scottish account skips Scotland's bank holidays.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date, timedelta

from dunning.compliance import calendar as cal

# The steps that enforce a debt: a default notice's remedy period must have run before them
ENFORCEMENT = ("agency", "legal_review")
REMEDY_DAYS = 14  # CCA 1974 s. 88(2): "not less than 14 days after the date of service"
SERVICE_BUSINESS_DAYS = 4  # second-class post (the stricter reading of Interpretation Act s. 7)
# The most calendar days n business days of service can take after a posting, counted in the
# bank holidays of every UK nation at once (the stricter reading: a static check does not
# know the account's nation), over the 28 years 2024–2051 in which the weekday of every date,
# and so every substitute bank holiday, comes round again. 4 business days: 12, posted on
# Wednesday 24 December 2025 (25 and 26 December, 1 January and Scotland's 2 January are bank
# holidays; served Monday 5 January). tests/compliance/test_notices.py scans the years again.
WORST_SERVICE_DAYS = {1: 5, 2: 6, 3: 7, 4: 12, 5: 13, 6: 14, 7: 17, 8: 18, 9: 19, 10: 20}
SCAN_YEARS = (2024, 2052)  # [first, end) of the scan


class BankHolidays:
    """The bank holidays of a jurisdiction's nation as a container of dates, for counting the
    business days of service. ``GB`` alone (no nation named) counts the holidays of every
    nation of the United Kingdom (the ``holidays`` package's union): a later service day, the
    stricter reading; ``GB-SCT`` counts Scotland's."""

    def __init__(self, jurisdiction: str) -> None:
        # calendar_key reads the country off the code itself (GB-SCT: GB, SCT)
        self.key = cal.calendar_key(jurisdiction, jurisdiction)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and cal.day_kind(self.key, day) is cal.DayKind.HOLIDAY


def served_on(posted: date, holidays: Container[date], business_days: int = SERVICE_BUSINESS_DAYS) -> date:
    """The day a posted notice is deemed served: ``business_days`` business days after
    posting (Saturdays, Sundays and ``holidays`` not counted)."""
    day, counted = posted, 0
    while counted < business_days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            counted += 1
    return day


def default_notice_remedy_end(
    posted: date,
    holidays: Container[date],
    *,
    remedy_days: int = REMEDY_DAYS,
    business_days: int = SERVICE_BUSINESS_DAYS,
) -> date:
    """The last day of a default notice's remedy period; enforcement may start the day after."""
    return served_on(posted, holidays, business_days) + timedelta(days=remedy_days)


def worst_service_days(business_days: int = SERVICE_BUSINESS_DAYS) -> int:
    """The most calendar days ``business_days`` business days of service can take
    (:data:`WORST_SERVICE_DAYS`; a number the table does not hold is scanned for)."""
    found = WORST_SERVICE_DAYS.get(business_days)
    return found if found is not None else scan_worst_service_days(business_days)


def scan_worst_service_days(business_days: int) -> int:
    """:func:`worst_service_days` found by serving a notice posted on every day of
    :data:`SCAN_YEARS` in every UK nation's bank holidays (about a second at 4 days)."""
    holidays = BankHolidays("GB")
    first, end = date(SCAN_YEARS[0], 1, 1), date(SCAN_YEARS[1], 1, 1)
    posted, worst = first, 0
    while posted < end:
        worst = max(worst, (served_on(posted, holidays, business_days) - posted).days)
        posted += timedelta(days=1)
    return worst


def worst_case_gap(remedy_days: int = REMEDY_DAYS, business_days: int = SERVICE_BUSINESS_DAYS) -> int:
    """Days a cadence must leave between posting a default notice and enforcing, whatever the
    calendar: the worst service time plus the remedy period, plus the day after it ends."""
    return worst_service_days(business_days) + remedy_days + 1
