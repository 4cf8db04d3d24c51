"""Holiday calendars and day types, from the well-kept ``holidays`` package.

A local calendar date has one *kind*: a public holiday (of the country, and of the
subdivision when the account's jurisdiction names one — ``US-MA`` keeps Patriots' Day),
a make-up working day (China moves working days onto weekends around long holidays:
``weekend_workdays``), a workday or a weekend day. Where a country's holidays differ by
subdivision and the account names none (``GB``), every subdivision's holidays apply
(:data:`SUBDIVISIONS_WHEN_UNKNOWN`, the stricter reading). Where a government publishes
its year's arrangement of whole breaks and moved working days (China), that arrangement
decides the year (:mod:`.breaks`).

A timetable's windows for a channel are chosen by day type, most specific first:

1. ``holidays`` — on a public holiday. Without it a public holiday has **no contact**:
   a policy must opt in to contact on holidays, never out.
2. a make-up working day counts as a workday: ``workdays``, else ``every_day``
   (the weekday name is skipped: a make-up Saturday is a working day, not a Saturday).
3. the weekday name (``mon`` … ``sun``), then ``workdays`` / ``weekends``, then ``every_day``.

A day type that resolves to nothing means no contact that day.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from dunning.compliance.breaks import arrangement
from dunning.policy.model import WEEKDAYS, Window


class DayKind(StrEnum):
    """What kind of day a local calendar date is."""

    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"
    WORKDAY = "workday"
    WEEKEND = "weekend"


# Countries whose public holidays differ by subdivision and where an account without one
# cannot be placed: the bank holidays of the United Kingdom are set per nation (Banking and
# Financial Dealings Act 1971, sch. 1 — England and Wales, Scotland, Northern Ireland; and
# the proclamations under s. 1). Stricter reading: a `GB` account is off on the bank holidays
# of every nation (Easter Monday and the August bank holiday of England, Wales and Northern
# Ireland; 2 January, the first Monday of August and St Andrew's Day of Scotland; St
# Patrick's Day and the Battle of the Boyne of Northern Ireland).
SUBDIVISIONS_WHEN_UNKNOWN: Mapping[str, tuple[str, ...]] = {"GB": ("ENG", "NIR", "SCT", "WLS")}


@lru_cache(maxsize=64)
def _calendar(country: str, subdivision: str | None) -> Any | None:
    """The library's calendar for ``country`` (and ``subdivision`` when the library knows it);
    None when it has no calendar for the country.

    The ``holidays`` package is imported here, on the first date asked about, not when a
    policy is compiled; and the country's calendar class comes from its one module
    (:func:`_country_entity`), not from ``holidays.countries``, which imports every country's
    (≈ 0.08 s of CPU in each planning worker and in the handbook's process)."""
    entity = _country_entity(country)
    if entity is None:
        return None
    subdivision = subdivision if subdivision in entity.subdivisions else None
    nations = SUBDIVISIONS_WHEN_UNKNOWN.get(country, ()) if subdivision is None else ()
    if nations:
        return sum((entity(subdiv=n) for n in nations[1:]), _subdivision(country, nations[0]))
    return entity(subdiv=subdivision)


@lru_cache(maxsize=64)
def _subdivision(country: str, subdivision: str) -> Any:
    entity = _country_entity(country)
    assert entity is not None, "only called for the countries of SUBDIVISIONS_WHEN_UNKNOWN"
    return entity(subdiv=subdivision)


def country_calendar(country: str) -> Any:
    """``holidays.country_holidays(country)`` — the library's own calendar class with its
    defaults — without importing the calendars of every other country when that can be
    avoided (:func:`_country_entity`); the library's ``NotImplementedError`` for a country it
    has no calendar for."""
    entity = _country_entity(country)
    if entity is None:
        raise NotImplementedError(f"Country {country} not available")
    return _country_default(entity)


@lru_cache(maxsize=16)
def _country_default(entity: Any) -> Any:
    return entity()


@lru_cache(maxsize=64)
def _country_entity(country: str) -> Any | None:
    """The library's calendar class for ``country`` (None: it has none), what
    ``holidays.country_holidays`` instantiates (with the same defaults).

    The library resolves a country lazily, but through ``holidays.countries``, whose
    ``__init__`` imports all ~250 country modules (≈ 0.1 s); a country's module itself needs
    only the library's core. So while nothing has imported that package yet, the one module
    the library's registry names for ``country`` is run on its own, from the installed
    library's own file (same code, same data). Anything unexpected — a layout that is not
    the one this relies on, or a country the registry does not know — takes the library's
    usual path."""
    import holidays as holidays_lib

    if "holidays.countries" not in sys.modules:
        entity = _country_entity_alone(holidays_lib, country)
        if entity is not None:
            return entity
    return getattr(holidays_lib, country, None)


def _country_entity_alone(holidays_lib: Any, country: str) -> Any | None:
    """The calendar class of ``country`` from its module alone (None: use the library's path)."""
    try:
        from holidays.registry import COUNTRIES  # module name -> (class name, codes …)
    except ImportError:
        return None
    module = next((name for name, entities in COUNTRIES.items() if country in entities), None)
    locations = getattr(holidays_lib.__spec__, "submodule_search_locations", None) or ()
    if module is None or not locations:
        return None
    path = Path(next(iter(locations))) / "countries" / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"holidays.countries.{module}", path)
    if spec is None or spec.loader is None or not path.is_file():
        return None
    # Not put into sys.modules: a later full import of the countries package builds its own
    # copy, so the library's import state is never one this function made up.
    loaded = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(loaded)
    except (ImportError, OSError):
        return None
    return getattr(loaded, COUNTRIES[module][0], None)


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
    """The kind of ``day`` in the calendar ``key`` (from :func:`calendar_key`).

    Where the country's official arrangement for the year is published (China's 放假调休,
    :mod:`.breaks`), it decides: every day of a break is a holiday, its moved working days
    are make-up working days. Otherwise the ``holidays`` package does."""
    official = None if key is None else arrangement(key[0], day.year)
    if official is not None:
        if official.break_on(day) is not None:
            return DayKind.HOLIDAY
        if day in official.working_days:
            return DayKind.MAKEUP_WORKDAY
        return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY
    cal = None if key is None else _calendar(*key)
    if cal is not None:
        if day in cal:  # also expands the calendar to the day's year
            return DayKind.HOLIDAY
        if day in getattr(cal, "weekend_workdays", ()):
            return DayKind.MAKEUP_WORKDAY
    return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY


def holiday_name(key: tuple[str, str | None] | None, day: date) -> str:
    """The holiday's name (English), or ''. In a calendar that joins the subdivisions of a
    country (a ``GB`` account: every nation's bank holidays) a day that is not off in all of
    them names those it is off in: ``Easter Monday (ENG, NIR, WLS)``."""
    cal = None if key is None else _calendar(*key)
    name = "" if cal is None else str(cal.get(day) or "")
    official = None if key is None else arrangement(key[0], day.year)
    found = None if official is None else official.break_on(day)
    if found is not None:  # a day of an official break that is no statutory holiday: the break's name
        return name or f"{found.name} break"
    if not name or key is None or key[1] is not None:
        return name
    nations = SUBDIVISIONS_WHEN_UNKNOWN.get(key[0], ())
    off_in = [n for n in nations if day in _subdivision(key[0], n)]
    return name if len(off_in) == len(nations) else f"{name} ({', '.join(off_in)})"


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
