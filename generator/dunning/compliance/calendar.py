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

import holidays as holidays_lib

from dunning.policy.model import WEEKDAYS, Window


class DayKind(StrEnum):
    """What kind of day a local calendar date is."""

    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"
    WORKDAY = "workday"
    WEEKEND = "weekend"


@lru_cache(maxsize=64)
def _calendar(country: str, subdivision: str | None) -> Any:
    return holidays_lib.country_holidays(country, subdiv=subdivision)


@lru_cache(maxsize=256)
def _subdivisions(country: str) -> frozenset[str] | None:
    """The library's subdivisions of ``country``; None when it has no calendar for it.

    Asking for the one country is ~1 ms; ``list_supported_countries()`` loads every
    country's module (0.24 s, a quarter of validating the example)."""
    try:
        return frozenset(holidays_lib.country_holidays(country).subdivisions)
    except NotImplementedError:
        return None


def calendar_key(holidays: str | None, jurisdiction: str) -> tuple[str, str | None] | None:
    """(country, subdivision) of the holiday calendar for an account of ``jurisdiction``.

    ``holidays`` is the policy's calendar code (``US``, ``CN``, ``US-MA``; None: no calendar).
    When it names only the country and the account's jurisdiction names a subdivision the
    library knows, the subdivision's holidays apply too (stricter: more days off).
    """
    if not holidays:
        return None
    country, _, subdivision = holidays.partition("-")
    j_country, _, j_sub = jurisdiction.partition("-")
    if not subdivision and j_country == country and j_sub:
        subdivision = j_sub
    known = _subdivisions(country)
    if known is None:
        return None
    if subdivision and subdivision not in known:
        subdivision = ""
    return country, subdivision or None


@lru_cache(maxsize=65536)
def day_kind(key: tuple[str, str | None] | None, day: date) -> DayKind:
    """The kind of ``day`` in the calendar ``key`` (from :func:`calendar_key`)."""
    if key is not None:
        cal = _calendar(*key)
        if day in cal:  # also expands the calendar to the day's year
            return DayKind.HOLIDAY
        if day in getattr(cal, "weekend_workdays", ()):
            return DayKind.MAKEUP_WORKDAY
    return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY


def holiday_name(key: tuple[str, str | None] | None, day: date) -> str:
    """The holiday's name (English), or ''."""
    if key is None:
        return ""
    return str(_calendar(*key).get(day) or "")


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
