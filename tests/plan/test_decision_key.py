"""The decision key holds every input a plan depends on: a shared decision is the plan the
full planner gives, whatever snapshot field, history, horizon or run option differs.

Each example draws a base account and, for every snapshot field, a variant that differs
from it in that field alone (and a few that differ in several): a key that missed an
input would give such a variant the base's shared decision, and the comparison with the
full planner, account by account, would show it. The same for the history: accounts with
a drawn history of contacts and payments (the ones the key holds, :mod:`dunning.state.columns`)
and variants with one event more, one less or one moved by a day or an hour, under a policy
whose steps read every state condition the key holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunning.accounts.history.rows import LINE as HISTORY_LINE
from dunning.accounts.history.rows import History, read_event
from dunning.accounts.model import FLAG_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, Account, Contact
from dunning.accounts.read import accounts_of, screen_frame
from dunning.accounts.record import parse_record
from dunning.accounts.source import LINE
from dunning.plan.columnar import ColumnarPlanner
from dunning.plan.decide import Planner
from dunning.plan.key import KEY_INPUTS, DecisionKey, thresholds
from dunning.plan.output import plan_record
from dunning.policy.model import Policy

from .plan_support import BASE, ITEMIZATION, contact
from .policy_support import with_state_conditions

AS_OF = date(2026, 11, 28)


def _day(offset: int) -> str:
    return (AS_OF + timedelta(days=offset)).isoformat()


def _amounts(policy: Policy) -> st.SearchStrategy[str]:
    """Balances on, just below and just above every threshold, zero, and anything else."""
    levels = {v for values in thresholds(policy).values() for v in values}
    cent = Decimal("0.01")
    near = sorted({f"{v + d * cent:.2f}" for v in levels for d in (-1, 0, 1) if v + d * cent >= 0})
    return st.one_of(
        st.sampled_from(["0.00", "0.01", *near]),
        st.integers(1000, 4_000_000).map(lambda cents: f"{cents // 100}.{cents % 100:02d}"),
    )


def _fields(policy: Policy) -> dict[str, st.SearchStrategy[str]]:
    """A strategy for every snapshot column (valid values, some of them unusable contact
    points: those degrade a channel, not the account)."""
    # the days a decision turns on (tier bounds, the days steps fire, the no-payment
    # thresholds) and their neighbours, besides any other: a variant differs where it counts
    bounds = [b for t in policy.tiers for b in (t.dpd.low, t.dpd.high) if b is not None]
    bounds += [step.day - o for strategy in policy.strategies.values() for step in strategy.steps for o in range(7)]
    dpd_edges = sorted({b + d for b in bounds for d in (-1, 0, 1)})
    keys = DecisionKey(Planner(policy, AS_OF, 0))
    paid_edges = sorted({n + d for n in keys.payment_days for d in range(-8, 3)})
    paid = st.one_of(st.sampled_from(paid_edges), st.integers(-2, 420)).map(lambda n: _day(-n))
    # a flag set in one account of sixteen: most accounts are active, where most inputs count
    flags = {f: st.integers(0, 15).map(lambda n: "true" if n == 7 else "") for f in FLAG_COLUMNS}
    return {
        "account_id": st.integers(0, 3000).map(lambda n: f"K-{n}"),
        "jurisdiction": st.sampled_from(sorted(policy.jurisdictions)),
        "currency": st.sampled_from(["USD", "CNY", "EUR"]),
        "overdue_amount": _amounts(policy),
        "due_date": st.one_of(*[st.sampled_from(dpd_edges)] * 3, st.integers(-3, 400)).map(lambda dpd: _day(-dpd)),
        "customer_id": st.sampled_from(["", "C-1", "C-2"]),
        "name": st.sampled_from(["", "Pat Doe", "李雷"]),
        "locale": st.sampled_from(["", "en-US", "zh-CN", "es-US"]),
        "timezone": st.sampled_from(
            ["", "America/New_York", "America/Phoenix", "America/Los_Angeles", "Asia/Shanghai", "Europe/London"]
        ),
        "phone": st.sampled_from(
            ["+12125550142", "", "+13105550142", "+16025550142", "+8613812345678", "+442071234567", "12345"]
        ),
        "email": st.sampled_from(["x@example.com", "", "y@example.com", "not-an-email"]),
        "address": st.sampled_from(
            [
                "",
                "1 Main St",
                "1 Main St, Los Angeles, CA",
                "1 Main St, Denver, CO 80202",
                "1 Main St, Boston, MA 02101",
            ]
        ),
        "postal_code": st.sampled_from(["", "10001", "90210", "85001", "200000"]),
        "product": st.sampled_from(["", "card", "loan"]),
        "segment": st.sampled_from(["", "retail", "staff"]),
        "principal": st.sampled_from(["", "100.00", "9000.00"]),
        "last_payment_date": st.one_of(st.just(""), paid),
        "promise_to_pay_date": st.one_of(st.just(""), st.integers(-20, 40).map(_day)),
        "promise_amount": st.sampled_from(["", "10.00", "75.50", "20000.00"]),
        "creditor": st.sampled_from(["Example Bank", "Other Bank"]),
        "original_creditor": st.sampled_from(["", "First Bank"]),
        "itemization_date": st.integers(-400, -1).map(_day),
        "itemization_amount": st.sampled_from(["500", "120.00"]),
        "interest_since_itemization": st.sampled_from(["0", "3.20"]),
        "fees_since_itemization": st.sampled_from(["0", "15.00"]),
        "payments_since_itemization": st.sampled_from(["0", "20.00"]),
        "credits_since_itemization": st.sampled_from(["0", "1.00"]),
        **flags,
    }


def _row_ok(row: dict[str, str], policy: Policy) -> Account | None:
    found = parse_record(row, 2, frozenset(policy.jurisdictions))
    return found if isinstance(found, Account) else None


def test_every_snapshot_column_is_varied(policy: Policy) -> None:
    # a column added to the snapshot must be added here, or the property below cannot see
    # whether the key needs it
    assert set(_fields(policy)) == {*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *FLAG_COLUMNS}
    assert len(KEY_INPUTS) == 24


def _differs(value: str) -> Callable[[str], bool]:
    return lambda other: other != value


BASES = 3  # base accounts per example, each with its variants
# an optional date's variant when the base has none
_DATED = {
    "promise_to_pay_date": st.integers(-20, 40).map(_day),
    "last_payment_date": st.integers(-2, 200).map(lambda n: _day(-n)),
}


@st.composite
def _portfolios(draw: st.DrawFn, policy: Policy) -> tuple[list[dict[str, str]], int, bool, set[int]]:
    """(rows, horizon, tracks_sent, rows with history): base rows, each followed by one
    variant per column and a few variants in several columns; one account with history."""
    fields = _fields(policy)
    # most drawn accounts are excluded or paused (eleven flags, a promise, a small balance),
    # where few inputs count: the later bases are drawn active-leaning, their variants not
    leaning = {
        **fields,
        **dict.fromkeys(FLAG_COLUMNS, st.just("")),
        "promise_to_pay_date": st.just(""),
        "segment": st.sampled_from(["", "retail"]),
        "overdue_amount": st.integers(20_000, 4_000_000).map(lambda cents: f"{cents // 100}.{cents % 100:02d}"),
    }
    rows = []
    for n in range(BASES):
        base = {name: draw(values) for name, values in (fields if n == 0 else leaning).items()}
        rows.append(base)
        for name, values in fields.items():
            if name in FLAG_COLUMNS:
                other = "" if base[name] else "true"
            elif name in _DATED and not base[name]:
                other = draw(_DATED[name])
            else:
                other = draw(values.filter(_differs(base[name])))
            rows.append({**base, name: other})
        for _ in range(draw(st.integers(0, 3))):
            names = draw(st.lists(st.sampled_from(sorted(fields)), min_size=2, max_size=5, unique=True))
            rows.append({**base, **{n: draw(fields[n]) for n in names}})
    rows.append({**rows[0], "account_id": "H-1"})  # its history keeps it off the shared path
    return rows, draw(st.integers(0, 6)), draw(st.booleans()), {len(rows) - 1}


# A history event as text (the reader's columns). Mostly contacts and payments, the events
# the key holds; now and then one it does not (the account is then planned in full).
HISTORY_COLUMNS = ("account_id", "at", "event", "channel", "amount", "date")
_PLAIN = ("attempted", "delivered", "failed", "no_answer", "busy", "voicemail", "connected", "right_party_contact")


@st.composite
def _event(draw: st.DrawFn) -> dict[str, str]:
    word = draw(
        st.one_of(
            *[st.sampled_from(_PLAIN)] * 30,
            *[st.just("payment")] * 3,
            st.sampled_from(["refused", "dispute", "third_party", "sent"]),
        )
    )
    # the last days before as-of most (the caps' days), a day after it now and then; offsets
    # east and west of the accounts' zones, so an event's day differs between zones
    day = draw(st.one_of(*[st.integers(-6, 0)] * 20, st.integers(-40, 1)))
    hour = draw(st.integers(0, 23))
    offset = draw(st.sampled_from(["-05:00", "-05:00", "-08:00", "+08:00", "+08:00", "+00:00", "-10:00", "+14:00"]))
    channel = draw(st.sampled_from(["call", "call", "call", "sms", "email", "letter"]))
    row = {"at": f"{_day(day)}T{hour:02d}:{draw(st.sampled_from([0, 30])):02d}:00{offset}", "event": word}
    row["channel"] = "" if word in ("payment", "dispute") else channel
    row["amount"] = draw(st.sampled_from(["10.00", "75.50"])) if word == "payment" else ""
    row["date"] = draw(st.one_of(st.just(""), st.integers(-30, 2).map(_day))) if word == "payment" else ""
    if word == "sent":
        row["channel"], row["action_id"] = "letter", "X-letter1-20261101"
    return row


@st.composite
def _histories(draw: st.DrawFn) -> list[list[dict[str, str]]]:
    """A history and its variants: the same again (another account: it takes the first's
    shared decision), one event more, one less, one moved by a day or an hour, one more
    unanswered call; a burst of counted contacts at a cap's boundary and its neighbours."""
    base = draw(st.lists(_event(), min_size=1, max_size=14))
    out = [base, list(base), [*base, draw(_event())], base[1:]]
    at = draw(st.integers(0, len(base) - 1))
    moved = dict(base[at])
    shift = draw(st.sampled_from([timedelta(days=-1), timedelta(days=1), timedelta(hours=-3), timedelta(hours=5)]))
    moved["at"] = (datetime.fromisoformat(moved["at"]) + shift).isoformat()
    out.append([*base[:at], moved, *base[at + 1 :]])
    # an unanswered call no US cap counts (busy, failed): the last contact and the unanswered
    # calls differ, the caps do not
    day, word = draw(st.sampled_from([(-1, "busy"), (-3, "busy"), (-2, "failed"), (-5, "failed")]))
    out.append([*base, {"at": f"{_day(day)}T15:00:00-05:00", "event": word, "channel": "call"}])
    # a cap's boundary: a burst of counted contacts, and the same with one more on a day it
    # holds, one fewer, its first moved a day back (out of a run the plan's checks read) and
    # with a burst on a second channel (several caps at once)
    burst, other = draw(_burst()), draw(_burst())
    first = burst[0]
    later = {**first, "at": first["at"].replace("T09:", "T18:")}
    back = {**first, "at": (datetime.fromisoformat(first["at"]) - timedelta(days=1)).isoformat()}
    out.extend(
        [
            [*base, *burst],
            [*base, *burst, later],
            [*base, *burst[1:]],
            [*base, back, *burst[1:]],
            [*base, *burst, *other],
        ]
    )
    return out


