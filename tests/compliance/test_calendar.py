"""Holiday calendars and day types (compliance/calendar.py), and how the engine uses them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, time
from pathlib import Path
from types import SimpleNamespace

import holidays
import pytest

import dunning
from dunning.compliance.calendar import (
    DayKind,
    _calendar,
    _country_entity_alone,
    calendar_key,
    day_kind,
    holiday_name,
    resolve_day_type,
)
from dunning.compliance.engine import ContactEngine
from dunning.policy import require_policy
from dunning.policy.model import Window

from .compliance_support import REPO, account

PATRIOTS_DAY = date(2026, 4, 20)  # a Massachusetts holiday, a workday elsewhere in the US
THANKSGIVING = date(2026, 11, 26)
CN_MAKEUP_SATURDAY = date(2026, 10, 10)  # China works this Saturday after the National Day week


@pytest.mark.parametrize(
    ("holidays", "jurisdiction", "key"),
    [
        (None, "US", None),
        ("", "US-MA", None),
        ("US", "US", ("US", None)),
        ("US", "US-MA", ("US", "MA")),  # the account's subdivision adds its holidays
        ("US-MA", "US", ("US", "MA")),  # the policy's subdivision is kept …
        ("US-MA", "US-NY", ("US", "MA")),  # … not overridden by the account's own
        ("US", "GB-ENG", ("US", None)),  # a foreign subdivision is never taken
        ("CN", "CN", ("CN", None)),
    ],
)
def test_calendar_key(holidays: str | None, jurisdiction: str, key: tuple[str, str | None] | None) -> None:
    assert calendar_key(holidays, jurisdiction) == key


def test_subdivision_holidays_only_in_the_subdivision() -> None:
    assert day_kind(("US", "MA"), PATRIOTS_DAY) is DayKind.HOLIDAY
    assert day_kind(("US", None), PATRIOTS_DAY) is DayKind.WORKDAY
    assert holiday_name(("US", "MA"), PATRIOTS_DAY) == "Patriots' Day"


def test_an_unknown_subdivision_keeps_the_country_calendar() -> None:
    assert day_kind(("US", "ZZ"), THANKSGIVING) is DayKind.HOLIDAY
    assert day_kind(("US", "ZZ"), PATRIOTS_DAY) is DayKind.WORKDAY


def test_an_unknown_country_or_no_calendar_is_plain_weekdays() -> None:
    for key in (("XX", None), None):
        kinds = [day_kind(key, date(2026, 12, d)) for d in (25, 26, 27, 28)]  # Fri … Mon
        assert kinds == [DayKind.WORKDAY, DayKind.WEEKEND, DayKind.WEEKEND, DayKind.WORKDAY]
        assert holiday_name(key, date(2026, 12, 25)) == ""


def test_day_kinds_and_names_in_china_and_the_us() -> None:
    assert day_kind(("CN", None), date(2026, 10, 1)) is DayKind.HOLIDAY
    assert day_kind(("CN", None), CN_MAKEUP_SATURDAY) is DayKind.MAKEUP_WORKDAY
    assert day_kind(("CN", None), date(2026, 10, 17)) is DayKind.WEEKEND
    assert day_kind(("US", None), THANKSGIVING) is DayKind.HOLIDAY
    assert holiday_name(("US", None), THANKSGIVING) == "Thanksgiving Day"
    assert holiday_name(("US", None), date(2026, 11, 27)) == ""


WINDOW = (Window(start=time(9), end=time(17)),)


@pytest.mark.parametrize(
    ("keys", "kind", "day", "chosen"),
    [
        (("holidays", "every_day"), DayKind.HOLIDAY, THANKSGIVING, "holidays"),
        (("every_day", "thu", "workdays"), DayKind.HOLIDAY, THANKSGIVING, None),  # opt in, never out
        (("every_day",), DayKind.MAKEUP_WORKDAY, CN_MAKEUP_SATURDAY, "every_day"),
        (("sat", "weekends", "workdays", "every_day"), DayKind.MAKEUP_WORKDAY, CN_MAKEUP_SATURDAY, "workdays"),
        (("sat", "weekends"), DayKind.MAKEUP_WORKDAY, CN_MAKEUP_SATURDAY, None),  # not a Saturday
        (("sat", "weekends", "every_day"), DayKind.WEEKEND, date(2026, 10, 17), "sat"),
        (("weekends", "every_day"), DayKind.WEEKEND, date(2026, 10, 17), "weekends"),
        (("workdays", "every_day"), DayKind.WEEKEND, date(2026, 10, 18), "every_day"),
        (("workdays",), DayKind.WEEKEND, date(2026, 10, 18), None),
        (("mon", "workdays", "every_day"), DayKind.WORKDAY, date(2026, 10, 19), "mon"),
        (("tue", "workdays", "every_day"), DayKind.WORKDAY, date(2026, 10, 19), "workdays"),
        (("weekends",), DayKind.WORKDAY, date(2026, 10, 19), None),
    ],
)
def test_resolve_day_type(keys: tuple[str, ...], kind: DayKind, day: date, chosen: str | None) -> None:
    assert resolve_day_type(dict.fromkeys(keys, WINDOW), kind, day) == chosen


def test_cn_makeup_day_under_an_every_day_timetable_allows_contact(engine: ContactEngine) -> None:
    # The test policy's CN `sms` has only `every_day`: the make-up Saturday is a working day
    # with the every-day window, held to the law's 08:00-22:00.
    a = account(jurisdiction="CN", currency="CNY", phone="+8613812345678")
    assert engine.day_blocked(a, "sms", CN_MAKEUP_SATURDAY) is None
    assert [(s.isoformat(), e.isoformat()) for s, e in engine.windows(a, "sms", CN_MAKEUP_SATURDAY)] == [
        ("2026-10-10T08:00:00+08:00", "2026-10-10T22:00:00+08:00")
    ]


def test_a_policy_calendar_naming_a_subdivision_applies_to_the_country_accounts(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    timetables = repo / "policies" / "timetables.yaml"
    text = timetables.read_text(encoding="utf-8")
    assert text.count("    holidays: US\n") == 1
    timetables.write_text(text.replace("    holidays: US\n", "    holidays: US-MA\n"), encoding="utf-8")
    engine = ContactEngine(require_policy(repo))
    for jurisdiction in ("US", "US-MA"):
        blocked = engine.day_blocked(account(jurisdiction=jurisdiction, phone="+16175550100"), "sms", PATRIOTS_DAY)
        assert blocked is not None
        assert (blocked.code, blocked.rule) == ("holiday", "us")
        assert "Patriots' Day" in blocked.message


def test_an_unknown_country_is_the_librarys_error_in_a_fresh_interpreter() -> None:
    # In a fresh interpreter the library's countries package is not imported yet, so the
    # shortcut that loads one country's module alone is taken; it must still give the
    # library's own NotImplementedError for a country it does not know.
    code = """
