"""``dunning.state.columns.derived_state``: the state of plain histories on columns, exact
values per account — and which accounts it answers (``PLAIN``): one offset text on all of
an account's events, where two texts of one offset (``Z`` and ``+00:00``, ``-00:00`` and
``+00:00``) count as two, as the texts did before the offsets were numbered."""

from __future__ import annotations

from datetime import date

import polars as pl

from dunning.state.columns import (
    EVENTS,
    LAST_CONTACT,
    LAST_RPC,
    PAID,
    PLAIN,
    PLAIN_WORDS,
    UNANSWERED,
    derived_state,
    event_columns,
)

_LINES = [
    # account, at, event, channel, amount, date
    ("plain", "2026-11-20T10:00:00+08:00", "no_answer", "call", "", ""),
    ("plain", "2026-11-25T10:00:00+08:00", "right_party_contact", "call", "", ""),
    ("plain", "2026-11-26T10:00:00+08:00", "payment", "", "10.00", "2026-11-24"),
    ("plain", "2026-11-27T23:30:00+08:00", "no_answer", "call", "", ""),
    ("z-and-zero", "2026-11-26T10:00:00Z", "attempted", "sms", "", ""),
    ("z-and-zero", "2026-11-27T10:00:00+00:00", "attempted", "sms", "", ""),
    ("minus-zero", "2026-11-26T10:00:00-00:00", "attempted", "sms", "", ""),
    ("minus-zero", "2026-11-27T10:00:00+00:00", "attempted", "sms", "", ""),
    ("both-z", "2026-11-26T10:00:00Z", "busy", "call", "", ""),
    ("both-z", "2026-11-27T10:00:00Z", "delivered", "email", "", ""),
    ("two-offsets", "2026-11-26T10:00:00+08:00", "attempted", "call", "", ""),
    ("two-offsets", "2026-11-27T10:00:00+09:00", "attempted", "call", "", ""),
    ("inexact", "2026-11-27T10:00:00.5+08:00", "attempted", "call", "", ""),
    ("later", "2026-11-29T10:00:00+08:00", "attempted", "call", "", ""),
    ("flag", "2026-11-27T10:00:00+08:00", "dispute", "", "", ""),
]


def test_the_state_of_each_account_and_which_are_answered_on_columns() -> None:
    lines = pl.DataFrame(_LINES, schema=["account_id", "at", "event", "channel", "amount", "date"], orient="row")
    state = derived_state(event_columns(lines), date(2026, 11, 28), PLAIN_WORDS).sort("account_id")
    rows = state.select("account_id", PLAIN, LAST_CONTACT, LAST_RPC, UNANSWERED, PAID, EVENTS).rows()
    assert rows == [
        ("both-z", True, 1, None, 1, None, 2),
        ("flag", False, None, 1, 0, None, 1),
        ("inexact", False, None, None, 1, None, 1),
        ("later", False, -1, None, 1, None, 1),
        ("minus-zero", False, 1, None, 0, None, 2),
        ("plain", True, 1, 3, 2, date(2026, 11, 24), 4),
        ("two-offsets", False, 1, None, 2, None, 2),
        ("z-and-zero", False, 1, None, 0, None, 2),
    ]
