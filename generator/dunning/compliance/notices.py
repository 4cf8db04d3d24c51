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

REMEDY_DAYS = 14  # CCA 1974 s. 88(2): "not less than 14 days after the date of service"
SERVICE_BUSINESS_DAYS = 4  # second-class post (the stricter reading of Interpretation Act s. 7)
# The most calendar days 4 business days can take: posted on the Thursday before Good Friday
# (Friday and Easter Monday off) or on 23 December in a year whose Christmas falls on Friday.
WORST_SERVICE_DAYS = 8


class BankHolidays:
    """The bank holidays of a jurisdiction's nation as a container of dates, for counting the
    business days of service. ``GB`` alone (no nation named) counts the holidays of every
    nation of the United Kingdom (the ``holidays`` package's union): a later service day, the
    stricter reading; ``GB-SCT`` counts Scotland's."""

    def __init__(self, jurisdiction: str) -> None:
        self.key = cal.calendar_key(jurisdiction.partition("-")[0], jurisdiction)

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


def worst_case_gap(remedy_days: int = REMEDY_DAYS) -> int:
    """Days a cadence must leave between posting a default notice and enforcing, whatever the
    calendar: the worst service time plus the remedy period, plus the day after it ends."""
    return WORST_SERVICE_DAYS + remedy_days + 1
