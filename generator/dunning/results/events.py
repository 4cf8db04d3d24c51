"""The contact history as one lazy, columnar frame of readable events (for `dunning report`).

The report reads millions of events, so nothing here makes a Python object per event: the
file is scanned by polars, the words normalised, and each event's local date taken from its
own ``at`` (the calendar date in the offset it was recorded with — the customer's or the
agent's day, as the source system wrote it). Unreadable events are counted, not guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from dunning.errors import UserError
from dunning.results.definitions import ALIASES, VOCABULARY

# ISO 8601 with a UTC offset (or Z), as the history contract requires.
_AT = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)$"
_MONEY = r"^\d+(\.\d+)?$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_SCALE = 6  # decimal places kept while summing; every ISO 4217 currency has at most 4
COLUMNS = ("account_id", "at", "event", "channel", "amount", "currency", "date", "action_id", "template", "reason")


@dataclass(frozen=True)
class HistoryScan:
    """The readable events (lazy) and how many lines were not readable."""

    events: pl.LazyFrame
    unreadable: int


def _scan(path: Path) -> pl.LazyFrame:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        frame = pl.scan_ndjson(path, infer_schema_length=None)
    elif suffix in (".parquet", ".pq"):
        frame = pl.scan_parquet(path)
    elif suffix == ".csv":
        frame = pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy")
    else:
        raise UserError(
            f"{path}: cannot tell the history format from the extension {suffix or '(none)'}",
            hint="name it .csv, .jsonl or .parquet",
        )
    return frame


def _names(path: Path, frame: pl.LazyFrame) -> list[str]:
    try:
        return list(frame.collect_schema().names())
    except (pl.exceptions.PolarsError, OSError) as exc:
        # polars messages can quote the file's rows: name the file and the kind of error only
        raise UserError(f"{path}: the history file cannot be read ({type(exc).__name__})") from None


def _canonical(word: pl.Expr) -> pl.Expr:
    """An alias as its word (see :func:`scan_history` on why not ``replace``)."""
    out = word
    for alias, canonical in ALIASES.items():
        out = pl.when(word == alias).then(pl.lit(canonical)).otherwise(out)
    return out


# The first line of a record, as polars numbers them (blank lines are not records): a CSV's
# header is line 1, a JSON Lines file and a Parquet file start at 1.
_FIRST_LINE = {".csv": 2}


def scan_history(
    path: Path,
    copy: Path,
    end: date,
    accounts: pl.DataFrame,
    derive: Callable[[pl.LazyFrame], pl.LazyFrame] | None = None,
) -> HistoryScan:
    """The readable events of the accounts in ``accounts`` (``account_id`` -> ``account_no``)
    dated on or before ``end``, with typed columns: ``account_no``, ``day`` (local date),
    ``event`` (normalised word), ``channel``, ``amount`` (Decimal), ``currency``, ``date`` (the
    promised or paid date, else ``day``), ``template``, ``reason`` and ``line`` (the word of an
    ``arrears_reason`` event and where the file holds it), and what ``derive`` adds while the
    event still has its account id and action id (the step template; then both are dropped).

    The file is read once, streaming (memory bounded by the batch and the id table, not the
    file), into the columnar ``copy`` (Parquet) that every later query reads: one copy, of
    the start accounts' events only, each account a number rather than its id's text. The
    unreadable lines (of any account) are counted from the copy."""
    if not path.is_file():
        raise UserError(f"{path}: no such history file", hint="check the --history path")
    raw = _scan(path)
    names = {n.strip().lower().lstrip("\ufeff"): n for n in _names(path, raw)}
    word_column = names.get("event") or names.get("outcome")
    missing = [c for c in ("account_id", "at") if c not in names]
    if word_column is None:
        missing.append("event")
    if missing:
        raise UserError(
            f"{path}: history column(s) missing: {', '.join(missing)}",
            hint="every event needs account_id, at and event (the column may be called outcome)",
        )

    def column(name: str, source: str | None = None) -> pl.Expr:
        original = source or names.get(name)
        if original is None:
            return pl.lit(None, dtype=pl.String).alias(name)
        text = pl.col(original).cast(pl.String).str.strip_chars()
        # when/then, not replace(): replace() takes polars off its streaming engine, and the
        # whole file would sit in memory (2.6 GiB for ten million events)
        return pl.when(text.str.len_bytes() == 0).then(None).otherwise(text).alias(name)

    typed = (
        raw.with_row_index("_row")
        .select(
            pl.col("_row"),
            column("account_id"),
            column("at"),
            column("event", word_column),
            *(column(c) for c in COLUMNS[3:]),
        )
        .with_columns(
            _canonical(pl.col("event").str.to_lowercase()).alias("event"),
            pl.col("channel").str.to_lowercase(),
            pl.col("reason").str.to_lowercase(),
        )
    )
    money_word = pl.col("event").is_in(["promise", "payment"])
    readable = (
        pl.col("account_id").is_not_null()
        & pl.col("at").fill_null("").str.contains(_AT)
        & pl.col("event").is_in(sorted(VOCABULARY))
        & (~money_word | pl.col("amount").fill_null("").str.contains(_MONEY))
        & (~money_word | pl.col("currency").fill_null("").str.contains(r"^[A-Z]{3}$"))
        & (pl.col("date").is_null() | pl.col("date").str.contains(_DATE))
        & ((pl.col("event") != "promise") | pl.col("date").is_not_null())
    )
    day = pl.col("at").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    first_line = _FIRST_LINE.get(path.suffix.lower(), 1)
    flagged = (
        typed.with_columns(ok=readable & day.is_not_null(), day=day)
        .with_columns(
            amount=pl.col("amount").cast(pl.Decimal(38, _SCALE), strict=False),
            date=pl.coalesce(pl.col("date").str.to_date("%Y-%m-%d", strict=False), pl.col("day")),
            # a line number only where a message may need one (a reason outside the vocabulary)
            line=pl.when(pl.col("event") == "arrears_reason").then(pl.col("_row") + first_line),
        )
        .drop("at", "_row")
        # events after the period are never read: only the unreadable lines' count needs them
        .filter(~pl.col("ok") | (pl.col("day") <= end))
        # a number per start account (the events of other accounts are never counted); the
        # id table is the join's build side: chosen by polars, it built on the ten million
        # events and the scan held 1.4 GiB instead of 0.5
        .join(accounts.lazy(), on="account_id", how="left", build_side="force_right")
        .filter(~pl.col("ok") | pl.col("account_no").is_not_null())
    )
    if derive is not None:
        flagged = derive(flagged)
    # the words as categoricals: a few dozen distinct values, four bytes an event in the
    # queries' group tables instead of a string each
    words = ["event", "channel", "currency", "template", "reason"]
    if "step_template" in flagged.collect_schema().names():
        words.append("step_template")
    flagged = flagged.drop("account_id", "action_id").with_columns(pl.col(words).cast(pl.Categorical()))
    try:
        flagged.sink_parquet(copy, compression="lz4")
        stored = pl.scan_parquet(copy)
        unreadable = int(stored.select((~pl.col("ok")).sum()).collect().item())
    except pl.exceptions.PolarsError as exc:
        raise UserError(f"{path}: the history file cannot be read ({type(exc).__name__})") from None
    return HistoryScan(stored.filter(pl.col("ok")).drop("ok"), unreadable)


def in_period(events: pl.LazyFrame, start: date, end: date) -> pl.LazyFrame:
    """The events whose local date lies in ``[start, end]``."""
    return events.filter(pl.col("day").is_between(start, end, closed="both"))
