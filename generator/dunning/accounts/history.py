"""The contact-history reader (CSV or JSON Lines), grouped by account.

Each event becomes a :class:`~dunning.accounts.model.Contact` with an aware ``at`` and
its word in the vocabulary's spelling (:mod:`dunning.accounts.events`). A line that cannot
be read is a :class:`HistoryReject` (line, account id, code, message — never the values):
the rest of the file is read on, and an account with an unreadable line is *held* (no
contact planned for it, ``history/unreadable``), because caps counted from a history with
holes could let the planner over-contact it. Only a file that cannot be read at all (no
file, no required column) stops the run.

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

import codecs
import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
BATCH_ROWS = 131_072  # lines checked and staged at a time: the parent's memory for the history


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
    _require_columns(path, [clean_key(f) for f in reader.fieldnames or ()])
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


def _require_columns(path: Path, names: list[str]) -> None:
    missing = [c for c in ev.HISTORY_COLUMNS if c not in names and not (c == "event" and "outcome" in names)]
    if missing:
        raise UserError(
            f"{path}: history column(s) missing: {', '.join(missing)}",
            hint="the contact history needs "
            + ", ".join(ev.HISTORY_COLUMNS)
            + " (`outcome` is accepted for `event`); see docs/data.md",
        )


def read_history(path: Path | None, batch_rows: int = BATCH_ROWS) -> History:
    """Events per account id, each account's events in time order (empty without a file);
    unreadable lines as rejects, and the accounts they hold. ``batch_rows``: lines checked
    at a time (see :func:`scan_history`)."""
    if path is None:
        return History()
    scan = scan_history(path, batch_rows)
    return History(events_of(scan.frame), scan.rejects, scan.held)


# ---------------------------------------------------------------- read once, as columns
# A plan run reads the history once, as columns, a batch of lines at a time
# (:func:`stage_history`): each batch is checked vectorised, and only the lines a check
# flags go through the row reader (:func:`read_event`), which says what is wrong with them
# — so the rejects are the row reader's, line for line. A batch's readable lines are
# written to a Parquet part before the next batch is read, so the memory of the scan is
# that of one batch whatever the file's length. The readable lines stay text columns; the
# events of an account become objects only in the worker that plans it
# (:class:`HistoryLookup`). A history that is not plain CSV (JSON Lines, quoted values)
# is read by the row reader, in batches of lines too; the columns of its batches may differ
# (a JSON Lines line names the columns it has), and a column a part lacks reads as empty
# text, as a key a line lacks does.
LINE = "\x00line"  # the line-number column (a cleaned column name never holds a NUL)
_AT_RE = (
    r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]|Z)$"
)
_DATE_VEC_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_AMOUNT_VEC_RE = r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
_COUNT_VEC_RE = r"^[1-9][0-9]{0,4}$"
# a value whose first or last character is not printable ASCII: Python's str.strip() and
# polars' may disagree on it, so its line goes through the row reader
_EDGE_RE = r"^[^!-~]|[^!-~]$"
_PRINTABLE = bytes(range(0x21, 0x7F)) + b"\n"  # a batch of these alone has no such edge
_STAGE_ROWS = 8_192  # rows per Parquet row group of a staged part: a chunk's id range skips most
_CHECK_BYTES = 1 << 24  # bytes read at a time to tell a plain CSV history
_TEXT_BLOCK = 1 << 20  # characters of a JSON Lines history decoded at a time
_COUNT_BYTES = 1 << 20  # bytes of a history read at a time to count its lines
_REPLACEMENT_BYTES = REPLACEMENT.encode()


@dataclass(frozen=True)
class HistoryScan:
    """A history file read and checked once: the readable lines as text columns (cleaned
    column names, stripped values, file order, their line in :data:`LINE`), the rejects, the
    accounts they hold, and whether the history records sends."""

    frame: pl.DataFrame
    rejects: tuple[HistoryReject, ...]
    held: frozenset[str]
    tracks_sent: bool

    @property
    def lines(self) -> int:
        """Event lines read, readable or not."""
        return self.frame.height + len(self.rejects)


@dataclass(frozen=True)
class HistoryChecked:
    """What checking a history found: its unreadable lines, the accounts they hold, and the
    number of event lines read, readable or not."""

    rejects: tuple[HistoryReject, ...]
    held: frozenset[str]
    lines: int


@dataclass(frozen=True)
class StagedHistory:
    """A scanned history handed to the plan workers: its readable lines in Parquet parts
    (one a batch, each sorted by account id, so a chunk's id range skips most row groups),
    held accounts and whether it records sends (small: pickled to each worker)."""

    parts: tuple[Path, ...]
    held: frozenset[str]
    tracks_sent: bool
    # each part's columns (a JSON Lines batch has those its lines name)
    columns: tuple[tuple[str, ...], ...] = ()


class HistoryLookup:
    """The events of the accounts one chunk plans, built as objects only for them."""

    def __init__(self, lines: pl.LazyFrame, held: frozenset[str], tracks_sent: bool) -> None:
        self.lines = lines
        self.held = held
        self.tracks_sent = tracks_sent

    @classmethod
    def of(cls, history: HistoryScan | StagedHistory) -> HistoryLookup:
        """A lookup over a scan in memory, or over a staged file."""
        import polars as pl

        if isinstance(history, HistoryScan):
            return cls(history.frame.lazy(), history.held, history.tracks_sent)
        # a text column a batch left empty is staged as nulls (_emptied): empty text again,
        # the id apart (never emptied: a filter on it must reach the Parquet scan)
        texts = pl.col(pl.String).exclude("account_id").fill_null("")
        if len(set(history.columns)) <= 1:  # one set of columns (a CSV history): one scan
            lines = pl.scan_parquet(list(history.parts)).with_columns(texts)
            return cls(lines, history.held, history.tracks_sent)
        names = _union(history.columns)
        pairs = zip(history.parts, history.columns, strict=True)
        parts = [_widened(pl.scan_parquet(part).with_columns(texts), names, have) for part, have in pairs]
        return cls(pl.concat(parts), history.held, history.tracks_sent)

    def history(self, account_ids: pl.Series) -> History:
        """The history of ``account_ids``: their events (and every held account)."""
        import polars as pl

        if account_ids.is_empty():
            return History(held=self.held)
        ids = account_ids.cast(pl.String)
        account = pl.col("account_id")
        # the range first: it lets Parquet skip the row groups outside the chunk
        lines = self.lines.filter(
            account.is_between(pl.lit(ids.min()), pl.lit(ids.max())) & account.is_in(ids.implode())
        ).collect()
        return History(events_of(lines.sort(LINE)), (), self.held)


def line_columns(names: Sequence[str]) -> tuple[Callable[[str], pl.Expr], pl.Expr, pl.Expr]:
    """Over a scan's lines with the columns ``names``: a column by name (empty text where the
    file has none), the event word in the vocabulary's spelling (``event``, else the older
    ``outcome``; aliases resolved) and the channel (given, else the one the word implies).
    The objects (:func:`events_of`) and the state's columns (:mod:`dunning.state.columns`)
    read the words alike through this."""
    import polars as pl

    def column(name: str) -> pl.Expr:
        return pl.col(name) if name in names else pl.lit("").alias(name)

    word = column("event")
    if "outcome" in names:
        word = pl.when(word != "").then(word).otherwise(pl.col("outcome"))
    word = word.replace(dict(ev.ALIASES))
    given = column("channel")
    channel = pl.when(given != "").then(given).otherwise(word.replace_strict(dict(ev.IMPLIED_CHANNEL), default=""))
    return column, word, channel


class TimeOrdered(tuple[Contact, ...]):
    """An account's events as :func:`events_of` gives them: in time order already (moment,
    channel, word, line), so :func:`dunning.state.account.account_state` need not sort them."""

    __slots__ = ()


# a moment polars reads exactly (as dunning.state.columns does): such lines are put in
# time order on columns
_AT_EXACT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2}|Z)$"


def moment(at: pl.Expr) -> pl.Expr:
    """The instant (UTC) of a moment of the exact form ``YYYY-MM-DDTHH:MM:SS±HH:MM`` (or
    ``Z``), null on any other text: what ``str.to_datetime("%Y-%m-%dT%H:%M:%S%z")`` reads,
    computed as the local time read without its offset less the offset in minutes — polars'
    ``%z`` parse costs three times the naive one (a chunk's 200,000 lines: 37 against 12 ms;
    the whole moment 40 against 54 ms). Its fixed cost is the higher: on 1,000 lines the
    ``%z`` parse is the cheaper (:func:`events_of` keeps it). Equal to it on
    every offset ``±00:00``–``±99:99`` and ``Z`` (an offset past ``23:59`` is null there, so
    here; ``tests/accounts/test_moment.py``)."""
    return moment_of(at, *moment_parts(at))


def moment_parts(at: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """What :func:`moment_of` reads of a moment's text besides it: its offset's hours and
    minutes (null where they are not digits), the character after the seconds (the sign,
    or ``Z``) and whether the text has the exact form. A query that reads them elsewhere
    too computes them once as columns (:mod:`dunning.state.columns`)."""
    import polars as pl

    return (
        at.str.slice(20, 2).cast(pl.Int64, strict=False),
        at.str.slice(23, 2).cast(pl.Int64, strict=False),
        at.str.slice(19, 1),
        at.str.contains(_AT_EXACT),
    )


def moment_of(at: pl.Expr, hours: pl.Expr, minutes: pl.Expr, sign: pl.Expr, exact: pl.Expr) -> pl.Expr:
    """:func:`moment` from the text and its :func:`moment_parts`."""
    import polars as pl

    offset = (hours * 60 + minutes).fill_null(0) * pl.when(sign == "-").then(-1).otherwise(1)
    local = at.str.slice(0, 19).str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="us", strict=False)
    # an exact text ends in Z after its seconds, or in ±HH:MM (its sign is then not Z)
    readable = exact & ((sign == "Z") | ((hours <= 23) & (minutes <= 59)))
    return pl.when(readable).then((local - pl.duration(minutes=offset)).dt.replace_time_zone("UTC"))


def events_of(lines: pl.DataFrame) -> dict[str, tuple[Contact, ...]]:
    """Readable lines (file order; a scan's) as events per account, each account's in time
    order (:class:`TimeOrdered`): the objects :func:`read_event` makes of them, built from
    the columns without its checks (the scan made them) — this is where a run with history
    spends its reading."""
    if lines.is_empty():  # a scan with no readable line may lack even the `at` column
        return {}
    import polars as pl

    column, word, channel = line_columns(lines.columns)
    optional = ("debt_id", "phone", "email", "amount", "currency", "date", "instalments", "interval_days")
    rows = lines.select(
        LINE,
        "account_id",
        "at",
        channel.alias("\x00channel"),
        word.alias("\x00event"),
        *(column(c) for c in (*optional, "action_id", "note", "source", "reason")),
    )
    at = pl.col("at")
    # polars' %z parse, not moment(): on the few hundred to thousand lines of the accounts
    # learned at a time its fixed cost is the lower (0.43 against 0.60 ms on 1,000 lines)
    exact_moment = (
        pl.when(at.str.contains(_AT_EXACT))
        .then(at.str.replace(r"Z$", "+00:00").str.to_datetime("%Y-%m-%dT%H:%M:%S%z", time_zone="UTC", strict=False))
        .alias("\x00moment")
    )
    timed = rows.with_columns(exact_moment)
    if not timed["\x00moment"].has_nulls():
        # the order _order gives, on columns: by account, moment (UTC), channel, word, line
        return _grouped(timed.sort(["account_id", "\x00moment", "\x00channel", "\x00event", LINE]).drop("\x00moment"))
    # a moment not of the exact form polars reads (_AT_EXACT) on some line: each
    # account's events, built in line order, are put in time order in Python
    in_line_order = _grouped(rows.sort("account_id", maintain_order=True))
    return {k: TimeOrdered(sorted(v, key=_order)) for k, v in in_line_order.items()}


def _grouped(rows: pl.DataFrame) -> dict[str, tuple[Contact, ...]]:
    """:func:`events_of`'s rows, sorted by account (and time, for the fast path), as events
    per account in the rows' order."""
    out: dict[str, tuple[Contact, ...]] = {}
    times: dict[str, datetime] = {}
    mine: list[Contact] = []
    current = None
    for (
        line,
        account_id,
        at,
        chan,
        outcome,
        debt,
        phone,
        email,
        amount,
        cur,
        day,
        count,
        every,
        *rest,
    ) in rows.iter_rows():
        if account_id != current:
            if current is not None:
                out[current] = TimeOrdered(mine)
            current, mine = account_id, []
        when = times.get(at)
        if when is None:
            when = times[at] = datetime.fromisoformat(at)
        # positional, in Contact's field order (a quarter cheaper than by keyword; the
        # objects equal events_of's other path's, tests/accounts/test_events_of.py)
        mine.append(
            Contact(
                account_id,
                when,
                chan,
                outcome,
                debt,
                phone,
                email,
                Decimal(amount) if amount else None,
                cur,
                date.fromisoformat(day) if day else None,
                int(count) if count else 0,
                int(every) if every else 0,
                rest[0],
                rest[1],
                rest[2],
                rest[3].lower(),
                line,
            )
        )
    if current is not None:
        out[current] = TimeOrdered(mine)
    return out


def scan_history(path: Path, batch_rows: int = BATCH_ROWS) -> HistoryScan:
    """Read and check the history file once (see above), into memory; a file that cannot be
    read at all (no file, no required column) is a :class:`UserError`. A plan run stages
    the lines instead (:func:`stage_history`), so that its memory does not grow with them."""
    import polars as pl

    frames: list[pl.DataFrame] = []
    rejects: list[HistoryReject] = []
    for good, bad in _batches(path, batch_rows):
        frames.append(good)
        rejects.extend(bad)
    names = _union(tuple(frame.columns) for frame in frames)
    return _scan(pl.concat([_widened(frame.lazy(), names) for frame in frames]).collect(), rejects)


def stage_history(path: Path, directory: Path, batch_rows: int = BATCH_ROWS) -> tuple[StagedHistory, HistoryChecked]:
    """Read and check the history file one batch of ``batch_rows`` lines at a time, each
    batch's readable lines appended to ``directory`` as a Parquet part (sorted by account
    id) as soon as it is checked: the process holds one batch, never the file. The staged
    history for the workers, and what the check found (rejects, held accounts, lines)."""
    directory.mkdir()
    return joined_pieces([_stage_batches(_batches(path, batch_rows), directory, "", first=True)])


def stage_history_task(task: tuple[Path, Path, int]) -> tuple[StagedHistory, HistoryChecked]:
    """:func:`stage_history` of (path, directory, batch_rows), for a worker process."""
    return stage_history(*task)


# ------------------------------------------------------------- staged by several workers
# A plain CSV history's records are its lines, so it can be cut at line ends into pieces
# whose first line numbers are known from the newlines before them: each piece is read,
# checked and staged by a worker of its own (:func:`stage_piece`), the rejects keeping the
# file's line numbers. Whether a piece is plain is known only once it is read (a quote may
# come at any line), so each checks its own batches as the whole-file scan checks its
# blocks (:func:`_plain_block`, the same test); a piece that is not plain gives up, and the
# file is read by the row reader as a whole, as it is when read by one process.
@dataclass(frozen=True)
class HistoryPiece:
    """Whole lines of a plain CSV history for one staging worker: from byte ``start``, the
    number of its first line, how many lines (None: to the end of the file), and the file's
    header line (without a BOM) and cleaned column names."""

    path: Path
    index: int
    start: int
    first_line: int
    lines: int | None
    header: bytes
    names: tuple[str, ...]


@dataclass(frozen=True)
class StagedPiece:
    """A piece (or a whole file) staged: its Parquet parts and their columns, its rejects,
    its event lines (readable or not), and whether it records sends."""

    parts: tuple[Path, ...]
    columns: tuple[tuple[str, ...], ...]
    rejects: tuple[HistoryReject, ...]
    lines: int
    tracks_sent: bool


class _NotPlain(Exception):
    """A piece of the history is not plain CSV: the row reader must read the file whole."""


def cut_history(path: Path, pieces: int) -> Iterator[HistoryPiece] | None:
    """The history cut at line ends into at most ``pieces`` pieces of about equal bytes; None
    when it is not a CSV whose header line is plain (JSON Lines, an empty file, quotes…):
    one process reads it (:func:`stage_history`). A missing required column is a
    :class:`UserError` here, as it is there.

    The pieces come as their line numbers are known: a piece's first is the count of the
    newlines before it (one pass over the bytes, no parsing), so a worker can start on a
    piece while the parent counts the next one's (a generator for :meth:`Workers.map`)."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return None
    if not path.is_file():
        raise UserError(f"{path}: no such history file", hint="check the --history path")
    try:
        with path.open("rb") as handle:
            header = handle.readline().removeprefix(codecs.BOM_UTF8)
            names = _plain_names(path, header, read=False) if header and _plain_block(header) else None
            if names is None:
                return None
            bounds = [handle.tell()]
            size = os.fstat(handle.fileno()).st_size
            for k in range(1, pieces):
                # the first line that starts at or after this share of the bytes
                handle.seek(max(bounds[0] + (size - bounds[0]) * k // pieces - 1, bounds[-1]))
                handle.readline()
                if bounds[-1] < handle.tell() < size:
                    bounds.append(handle.tell())
    except OSError as exc:
        raise UserError(f"{path}: cannot read the history file ({exc.strerror})") from None
    return _numbered(path, header, tuple(names), bounds)


def _numbered(path: Path, header: bytes, names: tuple[str, ...], bounds: list[int]) -> Iterator[HistoryPiece]:
    """The pieces starting at ``bounds``, each once its lines are counted (the last's are not:
    it reads to the end of the file)."""
    first_line = 2  # the line after the header
    try:
        with path.open("rb") as handle:
            handle.seek(bounds[0])
            for index, start in enumerate(bounds):
                lines = None
                if index + 1 < len(bounds):
                    lines = _newlines(handle, bounds[index + 1] - start)
                yield HistoryPiece(path, index, start, first_line, lines, header, names)
                first_line += lines or 0
    except OSError as exc:
        raise UserError(f"{path}: cannot read the history file ({exc.strerror})") from None


def _newlines(handle: io.BufferedReader, size: int) -> int:
    """The newlines in the next ``size`` bytes of ``handle``, read into one small buffer: a
    block allocated anew each time stays with the parent's heap (glibc raises its mmap
    threshold to a freed block's size), 30 MiB for the rest of the run with 16 MiB blocks."""
    buffer = bytearray(_COUNT_BYTES)
    found = 0
    while size > 0 and (got := handle.readinto(memoryview(buffer)[: min(size, _COUNT_BYTES)])):
        found += buffer.count(b"\n", 0, got)
        size -= got
    return found


def stage_piece(piece: HistoryPiece, directory: Path, batch_rows: int = BATCH_ROWS) -> StagedPiece | None:
    """Read, check and stage one piece of the history (into ``directory``, which exists) a
    batch of ``batch_rows`` lines at a time, as :func:`stage_history` does the whole file;
    None when a batch is not plain (then the file must be read whole by the row reader)."""
    if _read_plain(piece.header, b"").width != len(piece.names):
        return None  # pragma: no cover - polars reads a header otherwise than the csv module
    try:
        with piece.path.open("rb") as handle:
            handle.seek(piece.start)
            batches = _plain_batches(
                handle, piece.header, list(piece.names), batch_rows, piece.first_line, piece.lines, checked=True
            )
            return _stage_batches(batches, directory, f"{piece.index:04d}-", first=piece.index == 0)
    except _NotPlain:
        return None
    except OSError as exc:
        raise UserError(f"{piece.path}: cannot read the history file ({exc.strerror})") from None


def stage_piece_task(task: tuple[HistoryPiece, Path, int]) -> StagedPiece | None:
    """:func:`stage_piece` of (piece, directory, batch_rows), for a worker process."""
    return stage_piece(*task)


def joined_pieces(pieces: Sequence[StagedPiece]) -> tuple[StagedHistory, HistoryChecked]:
    """The staged history of the file whose pieces (in file order) these are, and what their
    checks found."""
    parts = [part for piece in pieces for part in piece.parts]
    columns = [names for piece in pieces for names in piece.columns]
    rejects = tuple(reject for piece in pieces for reject in piece.rejects)
    held = frozenset(r.account_id for r in rejects if r.account_id)
    checked = HistoryChecked(rejects, held, sum(piece.lines for piece in pieces))
    assert parts, "the first piece stages its first batch, even when empty"
    sends = any(piece.tracks_sent for piece in pieces)
    return StagedHistory(tuple(parts), held, sends, tuple(columns)), checked


def _stage_batches(
    batches: Iterable[tuple[pl.DataFrame, list[HistoryReject]]], directory: Path, prefix: str, *, first: bool
) -> StagedPiece:
    """Each batch's readable lines written to ``directory`` as a Parquet part named
    ``prefix`` and its number, sorted by account id, as soon as it is checked. ``first``:
    the file's first piece, whose first batch is staged even when empty (the workers read the
    columns of the history from it)."""
    parts: list[Path] = []
    columns: list[tuple[str, ...]] = []
    rejects: list[HistoryReject] = []
    lines = 0
    sends = False
    for good, bad in batches:
        rejects.extend(bad)
        lines += good.height + len(bad)
        sends = sends or _sends(good)
        if good.height or (first and not parts):
            part = directory / f"{prefix}{len(parts):06d}.parquet"
            # a batch is in line order: a stable sort by id keeps it within an id. Polars'
            # multithreaded sort path costs twice the single-threaded one even on one thread
            # (a bench batch of 131,072 lines: 42 against 18 ms by id and line), and the
            # workers that stage run with one polars thread each
            # not compressed: the part lives for the run only, and each line is written and
            # read once (zstd cost a fifth of the staging's writing and the workers' reading)
            _emptied(good.sort("account_id", maintain_order=True, multithreaded=False)).write_parquet(
                part, row_group_size=_STAGE_ROWS, compression="uncompressed"
            )
            parts.append(part)
            columns.append(tuple(good.columns))
        del good
    return StagedPiece(tuple(parts), tuple(columns), tuple(rejects), lines, sends)


def _emptied(lines: pl.DataFrame) -> pl.DataFrame:
    """``lines`` with each text column that is empty on every line (an optional column the
    batch does not use: a debt, a phone, a note…) as nulls, which :meth:`HistoryLookup.of`
    reads back as empty text — staged text is never null otherwise. Polars' Parquet writer
    takes ≈ 15 ms for 131,072 empty strings and ≈ 2.6 ms for as many nulls (a third of the
    bench's batch writing, its `date` column)."""
    import polars as pl

    names = [n for n, kind in lines.schema.items() if kind == pl.String and n != "account_id"]
    if not names or lines.is_empty():
        return lines
    used = lines.select((pl.col(n) != "").any() for n in names).row(0)
    empty = [n for n, use in zip(names, used, strict=True) if not use]
    return lines.with_columns(pl.lit(None, pl.String).alias(n) for n in empty) if empty else lines


def _batches(path: Path, batch_rows: int) -> Iterator[tuple[pl.DataFrame, list[HistoryReject]]]:
    """(readable lines, rejects) of each batch of ``batch_rows`` event lines of the file, in
    file order: checked on columns for a plain CSV history, by the row reader otherwise
    (JSON Lines — which a database, a Parquet dataset or a JSON stdin arrives as — and CSV
    with quotes). The first batch is yielded even when empty."""
    if not path.is_file():
        raise UserError(f"{path}: no such history file", hint="check the --history path")
    try:
        with path.open("rb") as handle:
            names = _plain_header(path, handle)
            if names is None:
                handle.seek(0)
                yield from _row_batches(path, handle, batch_rows)
            else:
                handle.seek(0)
                header = handle.readline().removeprefix(codecs.BOM_UTF8)
                yield from _plain_batches(handle, header, names, batch_rows)
    except OSError as exc:
        raise UserError(f"{path}: cannot read the history file ({exc.strerror})") from None


def _plain_header(path: Path, handle: BinaryIO) -> list[str] | None:
    """The cleaned column names of a CSV history that is plain — UTF-8, no quotes, no lone
    CR, no blank line, distinct column names — so that each record is one line and polars
    reads it as the csv module does; None otherwise (the row reader reads it). Checked in
    blocks that end at a line's end (no pattern spans two)."""

    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return None
    first = True
    while True:
        block = handle.read(_CHECK_BYTES)
        if not block:
            if first:  # an empty file
                return None
            break
        block += handle.readline()
        if first:
            block = block.removeprefix(codecs.BOM_UTF8)
            if not block:
                return None
            first = False
        if not _plain_block(block):
            return None
    handle.seek(0)
    return _plain_names(path, handle.readline().removeprefix(codecs.BOM_UTF8))


def _plain_block(block: bytes) -> bool:
    """True when ``block`` — whole lines, starting after a line's end — is plain: UTF-8, no
    quote, no lone CR, no blank line (see :func:`_plain_header`). The tests a plain block
    passes in one memchr go first: the others only when they can fail (a CR, non-ASCII)."""
    # a block starts after a line's end: a newline there is a blank line
    if b'"' in block or b"\n\n" in block or block.startswith((b"\n", b"\r")):
        return False
    if b"\r" in block and (block.count(b"\r") != block.count(b"\r\n") or b"\n\r\n" in block):
        return False
    if block.isascii():
        return True
    if _REPLACEMENT_BYTES in block:
        return False
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _plain_names(path: Path, header: bytes, *, read: bool = True) -> list[str] | None:
    """The cleaned column names of a plain history's header line (BOM removed); None when
    they are not distinct, or (``read``) polars would not read them as the csv module does
    (the plan run's parent does not load polars: each staging worker reads them)."""
    names = [clean_key(n) for n in header.removesuffix(b"\n").removesuffix(b"\r").decode().split(",")]
    if len(set(names)) != len(names) or LINE in names:
        return None
    _require_columns(path, names)
    if read and _read_plain(header, b"").width != len(names):
        return None
    return names


def _read_plain(header: bytes, lines: bytes) -> pl.DataFrame:
    """Plain CSV lines as text columns, under the file's header line (its names and width)."""
    import polars as pl

    return pl.read_csv(
        header + lines,
        has_header=True,
        infer_schema=False,
        quote_char=None,
        truncate_ragged_lines=True,
        raise_if_empty=False,
    )


def _plain_batches(
    handle: BinaryIO,
    header: bytes,
    names: list[str],
    batch_rows: int,
    number: int = 2,
    lines: int | None = None,
    *,
    checked: bool = False,
) -> Iterator[tuple[pl.DataFrame, list[HistoryReject]]]:
    """Each batch of a plain CSV history's lines checked, from where ``handle`` stands (after
    the header line): a plain file's records are its lines, so a batch's first line number
    is known (``number``: the first's). ``lines``: at most so many (None: to the end).
    The first batch is yielded even when empty (its columns are the file's). ``checked``:
    each batch's bytes are tested plain first (a piece of a file not scanned whole), and
    :class:`_NotPlain` raised for one that is not."""
    import polars as pl

    first = True
    guess = 64  # bytes a line, to size a batch's first read (then the last batch's, rounded up)
    while lines is None or lines > 0 or first:
        want = batch_rows if lines is None else min(batch_rows, lines)
        batch = _read_lines(handle, want, guess)
        guess = len(batch) // max(want, 1) + 1
        if not batch and not first:
            return
        if checked and not _plain_block(batch):
            raise _NotPlain
        first = False
        frame = _read_plain(header, batch)
        # only printable ASCII between the newlines: no value has an edge to strip or to send
        # to the row reader (most histories; 2M lines staged: 3.3 → 2.9 s of CPU without the two)
        printable = not batch.translate(None, _PRINTABLE)
        del batch
        frame.columns = names
        height = frame.height
        lines_now = frame.with_columns(pl.int_range(number, number + height, dtype=pl.Int64).alias(LINE))
        found = _check(lines_now, names, printable=printable)
        del frame
        yield found
        del found
        number += height
        if lines is not None:
            lines -= height
        if height < want:
            return


def _read_lines(handle: BinaryIO, want: int, guess: int) -> bytes:
    """The next ``want`` lines of ``handle`` (fewer at its end), newlines kept, as one block,
    ``handle`` left after the last: read in blocks of about ``guess`` bytes a line and cut
    after the want-th newline. Iterating the file a line at a time made a bytes object per
    line before joining them (2M lines: ≈ 0.35 s of the staging's CPU). A last line without
    a newline is read with the lines before it, as iterating gives it."""
    blocks: list[bytes] = []
    found = 0
    while found < want:
        block = handle.read(max((want - found) * guess, 1 << 16))
        if not block:
            break
        count = block.count(b"\n")
        if found + count < want:
            blocks.append(block)
            found += count
            continue
        # the end of the (want - found)-th newline: count - (want - found) newlines come after it
        end = len(block)
        for _ in range(count - (want - found) + 1):
            end = block.rindex(b"\n", 0, end)
        handle.seek(end + 1 - len(block), io.SEEK_CUR)
        blocks.append(block[: end + 1])
        break
    return b"".join(blocks)


def _check(
    frame: pl.DataFrame, names: list[str], *, printable: bool = False
) -> tuple[pl.DataFrame, list[HistoryReject]]:
    """A batch of lines as text columns (and :data:`LINE`) checked vectorised: its readable
    lines (stripped values, file order) and its rejects. A line a check flags goes through
    the row reader, which says what is wrong with it (or reads it after all).

    One lazy pass: the values are stripped once, into the columns every check reads (a
    check on an expression of them strips again, and did so a dozen times per column), and
    the flagged lines keep these stripped values for the row reader, whose own strip of all
    whitespace gives what it gives on the raw value. ``printable``: the batch's bytes are
    printable ASCII and newlines alone, so no value has a space, a tab or another character
    at an edge: neither the strip nor the edge test can change or flag one, and both are
    left out."""
    import polars as pl

    value = {n: pl.col(n) for n in names}
    blank = pl.lit("")
    word_of = (
        pl.when(value["event"] != "").then(value["event"]).otherwise(value.get("outcome", blank))
        if "event" in value
        else value["outcome"]
    )
    canon = word_of.replace(dict(ev.ALIASES))
    given = value.get("channel", blank)
    channel = pl.when(given != "").then(given).otherwise(canon.replace_strict(dict(ev.IMPLIED_CHANNEL), default=""))

    def absent_or(column: str, check: pl.Expr) -> pl.Expr:
        return (value[column] == "") | check if column in value else pl.lit(True)

    def real_date(expr: pl.Expr) -> pl.Expr:
        # a value of the form YYYY-MM-DD that is a day of the calendar (not year 0)
        return (expr.str.slice(0, 4) != "0000") & expr.str.slice(0, 10).str.to_date(
            "%Y-%m-%d", strict=False
        ).is_not_null()

    def valid_date(expr: pl.Expr) -> pl.Expr:
        return expr.str.contains(_DATE_VEC_RE) & real_date(expr)

    checks = [] if printable else [~pl.any_horizontal(value[n].str.contains(_EDGE_RE) for n in names)]
    checks += [
        value["account_id"] != "",
        # _AT_RE holds the date's form: only whether it is a day of the calendar is left
        value["at"].str.contains(_AT_RE) & real_date(value["at"]),
        word_of.is_in(sorted(ev.EVENTS) + sorted(ev.ALIASES)),
        channel.is_in(list(ev.HISTORY_CHANNELS)) | ((channel == "") & ~canon.is_in(sorted(ev.NEEDS_CHANNEL))),
        absent_or("amount", value.get("amount", blank).str.contains(_AMOUNT_VEC_RE)),
        absent_or("date", valid_date(value.get("date", blank))),
        absent_or("instalments", value.get("instalments", blank).str.contains(_COUNT_VEC_RE)),
        absent_or("interval_days", value.get("interval_days", blank).str.contains(_COUNT_VEC_RE)),
    ]
    for word, needed in ev.NEEDS.items():
        present = [value[c] != "" for c in needed if c in value]
        has_all = pl.all_horizontal(present) if len(present) == len(needed) else pl.lit(False)
        checks.append((canon != word) | has_all)
    flagged = (
        frame.lazy()
        .with_columns(pl.col(names).fill_null("") if printable else pl.col(names).fill_null("").str.strip_chars(" \t"))
        .with_columns(pl.all_horizontal(checks).alias("\x00good"))
        .collect()
    )
    readable_now = flagged["\x00good"]
    good = flagged.filter(readable_now).select(LINE, *names)
    rest = flagged.filter(~readable_now).select(LINE, *names)
    del flagged, readable_now
    rejects: list[HistoryReject] = []
    readable: list[dict[str, object]] = []
    for number, *values in rest.iter_rows():
        row = {n: text(v).strip() for n, v in zip(names, values, strict=True)}
        found = read_event(row, number)
        if isinstance(found, HistoryReject):
            rejects.append(found)
        else:
            readable.append({LINE: number, **row})
    if readable:
        good = pl.concat([good, pl.DataFrame(readable, schema=good.schema)]).sort(LINE)
    return good, rejects


def _union(columns: Iterable[tuple[str, ...]]) -> list[str]:
    """Every batch's columns, in the order they first appear (the whole file's order)."""
    return list(dict.fromkeys(name for names in columns for name in names))


def _widened(lines: pl.LazyFrame, names: list[str], have: Sequence[str] | None = None) -> pl.LazyFrame:
    """A batch's lines with the columns ``names``: one it lacks is empty text, as the value of
    a key a JSON Lines line lacks is (``have``: its columns, when known without reading)."""
    import polars as pl

    present = set(have if have is not None else lines.collect_schema().names())
    return lines.with_columns(pl.lit("", pl.String).alias(n) for n in names if n not in present).select(names)


def _scan(good: pl.DataFrame, rejects: list[HistoryReject]) -> HistoryScan:

    held = frozenset(r.account_id for r in rejects if r.account_id)
    return HistoryScan(good, tuple(rejects), held, _sends(good))


def _sends(good: pl.DataFrame) -> bool:
    """True when some readable line is a `sent` event."""
    import polars as pl

    word = pl.col("event") if "event" in good.columns else pl.lit("")
    if "outcome" in good.columns:
        word = pl.when(word != "").then(word).otherwise(pl.col("outcome"))
    return good.height > 0 and bool(good.select(word.replace(dict(ev.ALIASES)).eq("sent").any()).item())


def _row_batches(path: Path, handle: BinaryIO, batch_rows: int) -> Iterator[tuple[pl.DataFrame, list[HistoryReject]]]:
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


def _order(c: Contact) -> tuple[datetime, str, str, int]:
    return (c.at, c.channel, c.outcome, c.line)
