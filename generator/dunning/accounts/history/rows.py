"""The history's row reader: one event line checked and read into an object, or the reject
that says why it cannot be.

Each event becomes a :class:`~dunning.accounts.model.Contact` with an aware ``at`` and
its word in the vocabulary's spelling (:mod:`dunning.accounts.events`). A line that cannot
be read is a :class:`HistoryReject` (line, account id, code, message — never the values):
the rest of the file is read on, and an account with an unreadable line is *held* (no
contact planned for it, ``history/unreadable``), because caps counted from a history with
holes could let the planner over-contact it. Only a file that cannot be read at all (no
file, no required column) stops the run.

This reader is the history contract's one definition of a readable line: the columnar check
(:mod:`.plain`) sends every line it flags here, so the rejects are this reader's, line for
line; a history that is not plain CSV (JSON Lines, quoted values) is read here whole
(:func:`row_batches`), as is one request's event at the gate (:func:`parse_contact`, which
needs no polars).

Reject codes (stable; ``history-rejects.csv`` carries them):

====  ==============================================================================
H001  a required value is empty (account_id, at, event)
H002  ``at`` is not an ISO 8601 time with a UTC offset
H003  the event is not a word of the vocabulary (nor an alias of one)
H004  the channel is missing where the event needs one, or is not a history channel
H005  an amount, date or count is malformed (amount: plain decimal ≥ 0; date: ISO date;
      instalments and interval_days: whole numbers ≥ 1)
H006  a value the event needs is missing (a promise's amount and date, a payment's
      amount, an arrangement's amount, date, instalments and interval_days, a sent
      event's action_id)
H007  the line is malformed (not UTF-8, or a JSON Lines line that is not an object)
====  ==============================================================================
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

import orjson

from dunning.accounts import events as ev
from dunning.accounts.model import Contact
from dunning.accounts.record import REPLACEMENT, clean_key, text
from dunning.errors import UserError

if TYPE_CHECKING:  # polars is imported where a file is read: the gate answers without it
    import polars as pl

HISTORY_REJECT_COLUMNS = ("line", "account_id", "code", "message")
_AMOUNT_RE = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COUNT_RE = re.compile(r"^[1-9]\d{0,4}$")
_EMPTY: tuple[Contact, ...] = ()

LINE = "\x00line"  # the line-number column (a cleaned column name never holds a NUL)
_TEXT_BLOCK = 1 << 20  # characters of a JSON Lines history decoded at a time


class HistoryReject(NamedTuple):
    """One history line that could not be read: where, whose (when readable), why."""

    line: int
    account_id: str
    code: str
    message: str


@dataclass(frozen=True)
class History:
    """A history file read: events per account (time order), the unreadable lines, and the
    accounts they hold."""

    events: Mapping[str, tuple[Contact, ...]] = field(default_factory=dict)
    rejects: tuple[HistoryReject, ...] = ()
    held: frozenset[str] = frozenset()

    def get(self, account_id: str, default: tuple[Contact, ...] = _EMPTY) -> tuple[Contact, ...]:
        """The account's events in time order (``default`` when it has none)."""
        return self.events.get(account_id, default)

    def __bool__(self) -> bool:
        return bool(self.events) or bool(self.held)

    def accounts(self) -> frozenset[str]:
        """Every account the history speaks of (events or held)."""
        return frozenset(self.events) | self.held

    @property
    def tracks_sent(self) -> bool:
        """True when the history records sends (a `sent` event for some account): then a step
        without one was not sent, and the cadence catches it up (plan/backlog.py)."""
        return any(c.outcome == "sent" for events in self.events.values() for c in events)


def event_word(values: Mapping[str, str]) -> str:
    """The row's event word: the ``event`` column, else its alias ``outcome``."""
    return values.get("event") or values.get("outcome") or ""


def read_event(values: Mapping[str, str], line: int = 0) -> Contact | HistoryReject:
    """One event from its cleaned text values, or the reject that says why it cannot be."""
    account_id = values.get("account_id", "")
    if REPLACEMENT in account_id:  # an id with bad bytes names nobody: nothing to hold
        account_id = ""
    word = event_word(values)

    def reject(code: str, message: str) -> HistoryReject:
        return HistoryReject(line, account_id, code, message)

    if (not account_id and values.get("account_id")) or any(REPLACEMENT in v for v in values.values()):
        return reject("H007", "the line is not valid UTF-8")
    for column, value in (("account_id", account_id), ("at", values.get("at", "")), ("event", word)):
        if not value:
            return reject("H001", f"{column} is empty; every event needs account_id, at and event")
    try:
        at: datetime | None = datetime.fromisoformat(values["at"])
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None:
        return reject("H002", "at is not an ISO 8601 time with a UTC offset (e.g. 2026-11-20T10:15:00-05:00)")
    if not ev.known(word):
        return reject("H003", "the event is not a word of the history vocabulary (docs/data.md)")
    word = ev.canonical(word)
    channel = values.get("channel", "") or ev.IMPLIED_CHANNEL.get(word, "")
    if channel and channel not in ev.HISTORY_CHANNELS:
        return reject("H004", "the channel is not one of " + ", ".join(ev.HISTORY_CHANNELS))
    if not channel and word in ev.NEEDS_CHANNEL:
        return reject("H004", f"a {word} event needs its channel")
    for column in ev.NEEDS.get(word, ()):
        if not values.get(column):
            return reject("H006", f"{'an' if word[0] in 'aeiou' else 'a'} {word} event needs {column}")
    amount = values.get("amount", "")
    if amount and not _AMOUNT_RE.match(amount):
        return reject("H005", "amount is not a plain decimal number ≥ 0")
    on: date | None = None
    raw_date = values.get("date", "")
    if raw_date:
        try:
            on = date.fromisoformat(raw_date) if _DATE_RE.match(raw_date) else None
        except ValueError:
            on = None
        if on is None:
            return reject("H005", "date is not an ISO date YYYY-MM-DD")
    counts = []
    for column in ("instalments", "interval_days"):
        raw = values.get(column, "")
        if raw and not _COUNT_RE.match(raw):
            return reject("H005", f"{column} is not a whole number ≥ 1")
        counts.append(int(raw) if raw else 0)
    try:
        money = Decimal(amount) if amount else None
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return reject("H005", "amount is not a plain decimal number ≥ 0")
    return Contact(
        account_id=account_id,
        at=at,
        channel=channel,
        outcome=word,
        debt_id=values.get("debt_id", ""),
        phone=values.get("phone", ""),
        email=values.get("email", ""),
        amount=money,
        currency=values.get("currency", ""),
        on=on,
        instalments=counts[0],
        interval_days=counts[1],
        action_id=values.get("action_id", ""),
        note=values.get("note", ""),
        source=values.get("source", ""),
        reason=values.get("reason", "").lower(),
        line=line,
    )


