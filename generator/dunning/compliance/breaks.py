"""Official holiday breaks: the days off and the moved working days a government sets each
year, beyond the statutory holidays the ``holidays`` package knows.

China's State Council General Office publishes every autumn the next year's arrangement
(放假调休): each festival becomes a break of several days, stitched to a weekend, and one or
two weekend days nearby become working days. A collector that honours only the statutory
days calls in the middle of the National Day week (Saturday 3 October is in the package,
Sunday 4 October is not). The breaks are data (``data/official_breaks_<country>.yaml``),
one table per published year with the notice that sets it; :mod:`.calendar` reads them
before the package. A year without a table is not invented: the package's days apply, and
:func:`unpublished_years` says so, for ``dunning plan`` to warn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from types import MappingProxyType

import yaml

DATA = Path(__file__).with_name("data")
COUNTRIES = ("CN",)  # the countries with a table file


@dataclass(frozen=True)
class Break:
    """One official break: its name (Chinese and English) and its first and last day off."""

    name: str
    first: date
    last: date


@dataclass(frozen=True)
class YearArrangement:
    """One year's official arrangement and the notice that sets it."""

    year: int
    notice: str
    published: str
    source: str
    breaks: tuple[Break, ...]
    working_days: frozenset[date]

    def break_on(self, day: date) -> Break | None:
        """The break ``day`` falls in, or None."""
        return next((b for b in self.breaks if b.first <= day <= b.last), None)

    def days_off(self) -> list[date]:
        """Every day off of every break, in order."""
        return [b.first + timedelta(days=i) for b in self.breaks for i in range((b.last - b.first).days + 1)]


def _day(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@cache
def arrangements(country: str) -> Mapping[int, YearArrangement]:
    """The published arrangements of ``country`` by year (empty when it has none)."""
    if country not in COUNTRIES:
        return MappingProxyType({})
    raw = yaml.safe_load((DATA / f"official_breaks_{country.lower()}.yaml").read_text(encoding="utf-8"))
    out: dict[int, YearArrangement] = {}
    for year, body in sorted(raw.items()):
        breaks = tuple(Break(str(b["name"]), _day(b["first"]), _day(b["last"])) for b in body["breaks"])
        out[int(year)] = YearArrangement(
            year=int(year),
            notice=str(body["notice"]),
            published=str(body["published"]),
            source=str(body["source"]),
            breaks=breaks,
            working_days=frozenset(_day(d) for d in body["working_days"]),
        )
    return MappingProxyType(out)


def arrangement(country: str, year: int) -> YearArrangement | None:
    """The arrangement of ``country`` for ``year`` (None: none published, or none needed)."""
    return arrangements(country).get(year)


def unpublished_years(country: str, first: date, last: date) -> list[int]:
    """Years from ``first`` to ``last`` after the last published arrangement of ``country``
    (empty for a country without official breaks)."""
    published = arrangements(country)
    if not published:
        return []
    newest = max(published)
    return [y for y in range(first.year, last.year + 1) if y > newest]


def warning(country: str, first: date, last: date) -> str | None:
    """The plain-words warning when planning ``first``..``last`` reaches past the last
    published arrangement of ``country`` (None when it does not)."""
    missing = unpublished_years(country, first, last)
    if not missing:
        return None
    newest = max(arrangements(country))
    years = ", ".join(str(y) for y in missing)
    return (
        f"{country}: the official holiday breaks are published up to {newest}; for {years} only the statutory "
        f"holidays apply (the `holidays` package), not the whole breaks. Add the year's arrangement to "
        f"compliance/data/official_breaks_{country.lower()}.yaml when its notice is published"
    )


def calendar_warnings(calendars: Iterable[str | None], first: date, last: date) -> list[str]:
    """One :func:`warning` per country of the holiday ``calendars`` (a policy's timetables'
    and jurisdictions' ``holidays`` codes) whose arrangement is missing for ``first``..``last``."""
    countries = sorted({c.split("-", 1)[0] for c in calendars if c})
    return [w for country in countries if (w := warning(country, first, last)) is not None]
