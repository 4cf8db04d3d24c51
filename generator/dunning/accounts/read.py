"""The columnar account snapshot reader: CSV, JSON Lines or Parquet, streamed in chunks.

Every chunk is a polars frame of text columns. Validation runs on whole columns: patterns
and casts in polars, and the few predicates that need a library (ISO 4217, IANA zones,
served jurisdictions, phone number blocks) on each column's *distinct* values only, with
the very functions :func:`~dunning.accounts.record.parse_record` uses. A row that fails any
check is handed to ``parse_record`` for its code and message, so the reader and the gate
reject a row with the same words; clean rows become :class:`Account` records straight from
the typed columns. Memory holds one chunk, never the file.

The file itself (format, columns, pieces of records) is :mod:`dunning.accounts.source`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from dunning.accounts.model import FLAG_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, US_ITEMIZATION_REQUIRED, Account
from dunning.accounts.record import (
    AMOUNT_COLUMNS,
    AMOUNT_INTEGER_DIGITS,
    CHECKED_COLUMNS,
    CONTROL_RE,
    CURRENCY_RE,
    DATE_COLUMNS,
    DATE_MAX,
    DATE_MIN,
    DATE_RE,
    E164_RE,
    EMAIL_RE,
    FALSE_WORDS,
    ID_MAX_BYTES,
    ID_MAX_CHARS,
    KNOWN_COLUMNS,
    LOCALE_RE,
    RAGGED,
    REPLACEMENT,
    TRUE_WORDS,
    RowReject,
    _valid_block,
    clean_key,
    currencies,
    minor_digits,
    parse_record,
    served,
)
from dunning.accounts.source import CHUNK_ROWS, LINE, AccountFile
from dunning.accounts.zones import is_zone
from dunning.text.cells import CONTROL_PATTERN, LINE_BREAK_PATTERN

_EMPTY_EXTRA: dict[str, str] = {}


@dataclass
class Chunk:
    """One chunk of the snapshot, validated: accepted accounts and rejected rows (line order)."""

    accounts: list[Account]
    rejects: list[RowReject]
    rows: int


def _jsonl_frame(rows: list[dict[str, str]], columns: tuple[str, ...]) -> pl.DataFrame:
    names = [*columns, LINE]
    data = {name: [row.get(name, "") for row in rows] for name in names}
    return _texts(pl.DataFrame(data, schema=dict.fromkeys(names, pl.String)))


def _texts(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text (typed Parquet columns too), names cleaned, nulls as "", free
    text cleaned as :func:`~dunning.accounts.record.parse_record` cleans it."""
    renamed = frame.rename({n: clean_key(n) for n in frame.columns if n != LINE})
    exprs = []
    for name, dtype in renamed.schema.items():
        col = pl.col(name)
        if name == LINE:
            exprs.append(col.cast(pl.Int64))
            continue
        if dtype == pl.Boolean:
            expr = pl.when(col).then(pl.lit("true")).otherwise(pl.lit("false"))
        elif dtype == pl.String:
            expr = col.fill_null("")
        else:
            expr = col.cast(pl.String).fill_null("")
        # free text, whatever its type (a Parquet dictionary column is categorical); numbers,
        # dates and flags written as text hold no control character
        if name not in CHECKED_COLUMNS and not (dtype == pl.Boolean or dtype.is_numeric() or dtype.is_temporal()):
            expr = _cleaned(expr, renamed[name] if dtype == pl.String else renamed[name].cast(pl.String))
        exprs.append(expr.alias(name))
    return renamed.select(exprs)


_UNSAFE = "[\t\n\r]|" + CONTROL_PATTERN


def _cleaned(expr: pl.Expr, values: pl.Series) -> pl.Expr:
    """``expr`` with free text cleaned (clean_free_text on a column), only when some value
    needs it: the search is a fraction of the replacements' cost, and nearly every column of
    a real file is clean."""
    if not values.str.contains(_UNSAFE).any():
        return expr
    return expr.str.replace_all(LINE_BREAK_PATTERN, " ").str.replace_all(CONTROL_PATTERN, "").str.strip_chars()


