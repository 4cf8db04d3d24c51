"""parse_record: the account contract's row rules, one code per failure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dunning.accounts.model import Account
from dunning.accounts.record import RowReject, parse_record, valid_phone

SERVED = ("CN", "US", "US-MA")
USD = "the minor unit of USD"
JPY = "decimal place(s), the minor unit of JPY"
ID_CONTROL = "account_id contains control or bidirectional-formatting characters"
NOT_DECIMAL = "overdue_amount is not a plain decimal number such as 1250.50"
NOT_DATE = "is not an ISO date (YYYY-MM-DD) from 1900-01-01 to 2999-12-31"
GOOD = {
    "account_id": "A1",
    "jurisdiction": "US",
    "currency": "USD",
    "overdue_amount": "120.50",
    "due_date": "2026-10-01",
    # the Regulation F itemization every US account carries (R018)
    "creditor": "Example Bank",
    "itemization_date": "2026-09-01",
    "itemization_amount": "120.50",
    "interest_since_itemization": "0",
    "fees_since_itemization": "0",
    "payments_since_itemization": "0",
    "credits_since_itemization": "0",
}


def parse(**changes: object) -> Account | RowReject:
    return parse_record({**GOOD, **changes}, 7, SERVED)


def test_good_row_with_bom_flags_and_extra() -> None:
    row = {"\ufeffaccount_id": "A1", **{k: v for k, v in GOOD.items() if k != "account_id"}}
    row.update({"dispute": "YES", "sms_opt_out": "0", "hardship": "", "branch": "north", "phone": "+14155550123"})
    account = parse_record(row, 3, SERVED)
    assert isinstance(account, Account)
    assert account.account_id == "A1"
    assert account.overdue_amount == Decimal("120.50")
    assert account.due_date == date(2026, 10, 1)
    assert account.flags == frozenset({"dispute"})
    assert dict(account.extra) == {"branch": "north"}
    assert account.line == 3


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"account_id": " "}, "R001", "account_id is empty; it is required"),
        ({"due_date": ""}, "R001", "due_date is empty; it is required"),
        ({"account_id": "A\t1"}, "R001", ID_CONTROL),
        ({"account_id": "A\u202e1"}, "R001", ID_CONTROL),
        ({"account_id": "A\u2066"}, "R001", ID_CONTROL),
        ({"account_id": "A" * 65}, "R017", "account_id is longer than 64 characters (128 bytes in UTF-8)"),
        ({"account_id": "账" * 43}, "R017", "account_id is longer than 64 characters (128 bytes in UTF-8)"),
        ({"overdue_amount": "12,50"}, "R002", NOT_DECIMAL),
        ({"overdue_amount": "1e3"}, "R002", NOT_DECIMAL),
        ({"overdue_amount": "１２３"}, "R002", NOT_DECIMAL),
        ({"overdue_amount": "١٢٣"}, "R002", NOT_DECIMAL),
        ({"overdue_amount": "1" * 16}, "R015", "overdue_amount has more than 15 digits before the decimal point"),
        ({"principal": "-" + "9" * 27 + ".00"}, "R015", "principal has more than 15 digits before the decimal point"),
        ({"overdue_amount": "-5.00"}, "R003", "overdue_amount is negative"),
        ({"overdue_amount": "5.001"}, "R004", "overdue_amount has more than 2 decimal place(s), the minor unit of USD"),
        (
            {"currency": "JPY", "overdue_amount": "5.5"},
            "R004",
            "overdue_amount has more than 0 decimal place(s), the minor unit of JPY",
        ),
        ({"due_date": "2026-02-30"}, "R005", "due_date " + NOT_DATE),
        ({"due_date": "20261001"}, "R005", "due_date " + NOT_DATE),
        ({"due_date": "0000-01-01"}, "R005", "due_date " + NOT_DATE),
        ({"due_date": "1899-12-31"}, "R005", "due_date " + NOT_DATE),
        ({"promise_to_pay_date": "9999-12-31"}, "R005", "promise_to_pay_date " + NOT_DATE),
        ({"last_payment_date": "２０２６-１０-０１"}, "R005", "last_payment_date " + NOT_DATE),
        ({"jurisdiction": "FR"}, "R006", "jurisdiction FR is not served by the policy"),
        ({"jurisdiction": "us"}, "R006", "jurisdiction is not an ISO 3166 code (e.g. US, US-CA, CN)"),
        ({"currency": "XXY"}, "R007", "currency XXY is not an ISO 4217 code"),
        ({"currency": "usd"}, "R007", "currency is not an ISO 4217 code (three capital letters, e.g. USD)"),
        ({"timezone": "Mars/Olympus"}, "R008", "timezone is not an IANA time zone (e.g. America/New_York)"),
        ({"bankruptcy": "maybe"}, "R010", "bankruptcy is not true/false/1/0/yes/no"),
        ({"name": "Zo\ufffd"}, "R012", "the row is not valid UTF-8"),
        ({"locale": "en_US"}, "R014", "locale is not a BCP 47 tag (e.g. en-US, zh-CN)"),
        ({"__extra_fields": "x"}, "R016", "the row has more fields than the header"),
    ],
)
def test_each_bad_value_has_its_code(changes: dict[str, object], code: str, message: str) -> None:
    found = parse(**changes)
    assert isinstance(found, RowReject)
    assert (found.line, found.code, found.message) == (7, code, message)


def test_no_message_repeats_the_value() -> None:
    # every bad value of the table above is long and distinctive here: none is in its message
    for column, value in [("overdue_amount", "12,50xyz"), ("due_date", "2026-02-30xyz"), ("timezone", "Mars/xyz"),
                          ("bankruptcy", "maybe-xyz"), ("locale", "en_US_xyz"), ("jurisdiction", "usxyz"),
                          ("currency", "usdxyz")]:  # fmt: skip
        found = parse(**{column: value})
        assert isinstance(found, RowReject)
        assert "xyz" not in found.message, (column, found.message)


def test_free_text_is_cleaned_and_checked_columns_are_not() -> None:
    account = parse(
        name="\u202e  李娜\u202c\x00 ", address="2 Main St\r\nNew York\u2028NY\t10001", branch="\u2066north\u2069",
        customer_id="C\x7f1", email="a@b.example\u200f",
    )  # fmt: skip
    assert isinstance(account, Account)
    assert (account.name, account.address, account.customer_id, account.email) == (
        "李娜", "2 Main St New YorkNY 10001", "C1", "a@b.example",
    )  # fmt: skip
    assert dict(account.extra) == {"branch": "north"}
    found = parse(timezone="Asia/Shanghai\u202e")  # a checked column is never cleaned into passing
    assert isinstance(found, RowReject) and found.code == "R008"


def test_subdivision_served_through_its_country() -> None:
    assert isinstance(parse(jurisdiction="US-AZ"), Account)


def test_typed_values_from_json_or_parquet() -> None:
    account = parse(overdue_amount=12.5, due_date=date(2026, 10, 1), dispute=True, call_opt_out=False)
    assert isinstance(account, Account)
    assert account.overdue_amount == Decimal("12.5")
    assert account.flags == frozenset({"dispute"})


def test_phone_validity() -> None:
    assert valid_phone("+8613812345678")
    assert valid_phone("+14155550123")
    assert not valid_phone("+8612345")
    assert not valid_phone("14155550123")


def test_phone_shortcut_agrees_with_the_parser() -> None:
    import random

    import phonenumbers

    from dunning.accounts.record import _valid_block

    rng = random.Random(3)
    samples = [f"+1212{rng.randrange(10**7):07d}" for _ in range(500)]
    samples += [f"+86138{rng.randrange(10**8):08d}" for _ in range(500)]
    samples += [f"+440{rng.randrange(10**9):09d}" for _ in range(300)]
    samples += [f"+{rng.randrange(10**11)}" for _ in range(3000)]
    for sample in samples:
        try:
            expected = phonenumbers.is_valid_number(phonenumbers.parse(sample, None))
        except phonenumbers.NumberParseException:
            expected = False
        assert _valid_block(sample) == expected, sample


@pytest.mark.parametrize(
    ("changes", "invalid"),
    [
        ({"phone": "+1 415 555 0123"}, {"phone"}),
        ({"phone": "+11115550123"}, {"phone"}),
        ({"phone": "+１４１５５５５０１２３"}, {"phone"}),
        ({"email": "someone-at-example.com"}, {"email"}),
        ({"phone": "12", "email": "a@b"}, {"phone", "email"}),
    ],
)
def test_a_bad_contact_point_is_blanked_and_named_not_rejected(changes: dict[str, object], invalid: set[str]) -> None:
    found = parse(**changes)
    assert isinstance(found, Account)
    assert (found.invalid, found.phone if "phone" in invalid else "", found.email if "email" in invalid else "") == (
        frozenset(invalid),
        "",
        "",
    )
