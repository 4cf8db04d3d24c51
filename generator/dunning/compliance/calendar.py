"""Holiday calendars and day types, from the well-kept ``holidays`` package.

A local calendar date has one *kind*: a public holiday (of the country, and of the
subdivision when the account's jurisdiction names one — ``US-MA`` keeps Patriots' Day),
a make-up working day (China moves working days onto weekends around long holidays:
``weekend_workdays``), a workday or a weekend day.

A timetable's windows for a channel are chosen by day type, most specific first:

1. ``holidays`` — on a public holiday. Without it a public holiday has **no contact**:
   a policy must opt in to contact on holidays, never out.
2. a make-up working day counts as a workday: ``workdays``, else ``every_day``
   (the weekday name is skipped: a make-up Saturday is a working day, not a Saturday).
3. the weekday name (``mon`` … ``sun``), then ``workdays`` / ``weekends``, then ``every_day``.

A day type that resolves to nothing means no contact that day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from dunning.policy.model import WEEKDAYS, Window


class DayKind(StrEnum):
    """What kind of day a local calendar date is."""

    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"
    WORKDAY = "workday"
    WEEKEND = "weekend"


@lru_cache(maxsize=64)
def _calendar(country: str, subdivision: str | None) -> Any | None:
    """The library's calendar for ``country`` (and ``subdivision`` when the library knows it);
    None when it has no calendar for the country.

    The ``holidays`` package is imported here, on the first date asked about, not when a
    policy is compiled: importing it and resolving a country loads the registry of every
    country (≈ 0.2 s), which ``dunning validate`` never needs."""
    import holidays as holidays_lib

    try:
        known = holidays_lib.country_holidays(country).subdivisions
    except NotImplementedError:  # the library's answer for a country it has no calendar for
        return None
    if subdivision not in known:
        subdivision = None
    return holidays_lib.country_holidays(country, subdiv=subdivision)


def calendar_key(holidays: str | None, jurisdiction: str) -> tuple[str, str | None] | None:
    """(country, subdivision) of the holiday calendar for an account of ``jurisdiction``.

    ``holidays`` is the policy's calendar code (``US``, ``CN``, ``US-MA``; None: no calendar).
    When it names only the country and the account's jurisdiction names a subdivision, the
    subdivision's holidays apply too where the library knows them (stricter: more days off);
    a subdivision it does not know falls back to the country's calendar, a country it does not
    know to plain weekdays (both decided lazily, by :func:`_calendar`).
    """
    if not holidays:
        return None
    country, _, subdivision = holidays.partition("-")
    j_country, _, j_sub = jurisdiction.partition("-")
    if not subdivision and j_country == country and j_sub:
        subdivision = j_sub
    return country, subdivision or None


@lru_cache(maxsize=65536)
def day_kind(key: tuple[str, str | None] | None, day: date) -> DayKind:
    """The kind of ``day`` in the calendar ``key`` (from :func:`calendar_key`)."""
    cal = None if key is None else _calendar(*key)
    if cal is not None:
        if day in cal:  # also expands the calendar to the day's year
            return DayKind.HOLIDAY
        if day in getattr(cal, "weekend_workdays", ()):
            return DayKind.MAKEUP_WORKDAY
    return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY


def holiday_name(key: tuple[str, str | None] | None, day: date) -> str:
    """The holiday's name (English), or ''."""
    cal = None if key is None else _calendar(*key)
    return "" if cal is None else str(cal.get(day) or "")


def resolve_day_type(by_day_type: Mapping[str, tuple[Window, ...]], kind: DayKind, day: date) -> str | None:
    """The day-type key of a timetable that governs ``day`` (None: no key applies)."""
    if kind is DayKind.HOLIDAY:
        return "holidays" if "holidays" in by_day_type else None
    if kind is DayKind.MAKEUP_WORKDAY:
        order: tuple[str, ...] = ("workdays", "every_day")
    else:
        weekday = WEEKDAYS[day.weekday()]
        group = "weekends" if kind is DayKind.WEEKEND else "workdays"
        order = (weekday, group, "every_day")
    return next((k for k in order if k in by_day_type), None)
