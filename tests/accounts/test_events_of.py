"""Events from a scan's lines: each account's in time order (moment, channel, word, line),
put in that order on columns when every moment is exact, else sorted as objects — the same
events either way, and the state the planner derives from them is the same as from events
in any order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dunning.accounts.history.rows import LINE
from dunning.accounts.history.timeline import TimeOrdered, events_of
from dunning.accounts.model import Account
from dunning.state.account import account_state

COLUMNS = ("account_id", "at", "event", "channel", "amount", "date")
# the optional fields, each with values no other field takes: a field built into another's
# place shows in the comparison of the two paths' objects
OPTIONAL = {
    "debt_id": ["", "D1"],
    "phone": ["", "+12125550100"],
    "email": ["", "x@example.com"],
    "currency": ["", "USD"],
    "instalments": ["", "3"],
    "interval_days": ["", "30"],
    "action_id": ["", "A1-early-sms8-20261120"],
    "note": ["", "a note"],
    "source": ["", "dialer"],
    "reason": ["", "Illness"],
}
AS_OF = date(2026, 11, 28)


@st.composite
def _line(draw: st.DrawFn) -> dict[str, str]:
    # few accounts, days and minutes: equal moments (in one offset or two) are common, so
    # channel, word and line decide
    day = draw(st.integers(27, 29))
    hour, minute = draw(st.sampled_from([1, 9, 17])), draw(st.sampled_from([0, 0, 30]))
    # 17:00+08:00 is 09:00Z; 01:00-08:00 the next day's 09:00Z
    offset = draw(st.sampled_from(["Z", "+00:00", "+08:00", "-08:00", "+05:30"]))
    word = draw(st.sampled_from(["attempted", "no_answer", "connected", "payment", "attempt"]))
    return {
        "account_id": draw(st.sampled_from(["A1", "A2", "B10", "a1", "Ä"])),
        "at": f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:00{offset}",
        "event": word,
        "channel": "" if word == "payment" else draw(st.sampled_from(["call", "sms", "email"])),
        "amount": "5.00" if word == "payment" else "",
        "date": draw(st.sampled_from(["", "2026-11-30"])),
        **{name: draw(st.sampled_from(values)) for name, values in OPTIONAL.items()},
    }


def _frame(lines: list[dict[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(lines, schema=dict.fromkeys((*COLUMNS, *OPTIONAL), pl.String)).with_columns(
        pl.int_range(2, len(lines) + 2, dtype=pl.Int64).alias(LINE)
    )


def _reference(frame: pl.DataFrame) -> dict[str, list[tuple[object, ...]]]:
    """Each account's events sorted as objects (the order _order gives), as plain tuples."""
    found: dict[str, list[tuple[object, ...]]] = {}
    # the fallback path (a moment the columns do not read exactly) sorts objects in Python
    inexact = frame.with_columns(pl.col("at").str.replace(r"(\d{2}:\d{2}:\d{2})", "${1}.000000"))
    for account_id, events in events_of(inexact).items():
        found[account_id] = [(c.at, c.channel, c.outcome, c.line) for c in events]
        assert events == tuple(sorted(events, key=lambda c: (c.at, c.channel, c.outcome, c.line)))
    return found


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(_line(), min_size=1, max_size=40))
def test_events_in_time_order_on_columns_are_the_sorted_objects(lines: list[dict[str, str]]) -> None:
    frame = _frame(lines)
    found = events_of(frame)
    assert list(found) == sorted(found)
    assert all(isinstance(events, TimeOrdered) for events in found.values())
    assert {k: [(c.at, c.channel, c.outcome, c.line) for c in v] for k, v in found.items()} == _reference(frame)
    # the same objects the other path builds, field for field
    inexact = events_of(frame.with_columns(pl.col("at").str.replace(r"(\d{2}:\d{2}:\d{2})", "${1}.000000")))
    assert found == inexact


@settings(max_examples=40, deadline=None)
@given(lines=st.lists(_line(), min_size=1, max_size=30))
def test_the_state_of_time_ordered_events_is_that_of_any_order(lines: list[dict[str, str]]) -> None:
    # account_state does not sort events it knows to be in time order: what it derives
    # (the events kept on or before as-of, in order, and the state read from them) is what
    # it derives when it sorts them
    account = Account("A1", "US", "USD", Decimal("100"), date(2026, 10, 1), timezone="America/New_York")
    for events in events_of(_frame(lines)).values():
        ordered = account_state(account, events, AS_OF, 3)
        sorted_here = account_state(account, tuple(events), AS_OF, 3)  # a plain tuple: sorted
        assert ordered == sorted_here
        assert all(c.at.date() <= AS_OF for c in ordered.events)