@st.composite
def _burst(draw: st.DrawFn) -> list[dict[str, str]]:
    """One to eight contacts every cap of the channel counts, on the days the caps' runs
    start and end (as-of, the day before, six and seven days back): counts on both sides of
    every cap (two a day, three texts and four calls a week, seven calls in seven days)."""
    channel, word = draw(
        st.sampled_from(
            [
                ("call", "attempted"),
                ("call", "no_answer"),
                ("call", "connected"),
                ("sms", "delivered"),
                ("email", "delivered"),
            ]
        )
    )
    offset = draw(st.sampled_from(["-05:00", "+08:00", "-08:00"]))
    days = draw(st.lists(st.sampled_from([0, -1, -5, -6, -7]), min_size=1, max_size=8))
    return [
        {"at": f"{_day(day)}T{9 + i:02d}:00:00{offset}", "event": word, "channel": channel, "amount": "", "date": ""}
        for i, day in enumerate(days)
    ]


def _history_of(rows: list[dict[str, str]], owners: dict[int, list[dict[str, str]]]) -> tuple[History, pl.DataFrame]:
    """The drawn histories as the reader gives them: objects, and the lines of a scan."""
    lines = []
    for i, events in owners.items():
        lines += [{"account_id": rows[i]["account_id"], **e} for e in events]
    names = [*HISTORY_COLUMNS, "action_id"]
    frame = pl.DataFrame(
        [{n: e.get(n, "") for n in names} for e in lines], schema=dict.fromkeys(names, pl.String)
    ).with_columns(pl.int_range(2, len(lines) + 2, dtype=pl.Int64).alias(HISTORY_LINE))
    read: dict[str, list[Contact]] = {}
    for number, values in enumerate(frame.drop(HISTORY_LINE).iter_rows(named=True), start=2):
        found = read_event(values, number)
        assert isinstance(found, Contact), found
        read.setdefault(found.account_id, []).append(found)
    ordered = {k: tuple(sorted(v, key=lambda c: (c.at, c.channel, c.outcome, c.line))) for k, v in read.items()}
    return History(ordered), frame


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_shared_decision_is_the_full_planners_plan(policy: Policy, data: st.DataObject) -> None:
    rows, horizon, tracks_sent, with_history = data.draw(_portfolios(policy))
    accounts = {i: a for i, row in enumerate(rows) if (a := _row_ok(row, policy)) is not None}
    events: dict[str, tuple[Contact, ...]] = {
        rows[i]["account_id"]: (contact("2026-11-27T10:00:00+08:00", "dispute", "call", rows[i]["account_id"]),)
        for i in with_history
    }
    history = History(events)
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).with_columns(
        pl.int_range(0, len(rows), dtype=pl.Int64).alias(LINE)
    )
    planner = ColumnarPlanner(Planner(policy, AS_OF, horizon, tracks_sent=tracks_sent))
    screened = screen_frame(frame, frozenset(policy.jurisdictions))
    assert {r.line for r in screened.rejects} == set(range(len(rows))) - set(accounts)
    got = {record[1]: record for record in planner.plan(screened, history).records()}
    assert set(got) == set(accounts)
    full = Planner(policy, AS_OF, horizon, tracks_sent=tracks_sent)
    for line, acct in accounts.items():
        line_bytes, csv_rows, status, tier, stats = plan_record(full.plan(acct, history.get(acct.account_id)))
        assert got[line] == (acct.account_id, line, status, tier, line_bytes, csv_rows, stats), (line, rows[line])
    if 0 in accounts and 1 + list(_fields(policy)).index("customer_id") in accounts:
        # the customer id decides nothing: its variant took the base's decision
        assert len(planner.templates) < len(accounts) - len(with_history)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_shared_decision_with_history_is_the_full_planners_plan(policy: Policy, data: st.DataObject) -> None:
    # every state condition the key holds is read by some step (state_policy), and every
    # account with history has variants one event apart: whichever path a row takes
    # (shared, or in full), through objects or through the scan's lines, the plan is the
    # full planner's with the account's events
    if data.draw(st.booleans()):
        policy = with_state_conditions(policy)
    rows, horizon, tracks_sent, _history = data.draw(_portfolios(policy))
    full = Planner(policy, AS_OF, horizon, tracks_sent=tracks_sent)
    accounts = {i: a for i, row in enumerate(rows) if (a := _row_ok(row, policy)) is not None}
    # histories go on accounts with a contact planned: there the caps and the state decide;
    # and on one without (paused, excluded, no contact step): its decision is shared across
    # caps parts (ColumnarPlanner.by_caps), which the variants' bursts tell apart
    busy = [i for i, a in accounts.items() if any(x.not_before is not None for x in full.plan(a).actions)]
    idle = [i for i in accounts if i not in busy]
    owners: dict[int, list[dict[str, str]]] = {}
    for n in range(data.draw(st.integers(2, 4))):
        base = rows[data.draw(st.sampled_from((idle if n == 0 and idle else busy) or sorted(accounts)))]
        for h in range(3):
            for v, events in enumerate(data.draw(_histories())):
                owners[len(rows)] = events
                rows.append({**base, "account_id": f"H-{n}-{h}-{v}"})
    accounts = {i: a for i, row in enumerate(rows) if (a := _row_ok(row, policy)) is not None}
    history, lines = _history_of(rows, owners)
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).with_columns(
        pl.int_range(0, len(rows), dtype=pl.Int64).alias(LINE)
    )
    screened = screen_frame(frame, frozenset(policy.jurisdictions))
    expected = {line: plan_record(full.plan(acct, history.get(acct.account_id))) for line, acct in accounts.items()}
    by_objects = ColumnarPlanner(Planner(policy, AS_OF, horizon, tracks_sent=tracks_sent))
    by_lines = ColumnarPlanner(Planner(policy, AS_OF, horizon, tracks_sent=tracks_sent))
    for got in (
        by_objects.plan(screened, history).records(),
        by_lines.plan(screened, History(), lines).records(),
        # again, its decisions known: the caps of rows whose decision has no contact to
        # check are not read (DecisionKey.columns' blind), every other row is served
        by_lines.plan(screened, History(), lines).records(),
    ):
        found = {record[1]: record for record in got}
        assert set(found) == set(accounts)
        for line, acct in accounts.items():
            line_bytes, csv_rows, status, tier, stats = expected[line]
            assert found[line] == (acct.account_id, line, status, tier, line_bytes, csv_rows, stats), (
                line,
                rows[line],
                owners.get(line),
            )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_review_shares_the_plans_key(policy: Policy, data: st.DataObject) -> None:
    # dunning review keys Account records (DecisionKey.of) and fills the slots on the plan
    # objects (DecisionKey.share): the same decision as planning the account in full
    rows, horizon, tracks_sent, _history = data.draw(_portfolios(policy))
    accounts = [a for row in rows if (a := _row_ok(row, policy)) is not None]
    full = Planner(policy, AS_OF, horizon, tracks_sent=tracks_sent)
    keys = DecisionKey(full)
    decided: dict[str, Any] = {}
    for acct, key in zip(accounts, keys.of(accounts), strict=True):
        assert key is not None
        model = decided.setdefault(key, full.plan(acct))
        assert keys.share(model, acct) == full.plan(acct), acct


