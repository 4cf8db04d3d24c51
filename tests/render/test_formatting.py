"""Locale filters: the exact strings the issue promises, and the fast money path equals Babel."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from dunning.templating.formatting import (
    FilterError,
    format_local_datetime,
    format_long_date,
    format_money,
    format_number,
    format_percent_text,
    mask,
    mask_phone,
)


def test_money() -> None:
    assert format_money(Decimal("1234.5"), "CNY", "zh-CN") == "¥1,234.50"
    assert format_money(Decimal("1234.5"), "USD", "en-US") == "$1,234.50"
    assert format_money(Decimal("1234567.891"), "USD", "en-US") == "$1,234,567.89"
    assert format_money(Decimal("-3"), "USD", "en-US") == "-$3.00"
    assert format_money(Decimal("1234.5"), "CNY", "en-US") == "CN¥1,234.50"


@given(st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False))
def test_money_fast_path_equals_babel(value: Decimal) -> None:
    for locale, currency in (("zh-CN", "CNY"), ("en-US", "USD"), ("en-US", "CNY"), ("zh-CN", "USD")):
        babel = format_currency(value, currency, locale=locale.replace("-", "_"))
        assert format_money(value, currency, locale) == babel


def test_dates() -> None:
    assert format_long_date(date(2026, 11, 28), "zh-CN") == "2026年11月28日"
    assert format_long_date(date(2026, 11, 28), "en-US") == "November 28, 2026"
    ny = datetime(2026, 11, 28, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert format_local_datetime(ny, "en-US") == "November 28, 2026, 9:00\u202fAM UTC-05:00"
    sh = datetime(2026, 11, 28, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert format_local_datetime(sh, "zh-CN") == "2026年11月28日 09:30 UTC+08:00"
    with pytest.raises(FilterError, match="timezone-aware"):
        format_local_datetime(datetime(2026, 11, 28, 9, 0), "en-US")


def test_numbers_and_percent() -> None:
    assert format_number(Decimal("1234567.891"), "en-US") == "1,234,567.891"
    assert format_number(1234, "zh-CN") == "1,234"
    assert format_percent_text(Decimal("0.1"), "en-US") == "10%"
    assert format_percent_text(Decimal("0.125"), "zh-CN") == "12.5%"
    with pytest.raises(FilterError, match="money expects a number, got text that is not one"):
        format_money("abc", "USD", "en-US")


def test_masks() -> None:
    assert mask("LN0012341234") == "****1234"
    assert mask("123") == "123"
    assert mask_phone("+8613912341234") == "+86 *******1234"
    assert mask_phone("+12025550142") == "+1 ******0142"
    assert mask_phone("") == ""
