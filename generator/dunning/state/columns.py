"""The history-derived state of many accounts at once, on columns (polars, in the worker).

:func:`dunning.state.account.account_state` answers every state question for one account
from its events as objects. A plan run asks the same questions of every account of a
chunk: here they are answered on the chunk's event lines with one ``group_by`` per
account, for the accounts whose history holds only *plain* events — contact attempts and
their results, and payments — that name no other phone, email or debt and fall on or
before the as-of date. For them the state is: the last contact and right-party contact
(days before as-of), the unanswered calls, the latest payment, and the local days of the
contacts (what the caps count). Every other account (a flag, a promise, an arrangement, a
placement, an unusable contact point, a sent notice, a reason for arrears, a line the
columns cannot read exactly) is planned in full by :class:`~dunning.plan.decide.Planner`:
its :data:`PLAIN` column is false.

``tests/plan/test_decision_key.py`` holds the two implementations equal: a shared decision
keyed on these columns is the plan the full planner gives the account with its events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import polars as pl

from dunning.accounts import events as ev
from dunning.accounts.history.timeline import line_columns, moment_of, moment_parts
from dunning.accounts.model import Contact

ACCOUNT = "account_id"
PLAIN = "__h_plain"  # every event of the account is answered here
LAST_CONTACT = "__h_contact"  # days from the last contact (events.CONTACTS) to as-of; null: none
LAST_RPC = "__h_rpc"  # days from the last right-party contact (events.RIGHT_PARTY); null: none
UNANSWERED = "__h_unanswered"  # unanswered calls on file (condition failed_attempts)
PAID = "__h_paid"  # the latest payment's date (its `date`, else the day of `at`); null: none
EVENTS = "__h_events"  # the account's event lines (what planning it in full reads)
INSTANT = "__h_at"  # an event's moment (UTC)
DAY = "__h_day"  # an event's day in its own offset (what account_state reads)
# an event's UTC offset as a number: hours × 60 + minutes, _MINUS more after a "-" ("-00:00"
# is not "+00:00" as text), _Z for "Z" — distinct numbers for distinct texts on every moment
# INSTANT reads (its HH ≤ 23, MM ≤ 59); on the others anything, null included: such an
# account is planned in full whatever its offsets
OFFSET = "__h_offset"
_MINUS, _Z = 10_000, 20_000

# Events whose whole meaning is answered on columns: a contact or its result (a last
# contact, a right-party contact, an unanswered call, what the caps count) and a payment.
# The others start or end a state (flags, opt-outs, spoiled contact points, promises…).
PLAIN_WORDS = frozenset(
    (*(w for w in ev.ATTEMPTS if w not in ("wrong_number", "third_party", "returned_mail", "bounced")), "payment")
)
_COLUMNS = ("account_id", "at", "event", "channel", "debt_id", "phone", "email", "amount", "date")


def event_columns(lines: pl.DataFrame) -> pl.DataFrame:
    """A history scan's readable lines (text columns, :mod:`dunning.accounts.history`) as
    the event columns the state reads: the word in the vocabulary's spelling, the channel
    an event implies, its moment (UTC) and its own day; a moment the columns cannot read
    exactly is null (the account is then planned in full)."""

    column, word, channel = line_columns(lines.columns)
    frame = lines.lazy().select(
        column("account_id").alias("account_id"),
        column("at").alias("at"),
        word.alias("event"),
        channel.alias("channel"),
        *(column(c).alias(c) for c in ("debt_id", "phone", "email", "amount", "date")),
    )
    return _timed(frame).collect()


def event_columns_of(events: Mapping[str, Sequence[Contact]]) -> pl.DataFrame:
    """:func:`event_columns` of events already read as objects (a test's, review's)."""
    rows = [
        (
            c.account_id or account_id,
            c.at.isoformat(),
            c.outcome,
            c.channel,
            c.debt_id,
            c.phone,
            c.email,
            "" if c.amount is None else str(c.amount),
            "" if c.on is None else c.on.isoformat(),
        )
        for account_id, contacts in events.items()
        for c in contacts
    ]
    return _timed(pl.DataFrame(rows, schema=dict.fromkeys(_COLUMNS, pl.String), orient="row").lazy()).collect()


def _timed(frame: pl.LazyFrame) -> pl.LazyFrame:
    # lazy, as event_columns and derived_state are: a query collected is planned with common
    # subexpressions computed once (the word a channel is implied by), which an eager frame's
    # with_columns does not do — a bench chunk's 200,698 lines: event_columns 69 → 48 ms,
    # derived_state 52 → 41 ms. The offset's parts are columns of their own, which the
    # moment, the day and the offset's number read: as the same subexpression in three
    # columns they were computed more than once (the offset's number cost ≈ 11 ms a chunk
    # of 211,730 lines so, nothing this way)
    at = pl.col("at")
    parts = ("__h_hours", "__h_minutes", "__h_sign", "__h_exact")
    hours, minutes, sign, exact = (pl.col(name) for name in parts)
    return (
        frame.with_columns(part.alias(name) for part, name in zip(moment_parts(at), parts, strict=True))
        .with_columns(
            moment_of(at, hours, minutes, sign, exact).alias(INSTANT),
            pl.when(exact).then(at.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)).alias(DAY),
            pl.when(sign == "Z")
            .then(pl.lit(_Z, pl.Int64))
            .otherwise(hours * 60 + minutes + pl.when(sign == "-").then(_MINUS).otherwise(0))
            .alias(OFFSET),
        )
        .drop(parts)
    )


def payment_day() -> pl.Expr:
    """Over :func:`event_columns`: a payment's day as the state counts it — its `date`, else
    the day of `at` (:func:`~dunning.state.account.account_state`)."""
    col = pl.col
    return pl.when(col("date") != "").then(col("date").str.to_date("%Y-%m-%d", strict=False)).otherwise(col(DAY))


def derived_state(events: pl.DataFrame, as_of: date, plain_words: frozenset[str] = PLAIN_WORDS) -> pl.DataFrame:
    """Per account of ``events`` (:func:`event_columns`): :data:`PLAIN`, :data:`EVENTS` and,
    for the plain ones, :data:`LAST_CONTACT`, :data:`LAST_RPC`, :data:`UNANSWERED` and :data:`PAID` —
    the values :func:`~dunning.state.account.account_state` gives them on ``as_of``.
    ``plain_words``: the events answered here (less those a law's ``after_outcome`` rule
    counts, whose stops read the events themselves)."""
    col = pl.col
    word, day = col("event"), col(DAY)
    before = (pl.lit(as_of) - day).dt.total_days()
    paid_on = payment_day()
    plain = (
        word.is_in(sorted(plain_words))
        & (col("debt_id") == "")
        & (col("phone") == "")
        & (col("email") == "")
        & col(INSTANT).is_not_null()
        & day.is_not_null()
        & (day <= pl.lit(as_of))
        & ((word != "payment") | paid_on.is_not_null())
    )
    # account_state keeps the day of the last such event in time order, a condition reads
    # the latest day: with one UTC offset on all of an account's events the two agree (a
    # later moment is never an earlier day); an account with several is planned in full.
    # OFFSET tells the texts of the offsets apart wherever `plain` holds on every event
    offsets = col(OFFSET).n_unique() == 1

    def latest(words: frozenset[str]) -> pl.Expr:
        return pl.when(word.is_in(sorted(words))).then(before)

    # each event's values first, then plain aggregations of them: a filter or a
    # when/then inside the group_by's aggregation is evaluated group by group (a bench
    # chunk's 211,730 lines: the last contact 6 → 2 ms)
    return (
        events.lazy()
        .select(
            ACCOUNT,
            OFFSET,
            plain.alias("__plain"),
            latest(ev.CONTACTS).alias("__contact"),
            latest(ev.RIGHT_PARTY).alias("__rpc"),
            ((col("channel") == "call") & word.is_in(sorted(ev.UNANSWERED))).alias("__unanswered"),
            pl.when(word == "payment").then(paid_on).alias("__paid"),
        )
        .group_by(ACCOUNT)
        .agg(
            (col("__plain").all() & offsets).alias(PLAIN),
            col("__contact").min().alias(LAST_CONTACT),
            col("__rpc").min().alias(LAST_RPC),
            col("__unanswered").sum().cast(pl.Int64).alias(UNANSWERED),
            col("__paid").max().alias(PAID),
            pl.len().alias(EVENTS),
        )
        .collect()
    )