def _plans_with_histories(
    policy: Policy, row: dict[str, str], histories: list[list[dict[str, str]]], prefix: str = "S", horizon: int = 0
) -> tuple[list[tuple[str, str]], ColumnarPlanner]:
    """Each history on its own copy of ``row`` (ids ``prefix-0``…): (status, actions.csv rows,
    the id as ``S``) on the shared path, checked equal to the full planner's, and the planner
    (its templates)."""
    rows = [{**row, "account_id": f"{prefix}-{i}"} for i in range(len(histories))]
    history, lines = _history_of(rows, dict(enumerate(histories)))
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).with_columns(
        pl.int_range(0, len(rows), dtype=pl.Int64).alias(LINE)
    )
    screened = screen_frame(frame, frozenset(policy.jurisdictions))
    planner = ColumnarPlanner(Planner(policy, AS_OF, horizon))
    got = {r[1]: r for r in planner.plan(screened, History(), lines).records()}
    full = Planner(policy, AS_OF, horizon)
    out = []
    for line, acct in enumerate(accounts_of(screened.good, screened.extra_columns)):
        line_bytes, csv_rows, status, tier, stats = plan_record(full.plan(acct, history.get(acct.account_id)))
        assert got[line][2:] == (status, tier, line_bytes, csv_rows, stats)
        out.append((status, csv_rows.replace(acct.account_id, "S")))
    return out, planner


