"""An account's events in time order: the moments of the history's lines read on columns,
and the readable lines made the objects the planner reads (:func:`events_of`).

The lines are already checked (:mod:`.plain`, :mod:`.rows`): nothing here rejects. The
state's columns (:mod:`dunning.state.columns`) read the same words and moments through
:func:`line_columns` and :func:`moment_parts`, so the objects and the columns cannot read a
line differently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from dunning.accounts import events as ev
from dunning.accounts.history.rows import LINE
from dunning.accounts.model import Contact

if TYPE_CHECKING:
    import polars as pl


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


def _order(c: Contact) -> tuple[datetime, str, str, int]:
    return (c.at, c.channel, c.outcome, c.line)