class _KnownValues:
    """``predicate`` per distinct value of a column with few of them (jurisdiction, time
    zone, locale), the passing values kept across the chunks one process screens: a chunk
    whose values all passed before costs one membership test, half of asking again."""

    def __init__(self, predicate: Callable[[str], bool]) -> None:
        self.predicate = predicate
        self.passed = pl.Series(dtype=pl.String)
        self.asked: set[str] = set()

    def __call__(self, column: pl.Series) -> pl.Series:
        ok = column.is_in(self.passed.implode())
        if ok.all():
            return ok
        if len(self.asked) > _KNOWN_LIMIT:  # a column of junk: bounded, start over
            self.passed, self.asked = self.passed.clear(), set()
        new = [v for v in column.filter(~ok).unique().to_list() if v not in self.asked]
        self.asked.update(new)
        self.passed = self.passed.extend(pl.Series([v for v in new if self.predicate(v)], dtype=pl.String))
        return column.is_in(self.passed.implode())


_KNOWN_LIMIT = 4096
# per served-jurisdictions set (the jurisdiction check depends on it), per process
_known: dict[tuple[str, frozenset[str] | None], _KnownValues] = {}


def _known_values(name: str, jurisdictions: Collection[str] | None, predicate: Callable[[str], bool]) -> _KnownValues:
    key = (name, None if jurisdictions is None else frozenset(jurisdictions))
    found = _known.get(key)
    if found is None:
        found = _known[key] = _KnownValues(predicate)
    return found


class _BlockVerdicts:
    """Phone-block validity (:func:`_valid_block`) for a column of blocks, kept as a table
    across the chunks one process screens: a chunk's distinct blocks are mostly ones an
    earlier chunk already asked about, and only those new to the table cross into Python."""

    def __init__(self) -> None:
        self.table = pl.DataFrame(schema={"__block": pl.String, "__block_ok": pl.Boolean})

    def __call__(self, blocks: pl.Series) -> pl.Series:
        if self.table.height >= _BLOCK_TABLE_LIMIT:  # bounded: start over (verdicts are cached below too)
            self.table = self.table.clear()
        # the join first: a block it finds no verdict for is new (once the table holds a
        # portfolio's blocks, one call a chunk instead of three: distinct, membership, join)
        found = self._join(blocks)
        if found.null_count():
            new = blocks.filter(found.is_null()).unique(maintain_order=True).to_list()
            verdicts = [v == "" or _valid_block(v) for v in new]
            added = pl.DataFrame({"__block": new, "__block_ok": verdicts}, schema=self.table.schema)
            self.table = pl.concat([self.table, added])
            found = self._join(blocks)
        return found

    def _join(self, blocks: pl.Series) -> pl.Series:
        found = blocks.to_frame("__block").join(self.table, on="__block", how="left", maintain_order="left")
        return found["__block_ok"]


_BLOCK_TABLE_LIMIT = 1 << 18  # distinct blocks kept (a few MiB); past it the table starts over
_block_verdicts = _BlockVerdicts()


@dataclass
class Screened:
    """A chunk after the column checks: the clean rows (text, blanks stripped, plus ``__flags``
    bits, ``__digits`` of the currency, ``__line`` and the dates parsed, see
    :func:`date_column`), the rejects, and the extra columns."""

    good: pl.DataFrame
    rejects: list[RowReject]
    extra_columns: list[str]
    rows: int


def validate_frame(frame: pl.DataFrame, jurisdictions: Collection[str] | None) -> Chunk:
    """Validate one chunk of text columns (from :meth:`AccountFile.frames`)."""
    screened = screen_frame(frame, jurisdictions)
    accounts = list(accounts_of(screened.good, screened.extra_columns))
    return Chunk(accounts, screened.rejects, screened.rows)


def date_column(name: str) -> str:
    """The screened frame's column holding ``name`` parsed as a date (null when blank)."""
    return f"__date_{name}"