def test_days_since_the_last_contact_are_part_of_the_key(policy: Policy) -> None:
    # early/sms@8 asks for no contact in the last 2 days (state_policy); a busy call counts
    # as a contact and no US cap counts it: only the last contact's day tells these apart
    policy = with_state_conditions(policy)
    row = {**BASE, **ITEMIZATION, "due_date": _day(-8)}
    call = {"event": "busy", "channel": "call"}
    recent, older = {**call, "at": f"{_day(-1)}T15:00:00-05:00"}, {**call, "at": f"{_day(-3)}T15:00:00-05:00"}
    plans, _planner = _plans_with_histories(policy, row, [[recent], [older], [recent], [older]])
    # (the experiment's arm, by account id, picks early or early-empathetic: both send sms@8)
    assert [("/sms@8" in rows_text) for _status, rows_text in plans] == [False, True, False, True]


def test_unanswered_calls_are_part_of_the_key(policy: Policy) -> None:
    # late/visit@70 (CN, 5000 CNY or more) asks for 3 unanswered calls: two failed calls or
    # three, long before the caps' days, differ in that alone
    cn = {"jurisdiction": "CN", "currency": "CNY", "timezone": "Asia/Shanghai", "phone": "+8613812345678"}
    row = {**BASE, **cn, "overdue_amount": "6000.00", "due_date": _day(-70)}
    failed = [{"event": "failed", "channel": "call", "at": f"{_day(-30 - i)}T15:00:00+08:00"} for i in range(3)]
    plans, planner = _plans_with_histories(policy, row, [failed[:2], failed, failed[:2], failed])
    assert plans[0] == plans[2] and plans[1] == plans[3] and plans[0] != plans[1]
    assert "late/visit@70" in plans[1][1] and "late/visit@70" not in plans[0][1]
    assert len(planner.templates) == 2


