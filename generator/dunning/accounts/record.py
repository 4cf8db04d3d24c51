"""Row validation of the account snapshot contract (DESIGN.md), one record at a time.

:func:`parse_record` turns one mapping (a CSV row, a JSON Lines object, a Parquet row, a
``dunning gate`` request's ``account``) into an :class:`~dunning.accounts.model.Account` or a
:class:`RowReject`. The columnar reader (:mod:`dunning.accounts.read`) applies the same rules
vectorised and uses this module's messages, so both give the same code and message for the
same row (a test holds them to it).

Reject codes (stable; ``rejects.csv`` and the gate's error answers carry them):

====  ==============================================================================
code  meaning
====  ==============================================================================
R001  a required value is empty (account_id, jurisdiction, currency, overdue_amount,
      due_date), or account_id holds control or bidirectional-formatting characters
R002  an amount (overdue_amount, principal, promise_amount, the itemization amounts) is not a
      plain decimal number
      (ASCII digits 0-9, an optional point, an optional leading ``-``)
R003  an amount is negative
R004  an amount has more decimal places than its currency's minor unit (USD 2, JPY 0)
R005  a date (due_date, last_payment_date, promise_to_pay_date, itemization_date) is not an ISO date
      YYYY-MM-DD from 1900-01-01 to 2999-12-31
R006  the jurisdiction is malformed or not served by the policy
R007  the currency is not an ISO 4217 code
R008  the timezone is not an IANA time zone
R009  (no longer a reject: an invalid phone or email removes its channels, the account is
      planned for the others — ``Account.invalid``, ``data/phone-invalid``)
R010  a flag is not one of true/false/1/0/yes/no (any case; empty = false)
R011  the account_id appeared on an earlier line (the later line is rejected)
R012  the row is not valid UTF-8 (bad bytes were replaced by U+FFFD on reading)
R013  the row is malformed (a JSON Lines line that is not a JSON object)
R014  the locale is not a BCP 47 tag
R015  an amount has more than 15 digits before the decimal point (checked with R002)
R016  the row has more fields than the header (checked right after R012)
R017  account_id is longer than 64 characters or 128 UTF-8 bytes (checked with R001)
R018  a US account lacks a Regulation F itemization value its validation notice must
      show (12 CFR 1006.34(c)(2)): creditor, itemization_date, itemization_amount,
      interest_since_itemization, fees_since_itemization, payments_since_itemization,
      credits_since_itemization (0 when there were none; original_creditor is optional)
====  ==============================================================================

The first failing check (in the order of the table, column order within a check) decides
the code. Messages name the column and the rule, never the value: they reach CI logs, the
gate's answers and spreadsheets. The only values they repeat are codes already checked to
be well-formed (a jurisdiction or currency code, a line number).

Free text (customer_id, name, email, address, postal_code, product, segment and every
column the contract does not name) is accepted as it comes but cleaned on reading:
control and bidirectional-formatting characters removed, tabs and line breaks made one
space (:func:`dunning.text.cells.clean_text`), blanks around it stripped. The columnar
reader applies the same cleaning to the same columns (a test holds them equal).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from babel.numbers import get_currency_precision, list_currencies

from dunning.accounts.model import FLAG_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, US_ITEMIZATION_REQUIRED, Account
from dunning.accounts.numbering import valid_national
from dunning.accounts.zones import is_zone
from dunning.text.cells import CONTROL_PATTERN, clean_text

BOM = "\ufeff"
REPLACEMENT = "\ufffd"  # what a lossy UTF-8 decoder puts where bytes were invalid
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no", ""})  # empty is false
AMOUNT_COLUMNS = (
    "overdue_amount", "principal", "promise_amount", "itemization_amount", "interest_since_itemization",
    "fees_since_itemization", "payments_since_itemization", "credits_since_itemization",
)  # fmt: skip
DATE_COLUMNS = ("due_date", "last_payment_date", "promise_to_pay_date", "itemization_date")
# A CSV row with more fields than the header: the reader parses one column more than the
# header names, under this name, and a value in it rejects the row (R016).
RAGGED = "__extra_fields"
KNOWN_COLUMNS = frozenset((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *FLAG_COLUMNS, RAGGED))
# Columns whose values must pass a check (codes, numbers, dates, flags): they are never
# cleaned, so a control character in one fails its check. Every other column is free text.
CHECKED_COLUMNS = KNOWN_COLUMNS - {
    "customer_id",
    "name",
    "email",
    "address",
    "postal_code",
    "product",
    "segment",
    "creditor",
    "original_creditor",
}

# ASCII digits only ([0-9], not \d): Python and polars both read \d as any Unicode digit,
# and "１２３" or "١٢٣" would pass the pattern only to fail a later cast.
DECIMAL_RE = re.compile(r"^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
JURISDICTION_RE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
LOCALE_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
# what makes an account id unusable: any control or bidirectional-formatting character
# (the ones clean_text removes from free text, and tab and line breaks)
CONTROL_RE = re.compile("[\t\n\r]|" + CONTROL_PATTERN)
# Caps of the contract (docs/plan.md): amounts up to 15 integer digits (999 trillion; a
# Decimal of that size times any rate stays exact in the 28-digit default context), dates
# in a range every library handles, ids that fit in a file name with room to spare.
AMOUNT_INTEGER_DIGITS = 15
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2999, 12, 31)
ID_MAX_CHARS, ID_MAX_BYTES = 64, 128
# an address with one @, something before it and a dotted domain after it, no spaces
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RowReject(NamedTuple):
    """One input row that could not be accepted: where, which account, why (code + words).

    A named tuple, not a dataclass: a million-row snapshot has tens of thousands of rejects,
    made in the workers, pickled to the parent, sorted by line and written; a tuple does
    each several times faster, and orders the same way (line first)."""

    line: int
    account_id: str
    code: str
    message: str


@lru_cache(maxsize=1)
def currencies() -> frozenset[str]:
    """ISO 4217 codes babel knows (CLDR)."""
    return frozenset(list_currencies())


@lru_cache(maxsize=512)
def minor_digits(currency: str) -> int:
    """Digits of the currency's minor unit (CNY/USD 2, JPY 0) from CLDR via babel."""
    return int(get_currency_precision(currency))