_PLAIN_FLAGS = ("true", "false", "")  # how nearly every file writes a flag
# An amount that passes three checks at once: a decimal (DECIMAL_RE), at most
# AMOUNT_INTEGER_DIGITS digits before the point (R015), and not below zero (a minus sign only
# before zeros). One search instead of three passes over the column (a regex, a second regex
# and a float cast). Only whether a row fails some check matters here (parse_record names the
# check), and the row fails the same ones: a negative amount whose digits are not all zeros
# is below zero as a float too, unless it has more decimal places than any currency (the
# places check fails it either way).
_AMOUNT_OK = (
    rf"^(?:[0-9]{{1,{AMOUNT_INTEGER_DIGITS}}}(?:\.[0-9]*)?|\.[0-9]+"
    rf"|-(?:0{{1,{AMOUNT_INTEGER_DIGITS}}}(?:\.0*)?|\.0+))$"
)


def _flag_exprs(s: pl.DataFrame) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """The flag columns' checks (a value that is no flag word fails) and bits.

    Most files write only ``true``, ``false`` or nothing: for a chunk like that, exact
    comparisons say the same as lower-casing every cell and looking it up, at a fifth of
    the cost; any other spelling (``Yes``, ``TRUE``, ``1``) takes the general path."""
    plain = s.select(pl.all_horizontal(pl.col(c).is_in(_PLAIN_FLAGS) for c in FLAG_COLUMNS).all()).item()
    if plain:
        return [], [(pl.col(c) == "true").cast(pl.Int64) * (1 << i) for i, c in enumerate(FLAG_COLUMNS)]
    checks, bits = [], []
    for i, c in enumerate(FLAG_COLUMNS):
        lowered = pl.col(c).str.to_lowercase()
        checks.append(~lowered.is_in(list(TRUE_WORDS | FALSE_WORDS)))
        bits.append(pl.when(lowered.is_in(list(TRUE_WORDS))).then(1 << i).otherwise(0))
    return checks, bits