def _burst_at(day: int, calls: int, offset: str = "+08:00") -> list[dict[str, str]]:
    return [
        {"at": f"{_day(day)}T{9 + i:02d}:00:00{offset}", "event": "attempted", "channel": "call"} for i in range(calls)
    ]


def test_a_decision_without_contacts_is_shared_across_caps(policy: Policy) -> None:
    # a CN account 10 days past due is called today (early/call@10; ids R-0… all draw the
    # experiment's champion arm, which calls): no calls on file, three
    # (below the policy's four a week) and four (at it) this week. Active, the four calls
    # refuse the call and it is planned apart; paused by an open promise, the plan holds no
    # contact to check, so one decision serves every caps part
    cn = {"jurisdiction": "CN", "currency": "CNY", "timezone": "Asia/Shanghai", "phone": "+8613812345678"}
    row = {**BASE, **cn, "overdue_amount": "6000.00", "due_date": _day(-10)}
    histories = [[], _burst_at(-2, 3), _burst_at(-3, 4), _burst_at(-1, 4)]
    active, planner = _plans_with_histories(policy, row, histories, "R")
    assert [status for status, _rows in active] == ["active"] * 4
    called = [("/call@10" in rows_text and ",scheduled," in rows_text) for _status, rows_text in active]
    assert called == [True, True, False, False]
    assert "cap/calls-per-week" in active[2][1] and active[2][1] == active[3][1]
    # no history or three calls (which no cap can refuse a call for), and four calls (on
    # whichever day of the week): two decisions, each planned in full, none blind to the caps
    assert planner.learned == 2 and len(planner.templates) == 2
    assert [t.checked for t in planner.templates.values()] == [("call",), ("call",)]
    paused, planner = _plans_with_histories(policy, {**row, "promise_to_pay_date": _day(5)}, histories, "R")
    assert {status for status, _rows in paused} == {"paused"}
    assert len({rows_text for _status, rows_text in paused}) == 1
    assert planner.learned == 1 and len(planner.templates) == 2
    assert [list(known) for known in planner.by_caps.values()] == [[((), "")]]


