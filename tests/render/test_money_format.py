"""Money in templates (templating/formatting.py): separators of other locales, the Babel fallback,
what a filter accepts, and the ``money`` filter's currency and locale from the render context."""

from __future__ import annotations

from decimal import Decimal

import jinja2
import pytest
from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from dunning.templating.formatting import FILTERS, FilterError, _money_recipe, format_money, format_number


def test_money_in_locales_with_other_separators() -> None:
    assert format_money(Decimal("1234567.891"), "EUR", "de-DE") == "1.234.567,89\xa0€"
    assert format_money(Decimal("1234567.891"), "EUR", "fr-FR") == "1\u202f234\u202f567,89\xa0€"
    assert format_money(Decimal("0.005"), "EUR", "de-DE") == "0,00\xa0€"  # half to even
    assert format_money(Decimal("0.015"), "EUR", "de-DE") == "0,02\xa0€"
    # both take the fast path, which was checked against Babel when it was compiled
    assert _money_recipe("de-DE", "EUR") is not None and _money_recipe("fr-FR", "EUR") is not None


@given(st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False))
def test_money_fast_path_equals_babel_with_other_separators(value: Decimal) -> None:
    for locale in ("de-DE", "fr-FR"):
        assert format_money(value, "EUR", locale) == format_currency(value, "EUR", locale=locale.replace("-", "_"))


def test_money_without_a_fast_path_is_babels() -> None:
    # three minor digits (BHD) and Indian grouping have no recipe: Babel writes them
    assert _money_recipe("en-US", "BHD") is None
    assert format_money(Decimal("1.5"), "BHD", "en-US") == "BHD1.500"
    assert format_money(Decimal("1234567.891"), "INR", "en-IN") == "₹12,34,567.89"
    assert format_money(Decimal("-1234.5"), "EUR", "de-DE") == "-1.234,50\xa0€"


def test_what_money_accepts() -> None:
    assert format_money(3, "USD", "en-US") == "$3.00"
    assert format_money("3.5", "USD", "en-US") == "$3.50"
    assert format_number(0.125, "en-US") == "0.125"
    assert format_number(1.1, "en-US") == "1.1"  # through repr: no binary noise
    with pytest.raises(FilterError) as boolean:
        format_money(True, "USD", "en-US")
    assert str(boolean.value) == "money expects a number, got a boolean"
    with pytest.raises(FilterError) as other:
        format_money([1], "USD", "en-US")
    assert str(other.value) == "money expects a number, got list"


def render(source: str, **context: object) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters.update(FILTERS)
    return env.from_string(source).render(**context)


def test_money_filter_takes_the_accounts_currency_and_the_message_locale() -> None:
    assert render("{{ x|money }}", x=Decimal("12.5"), locale="en-US", account={"currency": "USD"}) == "$12.50"
    assert render("{{ x|money }}", x=Decimal("12.5"), locale="zh-CN", account={"currency": "CNY"}) == "¥12.50"
    assert render("{{ x|money('EUR') }}", x=Decimal("12.5"), locale="de-DE", account={"currency": "USD"}) == (
        "12,50\xa0€"
    )
    assert render("{{ x|money('EUR') }}", x=Decimal("12.5"), locale="de-DE") == "12,50\xa0€"


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"locale": "en-US"}, "money needs a currency: pass one (|money('USD')) or render with an account"),
        ({"locale": "en-US", "account": {"currency": ""}}, "money needs a currency"),
        ({"locale": "en-US", "account": {"currency": 840}}, "money needs a currency"),
        ({"locale": "en-US", "account": "USD"}, "money needs a currency"),
        ({"account": {"currency": "USD"}}, "the render context has no locale"),
        ({"locale": "", "account": {"currency": "USD"}}, "the render context has no locale"),
        ({"locale": 1, "account": {"currency": "USD"}}, "the render context has no locale"),
    ],
)
def test_money_filter_says_what_the_context_lacks(context: dict[str, object], message: str) -> None:
    with pytest.raises(FilterError) as error:
        render("{{ x|money }}", x=Decimal("1"), **context)
    assert str(error.value).startswith(message)