def served(code: str, jurisdictions: Collection[str] | None) -> bool:
    """True when the policy serves ``code`` (itself or its country, ``US-MA`` → ``US``)."""
    if not JURISDICTION_RE.match(code):
        return False
    return jurisdictions is None or code in jurisdictions or code.split("-", 1)[0] in jurisdictions


@lru_cache(maxsize=1 << 16)
def _valid_block(sample: str) -> bool:
    digits = sample[1:]
    # E.164 country codes are prefix-free (1 to 3 digits): the first known prefix is the code,
    # which spares phonenumbers' general-purpose (and slow) parser
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            if digits[size : size + 1] in ("", "0"):
                break  # leading zeros and trunk prefixes: the parser's rules decide
            return valid_national(code, digits[size:])
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(sample, None)))
    except phonenumbers.NumberParseException:
        return False


def valid_phone(phone: str) -> bool:
    """True when ``phone`` is a valid E.164 number (``phonenumbers`` metadata).

    Numbering plans allocate subscriber numbers in blocks of 10,000 and the validity
    patterns look only at the leading digits and the length, so the verdict is cached per
    block (all but the last four digits): a million-row portfolio costs a few thousand
    ``phonenumbers`` calls, not a million.
    """
    if not E164_RE.match(phone):
        return False
    return _valid_block(phone[:-4] + "0000")