def test_a_history_no_cap_can_count_decides_as_none(policy: Policy) -> None:
    # a CN account 10 days past due is called today (early/call@10, the champion arm's). With
    # no history its first call is not checked (no cap of the call channel refuses a first
    # contact); with three attempts this week (the policy's four a week less the one call the
    # plan adds) or three failed calls today (no cap counts them) the check allows it: one key,
    # one decision, planned once — the first row's, without events. Four calls this week, or
    # two answered today (China's one-touch-a-day: at most two contacts a day), refuse it: a
    # key of their own each
    cn = {"jurisdiction": "CN", "currency": "CNY", "timezone": "Asia/Shanghai", "phone": "+8613812345678"}
    row = {**BASE, **cn, "overdue_amount": "6000.00", "due_date": _day(-10)}
    failed = [{**e, "event": "failed"} for e in _burst_at(0, 3)]
    histories = [[], _burst_at(-2, 3), failed, [], _burst_at(-2, 4), _burst_at(0, 2)]
    plans, planner = _plans_with_histories(policy, row, histories, "R")
    head = "S,S-early-call10-20261128,call,call-early,zh-CN,"
    tail = ",3,early,champion,step/early/call@10"
    called = "scheduled,2026-11-28T10:00:00+08:00,2026-11-28T18:00:00+08:00,2026-11-28T02:00:00Z,2026-11-28T10:00:00Z"
    assert plans == [
        *[("active", f"{head}{called}{tail}\r\n")] * 4,
        ("active", f"{head}suppressed,,,,{tail};cap/calls-per-week\r\n"),
        ("active", f"{head}suppressed,,,,{tail};cap/one-touch-a-day\r\n"),
    ]
    assert planner.learned == 3 and len(planner.templates) == 3