def screen_frame(
    frame: pl.DataFrame, jurisdictions: Collection[str] | None, *, replacement_free: bool = False
) -> Screened:
    """Run the column checks on one chunk; rejected rows get parse_record's code and message.

    ``replacement_free``: the caller knows that no cell holds U+FFFD (a CSV piece that decoded
    as strict UTF-8 without one, see :meth:`CsvPiece.read`), so the per-cell search for
    undecodable bytes — a sixth of the screening — is skipped.
    """
    for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *FLAG_COLUMNS):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit("").alias(name))
    data_columns = [c for c in frame.columns if c != LINE]
    s = frame.with_columns(pl.col(c).str.strip_chars() for c in data_columns)
    currency = s["currency"]
    digit_table = {
        v: (minor_digits(v) if CURRENCY_RE.match(v) and v in currencies() else -1) for v in currency.unique().to_list()
    }
    # (cast: a chunk of blank records skipped is empty, and an empty table types nothing)
    digits = currency.replace_strict(digit_table, return_dtype=pl.Int64).cast(pl.Int64)
    phone = pl.col("phone")
    shaped = phone.str.contains(E164_RE.pattern)
    blocks = s.select(
        pl.when(shaped).then(phone.str.slice(0, phone.str.len_chars() - 4) + "0000").otherwise(pl.lit(""))
    ).to_series()
    s = s.with_columns(
        (digits >= 0).alias("__cur_ok"),
        digits.alias("__digits"),
        _known_values("jurisdiction", jurisdictions, lambda v: served(v, jurisdictions))(s["jurisdiction"]).alias(
            "__jur_ok"
        ),
        _known_values("timezone", None, lambda v: not v or is_zone(v))(s["timezone"]).alias("__tz_ok"),
        _known_values("locale", None, lambda v: not v or bool(LOCALE_RE.match(v)))(s["locale"]).alias("__loc_ok"),
        _block_verdicts(blocks).alias("__block_ok"),
        *(pl.col(c).str.to_date("%Y-%m-%d", strict=False).alias(date_column(c)) for c in DATE_COLUMNS),
    )
    # Every check but the phone's, as one flat list: polars evaluates a flat any_horizontal
    # in one pass, while a deep chain of `|` took ten times longer to plan than to run.
    failures = [
        pl.lit(any(REPLACEMENT in c for c in data_columns)),  # a header with undecodable bytes: every row R012
        *(() if replacement_free else (pl.col(c).str.contains(REPLACEMENT, literal=True) for c in data_columns)),
        *(pl.col(c) == "" for c in REQUIRED_COLUMNS),
        pl.col("account_id").str.contains(CONTROL_RE.pattern),
        (pl.col("account_id").str.len_chars() > ID_MAX_CHARS) | (pl.col("account_id").str.len_bytes() > ID_MAX_BYTES),
        *((pl.col(RAGGED) != "",) if RAGGED in frame.columns else ()),
        ~pl.col("__jur_ok"),
        ~pl.col("__cur_ok"),
        ~pl.col("__tz_ok"),
        ~pl.col("__loc_ok"),
        # R018: a US account without its Regulation F itemization (record.needs_itemization)
        ((pl.col("jurisdiction") == "US") | pl.col("jurisdiction").str.starts_with("US-"))
        & pl.any_horizontal(pl.col(c) == "" for c in US_ITEMIZATION_REQUIRED),
    ]
    for c in AMOUNT_COLUMNS:
        col = pl.col(c)
        present = col != ""
        # digits after the point (bytes: a value with anything but digits there fails the
        # pattern check anyway); a search for "." costs a fifth of a regex extract
        places = (col.str.len_bytes() - col.str.find(".", literal=True) - 1).fill_null(0)
        failures += [
            present & ~col.str.contains(_AMOUNT_OK),
            present & pl.col("__cur_ok") & (places > pl.col("__digits")),
        ]
    for c in DATE_COLUMNS:
        col = pl.col(c)
        parsed = pl.col(date_column(c))
        outside = parsed.is_null() | (parsed < DATE_MIN) | (parsed > DATE_MAX)
        failures.append((col != "") & (~col.str.contains(DATE_RE.pattern) | outside))
    flag_checks, flag_bits = _flag_exprs(s)
    # An invalid phone or email is not a reject: the row is planned without it (the value
    # blanked, the point named in __invalid: 1 phone, 2 email — see Account.invalid).
    # One pass: every expression of a with_columns reads the columns as they were, so the
    # blanked phone and email are read as written (two more passes cost ≈ 2 ms a 10k-row chunk).
    email = pl.col("email")
    email_bad = (email != "") & ~email.str.contains(EMAIL_RE.pattern)
    phone_bad = ~((phone == "") | (shaped & pl.col("__block_ok")))
    s = s.with_columns(
        pl.any_horizontal([*failures, *flag_checks]).alias("__bad"),
        pl.sum_horizontal(flag_bits).cast(pl.Int64).alias("__flags"),
        (phone_bad.cast(pl.Int8) + email_bad.cast(pl.Int8) * 2).alias("__invalid"),
        pl.when(phone_bad).then(pl.lit("")).otherwise(phone).alias("phone"),
        pl.when(email_bad).then(pl.lit("")).otherwise(email).alias("email"),
    )

    rejects: list[RowReject] = []
    bad_rows = frame.filter(s["__bad"])
    for row in bad_rows.iter_rows(named=True):
        line = int(row.pop(LINE))
        found = parse_record(row, line, jurisdictions)
        # the column checks are a superset of parse_record's: every flagged row is rejected
        assert isinstance(found, RowReject), f"line {line}: flagged by the column checks only"
        rejects.append(found)
    dates = [date_column(c) for c in DATE_COLUMNS]
    # (a filter copies every column even when it keeps every row: most chunks reject none)
    good = (s.filter(~s["__bad"]) if bad_rows.height else s).select(
        *data_columns, LINE, "__digits", "__flags", "__invalid", *dates
    )
    extra_columns = sorted(c for c in data_columns if c not in KNOWN_COLUMNS and c)
    rejects.sort()
    return Screened(good, rejects, extra_columns, frame.height)