import json
from dunning.compliance.calendar import country_calendar
try:
    country_calendar("XX")
except Exception as error:
    print(json.dumps([type(error).__name__, str(error)]))
else:
    print(json.dumps(None))
"""
    source = str(Path(dunning.__file__).resolve().parents[1])
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": source},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["NotImplementedError", "Country XX not available"]


def _library_at(folder: Path | None) -> object:
    """A stand-in for the holidays package whose files are in ``folder`` (None: no folder)."""
    locations = None if folder is None else [str(folder)]
    return SimpleNamespace(__spec__=SimpleNamespace(submodule_search_locations=locations))


def test_one_country_module_alone_takes_the_librarys_path_when_anything_is_unexpected(tmp_path: Path) -> None:
    assert _country_entity_alone(holidays, "XX") is None  # not in the registry
    assert _country_entity_alone(_library_at(None), "US") is None  # no folder to load from
    assert _country_entity_alone(SimpleNamespace(__spec__=None), "US") is None
    assert _country_entity_alone(_library_at(tmp_path), "US") is None  # no countries/united_states.py
    countries = tmp_path / "countries"
    countries.mkdir()
    (countries / "united_states.py").write_text("US = 'an alias'\n", encoding="utf-8")
    assert _country_entity_alone(_library_at(tmp_path), "US") is None  # no UnitedStates class in it
    (countries / "united_states.py").write_text("UnitedStates = 'the class'\nUS = 'an alias'\n", encoding="utf-8")
    assert _country_entity_alone(_library_at(tmp_path), "US") == "the class"


@pytest.mark.parametrize(
    ("key", "library"),
    [
        (("US", "MA"), [("US", "MA")]),
        (("US", "ZZ"), [("US", None)]),
        (("CN", None), [("CN", None)]),
        (("GB", None), [("GB", "ENG"), ("GB", "NIR"), ("GB", "SCT"), ("GB", "WLS")]),
    ],
)
def test_a_calendar_from_its_country_module_is_the_librarys(
    key: tuple[str, str | None], library: list[tuple[str, str | None]]
) -> None:
    # the country's class comes from its one module (not holidays.countries): the same days
    # and names as the library's own country_holidays, summed over the nations for GB
    years = range(2000, 2041)
    calendar = _calendar(*key)
    assert calendar is not None
    for year in years:
        date(year, 1, 1) in calendar  # noqa: B015 - a lookup expands the calendar's year
    ours = dict(calendar)
    first, *others = (holidays.country_holidays(country, subdiv=sub, years=years) for country, sub in library)
    for other in others:
        first = first + other
    assert ours == dict(first)


def test_a_day_kind_in_a_fresh_interpreter_loads_only_the_countrys_module() -> None:
    code = """
import json, sys
from datetime import date
from dunning.compliance.calendar import day_kind, holiday_name
print(json.dumps([str(day_kind(("US", "MA"), date(2026, 4, 20))), holiday_name(("GB", None), date(2026, 4, 6)),
                  "holidays.countries" in sys.modules]))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == ["holiday", "Easter Monday (ENG, NIR, WLS)", False]
