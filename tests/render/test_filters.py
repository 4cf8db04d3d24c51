"""The non-money template filters (templating/formatting.py): ``number``, ``percent``, ``date``,
``datetime``, ``mask`` and ``mask_phone`` as a template uses them — exact text in locales with
other separators and patterns, what each accepts, and the message for what it does not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import jinja2
import pytest

from clock_support import NoOffset
from dunning.templating.formatting import FILTERS, FilterError, utc_offset


def render(source: str, **context: object) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters.update(FILTERS)
    return env.from_string(source).render(**context)


def refused(source: str, **context: object) -> str:
    with pytest.raises(FilterError) as error:
        render(source, **context)
    return str(error.value)


def test_number_uses_the_message_locale() -> None:
    assert render("{{ n|number }}", n=1234567, locale="de-DE") == "1.234.567"
    assert render("{{ n|number }}", n=Decimal("1234567.891"), locale="de-DE") == "1.234.567,891"
    assert render("{{ n|number }}", n="1234.5", locale="en-US") == "1,234.5"


def test_number_refuses_what_is_not_a_number() -> None:
    # a boolean is an int to Python, never a number to a letter
    assert refused("{{ n|number }}", n=True, locale="en-US") == "number expects a number, got a boolean"
    assert refused("{{ n|number }}", n="12a", locale="en-US") == "number expects a number, got text that is not one"
    assert refused("{{ n|number }}", n=None, locale="en-US") == "number expects a number, got NoneType"


def test_percent_keeps_two_decimals_and_groups() -> None:
    assert render("{{ p|percent }}", p=Decimal("12.345"), locale="en-US") == "1,234.5%"
    assert render("{{ p|percent }}", p=Decimal("0.12345"), locale="en-US") == "12.34%"  # half to even
    assert render("{{ p|percent }}", p=Decimal("0.125"), locale="de-DE") == "12,5%"
    assert render("{{ p|percent }}", p="0.5", locale="fr-FR") == "50%"
    assert refused("{{ p|percent }}", p="half", locale="en-US") == "percent expects a number, got text that is not one"


def test_date_accepts_a_date_a_datetime_or_an_iso_date() -> None:
    assert render("{{ d|date }}", d=date(2026, 1, 2), locale="de-DE") == "2. Januar 2026"
    aware = datetime(2026, 1, 2, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert render("{{ d|date }}", d=aware, locale="en-US") == "January 2, 2026"  # its own local day
    assert render("{{ d|date }}", d="2026-01-02", locale="zh-CN") == "2026年1月2日"


def test_date_refuses_what_is_not_a_date() -> None:
    assert refused("{{ d|date }}", d="02/01/2026", locale="en-US") == (
        "date expects a date, got text that is not an ISO date"
    )
    assert refused("{{ d|date }}", d=20260102, locale="en-US") == "date expects a date, got int"
    assert refused("{{ d|date }}", d=date(2026, 1, 2)) == "the render context has no locale"


def test_datetime_in_other_locales_and_offsets() -> None:
    st_johns = datetime(2026, 11, 28, 9, 5, tzinfo=timezone(-timedelta(hours=3, minutes=30)))
    assert render("{{ t|datetime }}", t=st_johns, locale="de-DE") == "28. November 2026, 09:05 UTC-03:30"
    assert render("{{ t|datetime }}", t="2026-11-28T09:05:00+05:45", locale="en-US") == (
        "November 28, 2026, 9:05\u202fAM UTC+05:45"
    )
    utc = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
    assert render("{{ t|datetime }}", t=utc, locale="en-US") == "November 28, 2026, 6:00\u202fPM UTC+00:00"


def test_datetime_refuses_what_is_not_an_aware_datetime() -> None:
    assert refused("{{ t|datetime }}", t="28/11/2026 09:00", locale="en-US") == "datetime expects an ISO 8601 datetime"
    assert refused("{{ t|datetime }}", t=date(2026, 11, 28), locale="en-US") == "datetime expects a datetime, got date"
    assert refused("{{ t|datetime }}", t="2026-11-28T09:00:00", locale="en-US") == (
        "datetime expects a timezone-aware datetime"
    )


def test_utc_offset_needs_a_known_offset() -> None:
    assert utc_offset(datetime(2026, 1, 1, tzinfo=timezone(-timedelta(minutes=30)))) == "UTC-00:30"
    with pytest.raises(FilterError) as error:
        utc_offset(datetime(2026, 1, 1, tzinfo=NoOffset()))
    assert str(error.value) == "datetime expects a timezone-aware datetime"


def test_mask_keeps_the_last_characters() -> None:
    assert render("{{ v|mask }}", v="LN0012341234") == "****1234"
    assert render("{{ v|mask }}", v="1234") == "1234"  # nothing left to hide
    assert render("{{ v|mask }}", v="12345") == "****2345"
    assert render("{{ v|mask(2) }}", v="123456789") == "****89"  # always four stars: the length stays hidden
    assert render("{{ v|mask }}", v=None) == ""
    assert render("{{ v|mask }}", v=9876543210) == "****3210"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+86 139 1234 1234", "+86 *******1234"),  # separators do not count
        ("+12345", "+1 2345"),
        ("+1234", "1234"),  # four digits or fewer: nothing to mask behind a country code
        ("+12", "12"),
        ("13912341234", "****1234"),  # no country code: masked like any number
        ("+999123456", "+9 ****3456"),  # not a country code: its first digit stands for one
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert render("{{ v|mask_phone }}", v=phone) == masked


def test_mask_phone_of_nothing() -> None:
    assert render("{{ v|mask_phone }}", v=None) == ""