def cleaned(row: Mapping[str, object]) -> dict[str, str]:
    """A row's values as stripped text under cleaned column names."""
    return {clean_key(k): text(v).strip() for k, v in row.items()}


def parse_contact(row: Mapping[str, object], where: str) -> Contact:
    """One history event; ``where`` (file:line, or a request's place) goes into the error."""
    found = read_event(cleaned(row))
    if isinstance(found, HistoryReject):
        raise UserError(f"{where}: {found.message} ({found.code})", hint="see the history contract in docs/data.md")
    return found


def _rows(path: Path, handle: BinaryIO) -> Iterator[tuple[int, Mapping[str, object] | None]]:
    """(line, row) for every event line of the file open on ``handle``, read as it goes (a
    block of text at a time, never the whole file); row None: the line is not an object
    (H007)."""
    # bad bytes become U+FFFD: their lines are rejected (H007), the others read on; an
    # incremental decoder reads a file as decoding it whole does, a BOM at its start dropped
    content = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, line in enumerate(_split_lines(content), start=1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                obj = None
            yield number, obj if isinstance(obj, dict) else None
        return
    reader = csv.DictReader(content)
    require_columns(path, [clean_key(f) for f in reader.fieldnames or ()])
    for row in reader:
        yield reader.line_num, {k: v for k, v in row.items() if k is not None}


def _split_lines(content: io.TextIOBase) -> Iterator[str]:
    """The lines of a text as :meth:`str.splitlines` cuts the whole of it (at every line
    boundary it knows, not only newlines: the line numbers of the rejects are its), read a
    block at a time. A block's last piece is kept for the next when it has no line end yet,
    or ends in CR (an LF may follow: one boundary)."""
    carry = ""
    while block := content.read(_TEXT_BLOCK):
        pieces = (carry + block).splitlines(keepends=True)
        last = pieces[-1]
        carry = last if last.endswith("\r") or last.splitlines()[0] == last else ""
        for piece in pieces[:-1] if carry else pieces:
            yield piece.splitlines()[0]
    if carry:
        yield carry.splitlines()[0]


def require_columns(path: Path, names: list[str]) -> None:
    missing = [c for c in ev.HISTORY_COLUMNS if c not in names and not (c == "event" and "outcome" in names)]
    if missing:
        raise UserError(
            f"{path}: history column(s) missing: {', '.join(missing)}",
            hint="the contact history needs "
            + ", ".join(ev.HISTORY_COLUMNS)
            + " (`outcome` is accepted for `event`); see docs/data.md",
        )


def row_batches(path: Path, handle: BinaryIO, batch_rows: int) -> Iterator[tuple[pl.DataFrame, list[HistoryReject]]]:
    """The row reader's batches, for a history that is not plain CSV (JSON Lines, quotes…):
    each of ``batch_rows`` event lines, its readable ones as text columns (those its lines
    name: a JSON Lines batch may lack a column another has) and its rejects."""
    rejects: list[HistoryReject] = []
    readable: list[dict[str, str]] = []
    numbers: list[int] = []
    first = True
    for number, row in _rows(path, handle):
        if row is None:
            rejects.append(HistoryReject(number, "", "H007", "the line is not a JSON object"))
        else:
            values = cleaned(row)
            found = read_event(values, number)
            if isinstance(found, HistoryReject):
                rejects.append(found)
            else:
                readable.append(values)
                numbers.append(number)
        if len(readable) + len(rejects) == batch_rows:
            yield _frame_of(readable, numbers), rejects
            rejects, readable, numbers, first = [], [], [], False
    if readable or rejects or first:
        yield _frame_of(readable, numbers), rejects


def _frame_of(rows: Iterable[dict[str, str]], numbers: list[int]) -> pl.DataFrame:
    import polars as pl

    rows = list(rows)
    names = list(dict.fromkeys(k for row in rows for k in row if k != LINE))
    columns: dict[str, list[object]] = {LINE: list(numbers)}
    for name in names:
        columns[name] = [row.get(name, "") for row in rows]
    schema = {LINE: pl.Int64, **dict.fromkeys(names, pl.String)}
    if "account_id" not in schema:
        schema["account_id"] = pl.String
        columns["account_id"] = []
    return pl.DataFrame(columns, schema=schema)
