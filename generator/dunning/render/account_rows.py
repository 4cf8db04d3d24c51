"""Read back the accounts that a plan directory needs, as :class:`Account` records.

Render takes the plan (what to send, when) and the account snapshot (whom to, where) —
the plan deliberately carries no contact details. Rows were validated by ``plan`` already
(rejected rows have no plan line), so this reader only converts types. It reads the
snapshot a chunk at a time as ``plan`` did, keeps only the accounts that have something to
render, and sorts them by account id so that they can be walked in step with
``plans.jsonl`` (also sorted by id): memory follows the number of accounts rendered, not
the size of the snapshot.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dunning.accounts.model import FLAG_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, Account
from dunning.accounts.record import RAGGED
from dunning.accounts.source import LINE, AccountFile
from dunning.errors import UserError
from dunning.templating.formatting import mask

if TYPE_CHECKING:
    # imported where the rows are read: the row conversion below is what the build's
    # process imports with the renderer, and it never reads rows (dunning.render.fused)
    import polars as pl

_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_KNOWN = frozenset((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *FLAG_COLUMNS))


@dataclass
class RawRows:
    """Some accounts' rows as :class:`AccountFile` gives them (before render's clean-up), kept
    while :func:`read_account_rows` reads the snapshot: the case files validate them as
    ``dunning case`` does, without reading the snapshot a second time."""

    ids: frozenset[str]
    frames: list[pl.DataFrame] = field(default_factory=list)


# rows a piece of the snapshot as render reads it. Larger pieces cost polars less (1M bench
# accounts, load 6–7: 3.9–4.4 s of CPU in pieces of 20k rows, 2.75–3.2 s in pieces of 50k)
# but raised this process's peak during the read by ≈ 70 MiB (1M: 336 → 405 MiB PSS), which
# the chunk workers' memory now runs beside: 20k kept
READ_ROWS = 20_000


# columns the template context never reads: the flags (plan decided on them) and the locale
# (each action carries its own): render leaves them out of the rows it keeps and hands over
CONTEXT_UNUSED = (*FLAG_COLUMNS, "locale")


def dropped_columns(drop: Iterable[str]) -> tuple[str, ...]:
    """The columns render's rows leave out: the reader's own (line, ragged) and those of
    ``drop`` but the account id."""
    return (LINE, RAGGED, *(name for name in drop if name != "account_id"))


def account_row_pieces(
    path: Path,
    account_ids: Iterable[str],
    fmt: str | None = None,
    chunk_rows: int = READ_ROWS,
    drop: Iterable[str] = (),
    raw: RawRows | None = None,
) -> Iterator[pl.DataFrame]:
    """The rows of ``account_ids`` piece by piece as the snapshot is read (all columns as text,
    stripped, but those of ``drop``): each piece's rows of the ids no earlier row had — plan
    rejected a repeated id's later rows, the first row of an id is the planned one. Into
    ``raw.frames``, the rows of ``raw.ids`` as read.

    The snapshot is read the way ``plan`` read it (:class:`AccountFile`: the same format
    detection, column clean-up and decoding), a chunk at a time, keeping only the wanted
    rows: a whole-file read (polars maps the file and parses it at once) held the entire
    snapshot — 0.5 GB for a million accounts — while only the accounts with messages are
    needed.
    """
    import polars as pl

    if not path.is_file():
        raise UserError(f"{path}: accounts file not found", "pass --accounts FILE: the snapshot the plan read")
    wanted = pl.Series("account_id", list(set(account_ids)), dtype=pl.Utf8).implode()  # a set test: no order needed
    dropped = dropped_columns(drop)
    raw_ids = pl.Series("account_id", sorted(raw.ids), dtype=pl.Utf8).implode() if raw and raw.ids else None
    seen: set[str] = set()
    try:
        source = AccountFile(path, fmt, chunk_rows)
        for frame, _ in source.frames():
            if raw is not None and raw_ids is not None:
                picked = frame.filter(pl.col("account_id").str.strip_chars().is_in(raw_ids))
                if picked.height:
                    # copied out of the piece: a filtered frame's text still points into the
                    # whole piece's buffers, and kept that way the pieces of a 1M snapshot
                    # held ≈ 100 MiB more in this process (measured) for a few thousand rows
                    raw.frames.append(pl.DataFrame(picked.rows(), schema=picked.schema, orient="row"))
            kept = frame.filter(pl.col("account_id").str.strip_chars().is_in(wanted)).drop(dropped, strict=False)
            if not kept.height:
                continue
            kept = kept.with_columns(pl.all().str.strip_chars())  # as the plan read them
            # a repeated id: looked at on the id column alone (a whole-frame unique copied every column twice)
            first = kept["account_id"].is_first_distinct()
            if not first.all():
                kept = kept.filter(first)
            ids = kept["account_id"].to_list()
            if not seen.isdisjoint(ids):
                kept = kept.filter(pl.Series([account_id not in seen for account_id in ids]))
                ids = [account_id for account_id in ids if account_id not in seen]
            seen.update(ids)
            if kept.height:
                yield kept
    except pl.exceptions.PolarsError as exc:
        hint = "is it the file the plan read?"
        raise UserError(f"{path}: cannot read accounts: {type(exc).__name__}", hint) from None


def read_account_rows(
    path: Path,
    account_ids: Iterable[str],
    fmt: str | None = None,
    chunk_rows: int = READ_ROWS,
    drop: Iterable[str] = (),
    raw: RawRows | None = None,
) -> pl.DataFrame:
    """The rows of ``account_ids`` (:func:`account_row_pieces`) in one frame, sorted by account id."""
    import polars as pl

    parts = list(account_row_pieces(path, account_ids, fmt, chunk_rows, drop, raw))
    if not parts:
        dropped = set(dropped_columns(drop))
        columns = AccountFile(path, fmt, chunk_rows).columns
        return pl.DataFrame(schema=dict.fromkeys((c for c in columns if c not in dropped), pl.Utf8))
    rows = pl.concat(parts, how="diagonal_relaxed", rechunk=False)
    return rows if rows["account_id"].is_sorted() else rows.sort("account_id")


def _text_of(value: Any) -> str:
    return "" if value is None else value if type(value) is str else str(value).strip()


def _decimal_of(value: Any) -> Decimal | None:
    text = _text_of(value)
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _day_of(value: Any) -> date | None:
    text = _text_of(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _present_decimal(value: Any) -> Decimal | None:
    # _decimal_of without its call for the empty cells (most of a CN account's itemization)
    return None if value is None or value == "" else _decimal_of(value)


# the dates of the rows, by their text: a portfolio's due, payment and promise dates fall on a
# few hundred days, and parsing one was ≈ 0.3 µs of an account context's ≈ 6 (measured)
_PARSED_DAYS: dict[str, date | None] = {}
_PARSED_DAYS_MAX = 1 << 16  # texts kept before the cache starts again


def _present_day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        return _day_of(value)
    if value in _PARSED_DAYS:
        return _PARSED_DAYS[value]
    if len(_PARSED_DAYS) >= _PARSED_DAYS_MAX:
        _PARSED_DAYS.clear()
    day = _PARSED_DAYS[value] = _day_of(value)
    return day


def _text(row: Mapping[str, Any], name: str) -> str:
    return _text_of(row.get(name))


def _decimal(row: Mapping[str, Any], name: str) -> Decimal | None:
    return _decimal_of(row.get(name))


def _day(row: Mapping[str, Any], name: str) -> date | None:
    return _day_of(row.get(name))


def account_from_row(row: Mapping[str, Any]) -> Account:
    """One row (as read above: text, stripped) → an :class:`Account` (types only; plan
    validated the row)."""
    text = row.get
    return Account(
        account_id=text("account_id") or "",
        jurisdiction=text("jurisdiction") or "",
        currency=text("currency") or "",
        overdue_amount=_decimal(row, "overdue_amount") or Decimal(0),
        due_date=_day(row, "due_date") or date.min,
        customer_id=text("customer_id") or "",
        name=text("name") or "",
        locale=text("locale") or "",
        timezone=text("timezone") or "",
        phone=text("phone") or "",
        email=text("email") or "",
        address=text("address") or "",
        postal_code=text("postal_code") or "",
        product=text("product") or "",
        segment=text("segment") or "",
        principal=_decimal(row, "principal"),
        last_payment_date=_day(row, "last_payment_date"),
        promise_to_pay_date=_day(row, "promise_to_pay_date"),
        promise_amount=_decimal(row, "promise_amount"),
        creditor=text("creditor") or "",
        original_creditor=text("original_creditor") or "",
        itemization_date=_day(row, "itemization_date"),
        itemization_amount=_decimal(row, "itemization_amount"),
        interest_since_itemization=_decimal(row, "interest_since_itemization"),
        fees_since_itemization=_decimal(row, "fees_since_itemization"),
        payments_since_itemization=_decimal(row, "payments_since_itemization"),
        credits_since_itemization=_decimal(row, "credits_since_itemization"),
        flags=frozenset(f for f in FLAG_COLUMNS if (text(f) or "").lower() in _TRUE),
        extra={k: str(v) for k, v in sorted(row.items()) if k not in _KNOWN and v is not None},
    )


_TEXTS = (
    "account_id", "jurisdiction", "currency", "customer_id", "name", "locale", "timezone", "phone", "email",
    "address", "postal_code", "product", "segment", "creditor", "original_creditor",
)  # fmt: skip
_DECIMALS = (
    "overdue_amount", "principal", "promise_amount", "itemization_amount", "interest_since_itemization",
    "fees_since_itemization", "payments_since_itemization", "credits_since_itemization",
)  # fmt: skip
_DAYS = ("due_date", "last_payment_date", "promise_to_pay_date", "itemization_date")


# the Account fields the template context holds, in the order RowReader.account_context reads them
_CONTEXT_TEXTS = (
    "account_id", "jurisdiction", "currency", "customer_id", "name", "timezone", "phone", "email", "address",
    "postal_code", "product", "segment", "creditor", "original_creditor",
)  # fmt: skip


# a decimal's text that is not a finite number of plain digits (Infinity, NaN, sNaN, 1E999999)
_RISKY = re.compile("[nNeE]")


def _risky(amounts: str) -> bool:
    # amounts whose sum could raise: not plain digits (above), or so long (a million digits)
    # that the sum would overflow the decimal context's exponent
    return len(amounts) > 4096 or _RISKY.search(amounts) is not None


class RowAccount:
    """A snapshot row as render's context needs it (:class:`dunning.templating.context.AccountRow`):
    the account id and jurisdiction, and the ``account`` context object built straight from
    the row — no :class:`Account` in between (its frozen constructor and the context's copy
    of its fields were ≈ 19 µs of every rendered account's ≈ 25)."""

    __slots__ = ("_reader", "_row", "account_id", "jurisdiction")

    def __init__(self, reader: RowReader, row: tuple[Any, ...]) -> None:
        self._reader, self._row = reader, row
        self.account_id: str = row[reader.id_at] or "" if reader.id_at is not None else ""
        self.jurisdiction: str = row[reader.jurisdiction_at] or "" if reader.jurisdiction_at is not None else ""

    def account_context(self, plan: Mapping[str, Any], locale: str) -> dict[str, Any]:
        """What ``account_context(plan, account, locale)`` gives for this row's Account."""
        return self._reader.account_context(self._row, plan, locale)

    def account_fields(self, plan: Mapping[str, Any], locale: str, keys: frozenset[str]) -> dict[str, Any] | None:
        """:meth:`account_context` with only ``keys`` (see :meth:`RowReader.account_fields`)."""
        return self._reader.account_fields(self._row, plan, locale, keys)


class RowReader:
    """:func:`account_from_row` for row tuples of one column layout (``columns``), the same
    Account field for field, without a dict per row: each field's position is looked up once
    for the layout, not once per account (render reads a chunk's rows as tuples)."""

    def __init__(self, columns: Sequence[str]) -> None:
        position = {name: n for n, name in enumerate(columns)}
        self._texts = tuple((name, position.get(name)) for name in _TEXTS)
        self._decimals = tuple((name, position.get(name)) for name in _DECIMALS)
        self._days = tuple((name, position.get(name)) for name in _DAYS)
        self._flags = tuple((name, n) for name in FLAG_COLUMNS if (n := position.get(name)) is not None)
        # extra columns in name order, as account_from_row sorts them
        self._extra = tuple(sorted((name, n) for name, n in position.items() if name not in _KNOWN))
        self.id_at, self.jurisdiction_at = position.get("account_id"), position.get("jurisdiction")
        # the context's fields in one C call: a missing column reads the None appended to the row
        absent = len(columns)
        self._context_fields = operator.itemgetter(
            *(position.get(name, absent) for name in (*_CONTEXT_TEXTS, *_DECIMALS, *_DAYS))
        )

    def account(self, row: Sequence[Any]) -> Account:
        """One row tuple (in the layout's column order) → an :class:`Account`."""
        fields: dict[str, Any] = {name: (row[n] or "") if n is not None else "" for name, n in self._texts}
        for name, n in self._decimals:
            fields[name] = _decimal_of(row[n]) if n is not None else None
        for name, n in self._days:
            fields[name] = _day_of(row[n]) if n is not None else None
        fields["overdue_amount"] = fields["overdue_amount"] or Decimal(0)
        fields["due_date"] = fields["due_date"] or date.min
        return Account(
            **fields,
            flags=frozenset(name for name, n in self._flags if (row[n] or "").lower() in _TRUE),
            extra={name: str(row[n]) for name, n in self._extra if row[n] is not None},
        )

    def row_account(self, row: Sequence[Any]) -> RowAccount:
        """One row tuple as render's context reads it (see :class:`RowAccount`)."""
        return RowAccount(self, row if type(row) is tuple else tuple(row))

    def account_fields(
        self, row: tuple[Any, ...], plan: Mapping[str, Any], locale: str, keys: frozenset[str]
    ) -> dict[str, Any] | None:
        """What :meth:`account_context` gives for ``keys``, and for the keys the channels read
        after the template (the id, the phone, the zone, the currency) or whose conversion
        can fail (the days past due, the amount), each the same value, and no other key. None
        when a key is none of its fields or is read whole there (``itemization``, ``extra``),
        or when a conversion left out could fail (the itemization's total): the whole object
        is built then. ≈ 3.4 µs for a call script's fields against ≈ 7.2 for the whole object
        (measured at load 10)."""
        (
            account_id, jurisdiction, currency, customer_id, name, timezone, phone, email, address, postal_code,
            product, segment, creditor, original_creditor,
            overdue_amount, principal, promise_amount, itemization_amount, interest, fees, payments, credits,
            due_date, last_payment_date, promise_to_pay_date, _itemization_date,
        ) = self._context_fields((*row, None))  # fmt: skip
        # account_context adds the itemization's amounts when all five are there: an infinity,
        # a signalling NaN or a huge exponent would raise there (every such text holds an n or
        # an e), and a narrowed object must not render what the whole one rejects
        if (
            itemization_amount
            and interest
            and fees
            and payments
            and credits
            and _risky(f"{itemization_amount}{interest}{fees}{payments}{credits}")
        ):
            return None
        dec, day = _present_decimal, _present_day
        account_id = account_id or ""
        planned = plan["overdue_amount"] if "overdue_amount" in plan else dec(overdue_amount) or Decimal(0)
        overdue = Decimal(str(planned))
        out: dict[str, Any] = {
            "id": account_id,
            "phone": phone or "",
            "timezone": plan.get("timezone") or timezone or "",
            "currency": plan.get("currency") or currency or "",
            "overdue_amount": overdue,
            "dpd": int(plan["dpd"]),
        }
        for key in keys:
            if key in out:
                continue
            if key == "name":
                out[key] = name or ""
            elif key == "masked_id":
                out[key] = mask(account_id)
            elif key == "customer_id":
                out[key] = customer_id or ""
            elif key == "locale":
                out[key] = locale
            elif key == "jurisdiction":
                out[key] = plan.get("jurisdiction") or jurisdiction or ""
            elif key == "principal":
                value = dec(principal)
                out[key] = value if value is not None else overdue
            elif key == "due_date":
                out[key] = day(due_date) or date.min
            elif key in ("product", "segment", "email", "address", "postal_code", "creditor", "original_creditor"):
                out[key] = {
                    "product": product, "segment": segment, "email": email, "address": address,
                    "postal_code": postal_code, "creditor": creditor, "original_creditor": original_creditor,
                }[key] or ""  # fmt: skip
            elif key == "last_payment_date":
                out[key] = day(last_payment_date)
            elif key == "promise_to_pay_date":
                out[key] = day(promise_to_pay_date)
            elif key == "promise_amount":
                out[key] = dec(promise_amount)
            else:
                return None  # itemization, extra and anything else: the whole object
        return out

    def account_context(self, row: tuple[Any, ...], plan: Mapping[str, Any], locale: str) -> dict[str, Any]:
        """``account_context(plan, self.account(row), locale)``, value for value (tested), read
        from the row: each field converted as :meth:`account` converts it."""
        (
            account_id, jurisdiction, currency, customer_id, name, timezone, phone, email, address, postal_code,
            product, segment, creditor, original_creditor,
            overdue_amount, principal, promise_amount, itemization_amount, interest, fees, payments, credits,
            due_date, last_payment_date, promise_to_pay_date, itemization_date,
        ) = self._context_fields((*row, None))  # fmt: skip
        dec, day = _present_decimal, _present_day
        principal, promise_amount = dec(principal), dec(promise_amount)
        itemization_amount, interest, fees, payments, credits = (
            dec(itemization_amount), dec(interest), dec(fees), dec(payments), dec(credits)
        )  # fmt: skip
        account_id = account_id or ""
        planned = plan["overdue_amount"] if "overdue_amount" in plan else dec(overdue_amount) or Decimal(0)
        overdue = Decimal(str(planned))
        total = None
        if not (itemization_amount is None or interest is None or fees is None or payments is None or credits is None):
            total = itemization_amount + interest + fees - payments - credits  # Account.current_amount()
        return {
            "id": account_id,
            "masked_id": mask(account_id),
            "customer_id": customer_id or "",
            "name": name or "",
            "locale": locale,
            "jurisdiction": plan.get("jurisdiction") or jurisdiction or "",
            "timezone": plan.get("timezone") or timezone or "",
            "currency": plan.get("currency") or currency or "",
            "overdue_amount": overdue,
            "principal": principal if principal is not None else overdue,
            "due_date": day(due_date) or date.min,
            "dpd": int(plan["dpd"]),
            "product": product or "",
            "segment": segment or "",
            "phone": phone or "",
            "email": email or "",
            "address": address or "",
            "postal_code": postal_code or "",
            "last_payment_date": day(last_payment_date),
            "promise_to_pay_date": day(promise_to_pay_date),
            "promise_amount": promise_amount,
            "creditor": creditor or "",
            "original_creditor": original_creditor or "",
            "itemization": {
                "date": day(itemization_date),
                "amount": itemization_amount,
                "interest": interest,
                "fees": fees,
                "payments": payments,
                "credits": credits,
                "total": total,
            },
            "extra": {name: str(row[n]) for name, n in self._extra if row[n] is not None},
        }