def test_a_decision_whose_key_is_the_one_without_history_is_learned_without_events(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the CN account 10 days past due of the test above, with histories only: three failed
    # calls today (no cap counts them) and three attempts this week (short of the four a
    # week less the plan's call) leave its key the one it has without a history, so the
    # decision is learned from the first row without building its events; four calls this
    # week refuse the call (a key of its own), planned with its events
    import dunning.plan.columnar as columnar
    from dunning.accounts.history.timeline import events_of

    asked: list[list[str]] = []

    def recorded(lines: pl.DataFrame) -> dict[str, tuple[Contact, ...]]:
        asked.append(sorted(set(lines["account_id"].to_list())))
        return events_of(lines)

    monkeypatch.setattr(columnar, "events_of", recorded)
    cn = {"jurisdiction": "CN", "currency": "CNY", "timezone": "Asia/Shanghai", "phone": "+8613812345678"}
    row = {**BASE, **cn, "overdue_amount": "6000.00", "due_date": _day(-10)}
    failed = [{**e, "event": "failed"} for e in _burst_at(0, 3)]
    plans, planner = _plans_with_histories(policy, row, [failed, _burst_at(-2, 3), _burst_at(-2, 4)], "N")
    head = "S,S-early-call10-20261128,call,call-early,zh-CN,"
    tail = ",3,early,champion,step/early/call@10"
    called = "scheduled,2026-11-28T10:00:00+08:00,2026-11-28T18:00:00+08:00,2026-11-28T02:00:00Z,2026-11-28T10:00:00Z"
    assert plans == [
        *[("active", f"{head}{called}{tail}\r\n")] * 2,
        ("active", f"{head}suppressed,,,,{tail};cap/calls-per-week\r\n"),
    ]
    assert planner.learned == 2 and len(planner.templates) == 2
    assert asked == [["N-2"]]


def test_a_call_moved_into_a_later_tier_is_checked_there_with_or_without_a_history(policy: Policy) -> None:
    # a CN account (a New York phone) 59 days past due, its call moved by the timetable to
    # 2026-11-30, when it is 61 days past due and below the small balance of the late tier:
    # the call is checked on that day and the exclusion holds, whether the account has a
    # history (one failed text, long ago: nothing a cap counts) or none. Without one, the
    # first call used to go unchecked (no cap can refuse it) and stayed deferred to a day
    # the gate refuses.
    row = {**BASE, **ITEMIZATION, "jurisdiction": "CN", "currency": "EUR", "overdue_amount": "292.91"}
    row |= {"due_date": _day(-59), "timezone": "", "phone": "+12125550142", "product": "card", "segment": "retail"}
    old = {"at": "2026-11-03T02:30:00-05:00", "event": "failed", "channel": "sms"}
    plans, _planner = _plans_with_histories(with_state_conditions(policy), row, [[old], []], horizon=3)
    assert [rows_text.split(",")[5] for _status, rows_text in plans] == ["suppressed", "suppressed"]
    for _status, rows_text in plans:
        assert rows_text.rstrip().endswith(";timetable/china;exclusion/small-balance")


def test_a_decision_is_shared_across_the_caps_of_rules_its_contacts_do_not_meet(policy: Policy) -> None:
    # CN accounts 21 days past due, without a history or with four calls this week (the
    # policy's four a week). The experiment's challenger arm (early-empathetic) calls today
    # and sends the CN letter (held to Monday: no letters on a Saturday): the four calls
    # refuse its call, two decisions. The champion arm (early) only sends the letter, so the
    # call caps the steps of the day hold in the key (the challenger's call is one of them)
    # meet none of its contacts: the four calls change nothing, one decision serves both
    cn = {"jurisdiction": "CN", "currency": "CNY", "timezone": "Asia/Shanghai", "phone": "+8613812345678"}
    row = {**BASE, **cn, "overdue_amount": "6000.00", "due_date": _day(-21)}
    calls = _burst_at(-2, 4)
    # C-0 and C-2 draw the challenger arm, C-1 and C-3 the champion
    plans, planner = _plans_with_histories(policy, row, [[], [], calls, calls], "C")
    letter = ",letter,letter-notice,zh-CN,suppressed,,,,,4,early,{arm},step/{strategy}/letter@21;weekday\r\n"
    champion = "S,S-early-letter21-20261128" + letter.format(arm="champion", strategy="early")
    challenger = "S,S-early-empathetic-letter21-20261128" + letter.format(arm="challenger", strategy="early-empathetic")
    call = "S,S-early-empathetic-call9-20261128,call,call-early,zh-CN,"
    tail = ",3,early,challenger,step/early-empathetic/call@9"
    called = "scheduled,2026-11-28T10:00:00+08:00,2026-11-28T18:00:00+08:00,2026-11-28T02:00:00Z,2026-11-28T10:00:00Z"
    assert plans == [
        ("active", f"{call}{called}{tail}\r\n{challenger}"),
        ("active", champion),
        ("active", f"{call}suppressed,,,,{tail};cap/calls-per-week\r\n{challenger}"),
        ("active", champion),
    ]
    # four keys, three decisions planned in full: the champion's with four calls is served.
    # The letter, held past the horizon without a window, never comes to a check: the
    # decisions' channels checked are the call alone, and none for the champion's
    assert planner.learned == 3 and len(planner.templates) == 4
    assert sorted(t.checked for t in planner.templates.values()) == [()] * 2 + [("call",)] * 2


def test_a_call_suppressed_before_its_check_reads_no_caps(policy: Policy) -> None:
    # the same CN accounts with an invalid phone: the challenger's call is suppressed
    # (data/phone-invalid) before it comes to a check, and the letter finds no window (a
    # Saturday): no contact reads the caps, so four calls this week change nothing — one
    # decision serves the challenger with and without them, one the champion
    cn = {"jurisdiction": "CN", "currency": "CNY", "timezone": "Asia/Shanghai", "phone": "12345"}
    row = {**BASE, **cn, "overdue_amount": "6000.00", "due_date": _day(-21)}
    calls = _burst_at(-2, 4)
    plans, planner = _plans_with_histories(policy, row, [[], [], calls, calls], "C")
    assert plans[0] == plans[2] and plans[1] == plans[3]
    assert ",call,call-early,zh-CN,suppressed," in plans[0][1] and "data/phone-invalid" in plans[0][1]
    assert planner.learned == 2 and sorted(t.checked for t in planner.templates.values()) == [()] * 4


def test_the_caps_of_a_row_whose_decision_has_no_contact_are_not_read(policy: Policy) -> None:
    # the CN account 10 days past due with an open promise (no contact planned) and four
    # calls this week: planned once, its key holds its caps; planned again, its decision
    # without caps is known to have no contact to check, so its caps part is left empty and
    # the decision served from the caps-free key; the same account without the promise
    # (a call to check) keeps its caps in the key both times
    cn = {"jurisdiction": "CN", "currency": "CNY", "timezone": "Asia/Shanghai", "phone": "+8613812345678"}
    row = {**BASE, **cn, "overdue_amount": "6000.00", "due_date": _day(-10)}
    rows = [
        {**row, "account_id": "P-0", "promise_to_pay_date": _day(5)},
        {**row, "account_id": "A-0", "promise_to_pay_date": ""},
    ]
    history, lines = _history_of(rows, {0: _burst_at(-2, 4), 1: _burst_at(-2, 4)})
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).with_columns(
        pl.int_range(0, len(rows), dtype=pl.Int64).alias(LINE)
    )
    screened = screen_frame(frame, frozenset(policy.jurisdictions))
    planner = ColumnarPlanner(Planner(policy, AS_OF))
    first = planner.plan(screened, History(), lines).records()
    keys = list(planner.templates)
    assert [k.rsplit("\x1e", 1)[1] for k in keys] == ["2.0:4", "2.0:4"]
    assert [t.checked for t in planner.templates.values()] == [(), ("call",)]
    assert planner.blind == {keys[0].rsplit("\x1e", 1)[0]}
    again = planner.plan(screened, History(), lines).records()
    assert again == first and planner.learned == 2
    # the paused row's key without caps, served by the decision of its caps part
    assert [k.rsplit("\x1e", 1)[1] for k in planner.templates] == ["2.0:4", "2.0:4", ""]
    full = Planner(policy, AS_OF)
    for record, acct in zip(again, accounts_of(screened.good, screened.extra_columns), strict=True):
        assert record[4] == plan_record(full.plan(acct, history.get(acct.account_id)))[0]