_FLAG_SETS: dict[int, frozenset[str]] = {}
_ITEMIZED_AMOUNTS = (
    "itemization_amount", "interest_since_itemization", "fees_since_itemization", "payments_since_itemization",
    "credits_since_itemization",
)  # fmt: skip
_INVALID: tuple[frozenset[str], ...] = (
    frozenset(),
    frozenset(("phone",)),
    frozenset(("email",)),
    frozenset(("phone", "email")),
)


def _flags(bits: int) -> frozenset[str]:
    found = _FLAG_SETS.get(bits)
    if found is None:
        found = _FLAG_SETS[bits] = frozenset(c for i, c in enumerate(FLAG_COLUMNS) if bits >> i & 1)
    return found


def _money(value: str) -> Decimal | None:
    return Decimal(value) if value else None


def accounts_of(good: pl.DataFrame, extra_columns: list[str]) -> Iterator[Account]:
    """Account records from screened rows (see :func:`screen_frame`)."""
    due, last_payment, promise, itemized_on = (good[date_column(c)].to_list() for c in DATE_COLUMNS)
    cols: dict[str, list[Any]] = {
        c: good[c].to_list()
        for c in (
            "account_id", "jurisdiction", "currency", "overdue_amount", "customer_id", "name", "locale",
            "timezone", "phone", "email", "address", "postal_code", "product", "segment", "principal",
            "promise_amount", "creditor", "original_creditor", *_ITEMIZED_AMOUNTS, "__flags", "__invalid", LINE,
        )
    }  # fmt: skip
    extras = [good[c].to_list() for c in extra_columns]
    for i in range(good.height):
        principal = cols["principal"][i]
        promise_amount = cols["promise_amount"][i]
        extra = {name: values[i] for name, values in zip(extra_columns, extras, strict=True)} if extras else None
        yield Account(
            account_id=cols["account_id"][i],
            jurisdiction=cols["jurisdiction"][i],
            currency=cols["currency"][i],
            overdue_amount=Decimal(cols["overdue_amount"][i]),
            due_date=due[i],
            customer_id=cols["customer_id"][i],
            name=cols["name"][i],
            locale=cols["locale"][i],
            timezone=cols["timezone"][i],
            phone=cols["phone"][i],
            email=cols["email"][i],
            address=cols["address"][i],
            postal_code=cols["postal_code"][i],
            product=cols["product"][i],
            segment=cols["segment"][i],
            principal=Decimal(principal) if principal else None,
            last_payment_date=last_payment[i],
            promise_to_pay_date=promise[i],
            promise_amount=Decimal(promise_amount) if promise_amount else None,
            creditor=cols["creditor"][i],
            original_creditor=cols["original_creditor"][i],
            itemization_date=itemized_on[i],
            itemization_amount=_money(cols["itemization_amount"][i]),
            interest_since_itemization=_money(cols["interest_since_itemization"][i]),
            fees_since_itemization=_money(cols["fees_since_itemization"][i]),
            payments_since_itemization=_money(cols["payments_since_itemization"][i]),
            credits_since_itemization=_money(cols["credits_since_itemization"][i]),
            flags=_flags(cols["__flags"][i]),
            invalid=_INVALID[cols["__invalid"][i]],
            extra=extra if extra is not None else _EMPTY_EXTRA,
            line=cols[LINE][i],
        )


def read_accounts(
    path: Path, fmt: str | None = None, jurisdictions: Collection[str] | None = None, chunk_rows: int = CHUNK_ROWS
) -> Iterator[Chunk]:
    """Validated chunks of the snapshot at ``path`` (raises UserError up front when unusable)."""
    source = AccountFile(path, fmt, chunk_rows)
    for frame, early in source.frames():
        chunk = validate_frame(frame, jurisdictions)
        if early:
            chunk.rejects = sorted([*early, *chunk.rejects])
            chunk.rows += len(early)
        yield chunk