def text(value: object) -> str:
    """A cell as text: None → "", bool → true/false, dates → ISO, numbers → their digits."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def clean_key(key: str) -> str:
    """A column name without a byte-order mark, control characters or surrounding blanks."""
    return clean_text(key.lstrip(BOM)).strip()


def clean_free_text(value: str) -> str:
    """A free-text value (see the module docstring) as every stage sees it."""
    return clean_text(value).strip()


# ---------------------------------------------------------------- messages (shared with read.py)
# They name the column and the rule, never the value (see the module docstring).
def msg_required(column: str) -> str:
    return f"{column} is empty; it is required"


def msg_account_id() -> str:
    return "account_id contains control or bidirectional-formatting characters"


def msg_id_length() -> str:
    return f"account_id is longer than {ID_MAX_CHARS} characters ({ID_MAX_BYTES} bytes in UTF-8)"


def msg_amount(column: str) -> str:
    return f"{column} is not a plain decimal number such as 1250.50"


def msg_amount_size(column: str) -> str:
    return f"{column} has more than {AMOUNT_INTEGER_DIGITS} digits before the decimal point"


def msg_negative(column: str) -> str:
    return f"{column} is negative"


def msg_digits(column: str, currency: str, digits: int) -> str:
    return f"{column} has more than {digits} decimal place(s), the minor unit of {currency}"


def msg_date(column: str) -> str:
    return f"{column} is not an ISO date (YYYY-MM-DD) from {DATE_MIN} to {DATE_MAX}"


def msg_jurisdiction(value: str) -> str:
    if JURISDICTION_RE.match(value):  # a well-formed code says which one the policy lacks
        return f"jurisdiction {value} is not served by the policy"
    return "jurisdiction is not an ISO 3166 code (e.g. US, US-CA, CN)"


def msg_currency(value: str) -> str:
    if CURRENCY_RE.match(value):
        return f"currency {value} is not an ISO 4217 code"
    return "currency is not an ISO 4217 code (three capital letters, e.g. USD)"


def msg_timezone() -> str:
    return "timezone is not an IANA time zone (e.g. America/New_York)"


def msg_phone() -> str:
    return "phone is not a valid E.164 number (e.g. +14155550123)"


def msg_flag(column: str) -> str:
    return f"{column} is not true/false/1/0/yes/no"


def msg_encoding() -> str:
    return "the row is not valid UTF-8"


def msg_ragged() -> str:
    return "the row has more fields than the header"


def msg_duplicate(first_line: int) -> str:
    return f"account_id already appeared on line {first_line}"


def msg_locale() -> str:
    return "locale is not a BCP 47 tag (e.g. en-US, zh-CN)"


def msg_itemization(column: str) -> str:
    return (
        f"{column} is empty; a US account needs the Regulation F itemization for its validation notice "
        "(12 CFR 1006.34(c)(2); write 0 for no interest, fees, payments or credits)"
    )


def needs_itemization(jurisdiction: str) -> bool:
    """True when accounts of ``jurisdiction`` must carry the Regulation F itemization (the US)."""
    return jurisdiction.split("-", 1)[0] == "US"


# ---------------------------------------------------------------- checks
@lru_cache(maxsize=8192)  # a portfolio has a few thousand distinct dates, not one per row
def parse_date(value: str) -> date | None:
    """An ISO ``YYYY-MM-DD`` date, None when it is not one."""
    if not DATE_RE.match(value):
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None
    return parsed if DATE_MIN <= parsed <= DATE_MAX else None


def parse_amount(value: str) -> Decimal | None:
    """A plain decimal number (no exponent, no sign but ``-``, ASCII digits), None when it is
    not one."""
    if not DECIMAL_RE.match(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def integer_digits(value: str) -> int:
    """Digits before the decimal point as written, sign excluded (``"-012.5"`` → 3)."""
    whole, _, _ = value.partition(".")
    return len(whole.lstrip("-"))


def decimal_places(value: str) -> int:
    """Digits after the decimal point as written (``"1.50"`` → 2)."""
    _, _, fraction = value.partition(".")
    return len(fraction)


def parse_record(
    mapping: Mapping[str, object],
    line: int,
    jurisdictions: Collection[str] | None = None,
    *,
    itemization: bool = True,
) -> Account | RowReject:
    """Validate one account row of the snapshot contract.

    ``jurisdictions`` are the codes the policy serves (``policy.jurisdictions``); None accepts
    any well-formed ISO 3166 code. Values may be text (CSV) or typed (JSON, Parquet).
    ``itemization``: whether a US account must carry the Regulation F itemization (R018) —
    the snapshot's accounts must (their notices are planned and rendered from it); ``dunning
    gate`` asks only whether a contact may happen now and passes False.
    """
    # Every check reads values without surrounding blanks: strip them once, here. The key
    # clean-up is clean_key's, inlined (this runs per row of a rejected chunk and per gate
    # request, where a function call per cell was a third of the cost).
    known = KNOWN_COLUMNS.issuperset(mapping)  # the usual row: no key needs cleaning up
    if known:
        row = {k: (v if type(v) is str else text(v)).strip() for k, v in mapping.items()}
    else:
        row = {clean_key(k): (v if type(v) is str else text(v)).strip() for k, v in mapping.items()}
    for k, v in row.items():
        if k not in CHECKED_COLUMNS and v and not v.isprintable():
            row[k] = clean_free_text(v)
    get = row.get
    account_id = get("account_id", "")

    def reject(code: str, message: str) -> RowReject:
        return RowReject(line, account_id, code, message)

    # U+FFFD is not a blank, so stripping never hides one; one search over the joined text
    # (a known column name holds none)
    if REPLACEMENT in "".join(row.values()) or (not known and REPLACEMENT in "".join(row)):
        return reject("R012", msg_encoding())
    if get(RAGGED):
        return reject("R016", msg_ragged())
    for column in REQUIRED_COLUMNS:
        if not get(column):
            return reject("R001", msg_required(column))
    if CONTROL_RE.search(account_id):
        return reject("R001", msg_account_id())
    if len(account_id) > ID_MAX_CHARS or len(account_id.encode()) > ID_MAX_BYTES:
        return reject("R017", msg_id_length())
    amounts: dict[str, Decimal] = {}  # the amounts given, in column order
    for column in AMOUNT_COLUMNS:
        raw = get(column)
        if raw:
            amount = parse_amount(raw)
            if amount is None:
                return reject("R002", msg_amount(column))
            if integer_digits(raw) > AMOUNT_INTEGER_DIGITS:
                return reject("R015", msg_amount_size(column))
            amounts[column] = amount
    for column, amount in amounts.items():
        if amount < 0:
            return reject("R003", msg_negative(column))
    currency = get("currency", "")
    currency_ok = bool(CURRENCY_RE.match(currency)) and currency in currencies()
    if currency_ok:
        digits = minor_digits(currency)
        for column in amounts:
            raw = row[column]
            if decimal_places(raw) > digits:
                return reject("R004", msg_digits(column, currency, digits))
    dates: dict[str, date] = {}  # the dates given
    for column in DATE_COLUMNS:
        raw = get(column)
        if raw:
            parsed = parse_date(raw)
            if parsed is None:
                return reject("R005", msg_date(column))
            dates[column] = parsed
    jurisdiction = get("jurisdiction", "")
    if not served(jurisdiction, jurisdictions):
        return reject("R006", msg_jurisdiction(jurisdiction))
    if not currency_ok:
        return reject("R007", msg_currency(currency))
    timezone = get("timezone", "")
    if timezone and not is_zone(timezone):
        return reject("R008", msg_timezone())
    invalid: set[str] = set()
    phone = get("phone", "")
    if phone and not valid_phone(phone):
        invalid.add("phone")  # a bad contact point degrades its channels, not the account
        phone = ""
    email = get("email", "")
    if email and not EMAIL_RE.match(email):
        invalid.add("email")
        email = ""
    flags: list[str] = []
    for column in FLAG_COLUMNS:
        value = get(column)
        if not value:
            continue  # absent or empty: false
        raw = value.lower()
        if raw in TRUE_WORDS:
            flags.append(column)
        elif raw not in FALSE_WORDS:
            return reject("R010", msg_flag(column))
    locale = get("locale", "")
    if locale and not LOCALE_RE.match(locale):
        return reject("R014", msg_locale())
    if itemization and needs_itemization(jurisdiction):
        for column in US_ITEMIZATION_REQUIRED:
            if not get(column):
                return reject("R018", msg_itemization(column))
    # usually every column is a known one: one set test instead of a loop over the row
    extra = (
        {}
        if known or KNOWN_COLUMNS.issuperset(row)
        else {k: row[k] for k in sorted(row) if k not in KNOWN_COLUMNS and k}
    )
    due_date = dates["due_date"]  # required, checked above
    overdue = amounts["overdue_amount"]
    return Account(
        account_id=account_id,
        jurisdiction=jurisdiction,
        currency=currency,
        overdue_amount=overdue,
        due_date=due_date,
        customer_id=get("customer_id", ""),
        name=get("name", ""),
        locale=locale,
        timezone=timezone,
        phone=phone,
        email=email,
        address=get("address", ""),
        postal_code=get("postal_code", ""),
        product=get("product", ""),
        segment=get("segment", ""),
        principal=amounts.get("principal"),
        last_payment_date=dates.get("last_payment_date"),
        promise_to_pay_date=dates.get("promise_to_pay_date"),
        promise_amount=amounts.get("promise_amount"),
        creditor=get("creditor", ""),
        original_creditor=get("original_creditor", ""),
        itemization_date=dates.get("itemization_date"),
        itemization_amount=amounts.get("itemization_amount"),
        interest_since_itemization=amounts.get("interest_since_itemization"),
        fees_since_itemization=amounts.get("fees_since_itemization"),
        payments_since_itemization=amounts.get("payments_since_itemization"),
        credits_since_itemization=amounts.get("credits_since_itemization"),
        flags=frozenset(flags),
        invalid=frozenset(invalid),
        extra=extra,
        line=line,
    )
