"""The columnar path writes exactly the bytes the full planner writes, offers included."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from dunning.accounts.history.rows import History
from dunning.accounts.read import screen_frame
from dunning.accounts.source import AccountFile
from dunning.plan.arms import assign_arm
from dunning.plan.columnar import ColumnarPlanner
from dunning.plan.decide import Planner
from dunning.plan.output import plan_record
from dunning.policy.model import Amounts, Policy

from .plan_support import mixed_portfolio

AS_OF = date(2026, 11, 28)
COLUMNS = [
    "account_id", "jurisdiction", "currency", "timezone", "phone", "overdue_amount", "due_date",
    "last_payment_date", "promise_to_pay_date", "email", "address", "segment", "hardship", "vulnerable", "sms_opt_out",
    "creditor", "itemization_date", "itemization_amount", "interest_since_itemization", "fees_since_itemization",
    "payments_since_itemization", "credits_since_itemization",
]  # fmt: skip


def _cell(value: object) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize("horizon", [0, 5])
def test_columnar_equals_full_planner(policy: Policy, tmp_path: Path, horizon: int) -> None:
    _assert_columnar_equals_full(policy, tmp_path, horizon)


@pytest.mark.parametrize("horizon", [0, 3])
def test_columnar_equals_full_planner_when_the_run_tracks_sends(policy: Policy, tmp_path: Path, horizon: int) -> None:
    # catch-up, missed steps and waiting escalations depend on days past due: the day classes
    # must tell them apart (plan/backlog.py), or a shared decision would be wrong
    _assert_columnar_equals_full(policy, tmp_path, horizon, tracks_sent=True)


def test_columnar_offers_follow_each_currencys_minimum(policy: Policy, tmp_path: Path) -> None:
    # every offer's terms come from one pass over per-(offer, currency) numbers: a currency
    # listed with no minimum (0) has none even when a default exists, as in offers.py; a
    # minimum that is no whole number of units still divides exactly
    hardship, payment, settlement = policy.offers
    offers = (
        replace(hardship, min_instalment=Amounts({"CNY": Decimal(0)}, Decimal("40"))),
        replace(payment, min_instalment=Amounts({"USD": Decimal("7.5")}, None)),
        replace(settlement, instalments=3, min_instalment=Amounts({}, Decimal("333.33"))),
    )
    _assert_columnar_equals_full(replace(policy, offers=offers), tmp_path, 0)


def _assert_columnar_equals_full(policy: Policy, tmp_path: Path, horizon: int, *, tracks_sent: bool = False) -> None:
    accounts = mixed_portfolio(policy, 600)
    # ids that start like a spreadsheet formula: their actions.csv cells are neutralised
    # (a plain number such as "-12" is not), the same bytes on both paths
    prefixes = ("=", "+", "@", "-")
    accounts = [
        replace(a, account_id=prefixes[i // 7 % 4] + a.account_id) if i % 7 == 0 else a for i, a in enumerate(accounts)
    ]
    accounts = [replace(a, account_id=f"-1{i}") if i % 7 == 3 else a for i, a in enumerate(accounts)]
    rows = [
        {
            **{c: _cell(getattr(a, c)) for c in COLUMNS if c not in ("hardship", "vulnerable", "sms_opt_out")},
            **{f: "yes" if a.flag(f) else "" for f in ("hardship", "vulnerable", "sms_opt_out")},
        }
        for a in accounts
    ]
    path = tmp_path / "a.csv"
    pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String)).write_csv(path)
    planner = ColumnarPlanner(Planner(policy, AS_OF, horizon, tracks_sent=tracks_sent))
    full = Planner(policy, AS_OF, horizon, tracks_sent=tracks_sent)
    got = []
    for frame, _ in AccountFile(path, chunk_rows=500).frames():
        got.extend(planner.plan(screen_frame(frame, frozenset(policy.jurisdictions)), History()).records())
    got.sort(key=lambda r: r[1])
    assert len(got) == len(accounts)
    for record, acct in zip(got, accounts, strict=True):
        line, csv_rows, status, tier, stats = plan_record(full.plan(acct))
        assert record == (acct.account_id, record[1], status, tier, line, csv_rows, stats), acct.account_id
    assert len(planner.templates) < len(accounts) * 3 // 4  # decisions were shared (the twins)
    # both chunks learned: the template table the next chunk joins is one piece, every key in it
    assert planner._table.n_chunks() == 1
    assert sorted(planner._table["__key"].to_list()) == sorted(planner.templates)
    neutralised = [r[5] for r in got if r[5].startswith(("'=", "'+", "'@", "'-"))]
    assert len(neutralised) > 20
    assert any(r[0].startswith("-1") and r[5].startswith(r[0] + ",") for r in got)  # a plain number: as is


# a CN account's snapshot row with only what the tests below vary left empty
_CN_ROW = {
    "account_id": "", "jurisdiction": "CN", "currency": "CNY", "timezone": "Asia/Shanghai",
    "phone": "+8613812345678", "overdue_amount": "1200.00", "due_date": "",
    "last_payment_date": "", "promise_to_pay_date": "", "email": "", "address": "", "segment": "",
    "hardship": "", "vulnerable": "", "sms_opt_out": "",
}  # fmt: skip


def test_promises_past_the_horizon_share_a_template_and_keep_their_own_dates(policy: Policy, tmp_path: Path) -> None:
    base = {**_CN_ROW, "due_date": "2026-11-25"}
    promises = {"P-1": "2026-12-05", "P-2": "2026-12-24", "P-3": "2026-11-28"}
    rows = [{**base, "account_id": k, "promise_to_pay_date": v} for k, v in promises.items()]
    path = tmp_path / "a.csv"
    pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String)).write_csv(path)
    planner = ColumnarPlanner(Planner(policy, AS_OF, 0))
    ((frame, _),) = AccountFile(path).frames()
    got = {r[0]: r[4] for r in planner.plan(screen_frame(frame, frozenset(policy.jurisdictions)), History()).records()}
    grace = policy.settings.promise_grace_days
    assert grace == 3
    for account_id, until in (("P-1", "2026-12-08"), ("P-2", "2026-12-27"), ("P-3", "2026-12-01")):
        words = f"promise to pay on {promises[account_id]}; cadence paused until {until}"
        assert f'"exclusions":[{{"code":"promise/open","reason":"{words}"}}]' in got[account_id].decode()
    # P-1 and P-2 (both after the as-of date + horizon) were planned from one template (the
    # reminder tier runs no experiment, so no arm tells them apart)
    assert len(planner.templates) == 2


def test_a_worker_adopts_the_templates_another_logged(policy: Policy, tmp_path: Path) -> None:
    import pickle

    from dunning.plan.build import PlanInputs, _log_entry
    from dunning.plan.chunk import PlanningState, plan_chunk

    accounts = mixed_portfolio(policy, 400)
    rows = [
        {
            **{c: _cell(getattr(a, c)) for c in COLUMNS if c not in ("hardship", "vulnerable", "sms_opt_out")},
            **{f: "yes" if a.flag(f) else "" for f in ("hardship", "vulnerable", "sms_opt_out")},
        }
        for a in accounts
    ]
    path = tmp_path / "a.csv"
    pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String)).write_csv(path)
    inputs = PlanInputs(Path(policy.root), path, AS_OF)
    ((frame, _),) = AccountFile(path).frames()
    first, second = PlanningState(inputs, policy), PlanningState(inputs, policy)
    for state in (first, second):
        state.columnar.take_fresh()  # as a pool worker does
    plan_chunk(first, frame, tmp_path / "first")
    learned = first.columnar.take_fresh()
    assert len(learned) == len(first.columnar.templates) > 10
    log = tmp_path / "templates.log"
    entries = [_log_entry(pickle.dumps(part)) for part in (learned[:5], learned[5:])]
    log.write_bytes(entries[0] + entries[1][:-1])  # the second entry is still being written
    second.catch_up(log)
    assert list(second.columnar.templates) == [key for key, _ in learned[:5]]
    assert second.log_read == len(entries[0])
    log.write_bytes(entries[0] + entries[1])
    second.catch_up(log)
    assert second.columnar.templates == first.columnar.templates
    assert second.log_read == log.stat().st_size
    plan_chunk(second, frame, tmp_path / "second")
    assert second.columnar.take_fresh() == []  # nothing left to learn
    for suffix in (".plans", ".csv"):
        assert (tmp_path / f"second{suffix}").read_bytes() == (tmp_path / f"first{suffix}").read_bytes()


def test_workers_hand_their_templates_over_mid_chunk(
    policy: Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers planning at once learn each key once: each learns its half of the keys
    first and hands over every batch; a worker that finds a batch's keys in the log takes
    them (the same bytes as learning them)."""
    from dunning.plan import columnar
    from dunning.plan.build import PlanInputs
    from dunning.plan.chunk import PlanningState, plan_chunk

    monkeypatch.setattr(columnar, "_BATCH", 4)
    flags = ("hardship", "vulnerable", "sms_opt_out")
    rows = [
        {
            **{c: _cell(getattr(a, c)) for c in COLUMNS if c not in flags},
            **{f: "yes" if a.flag(f) else "" for f in flags},
        }
        for a in mixed_portfolio(policy, 400)
    ]
    path = tmp_path / "a.csv"
    pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String)).write_csv(path)
    inputs = PlanInputs(Path(policy.root), path, AS_OF)
    ((frame, _),) = AccountFile(path).frames()
    alone = PlanningState(inputs, policy)
    plan_chunk(alone, frame, tmp_path / "alone")
    keys = len(alone.columnar.templates)
    log = tmp_path / "templates.log"
    log.touch()
    first, second = PlanningState(inputs, policy), PlanningState(inputs, policy)
    for slot, state in enumerate((first, second)):
        state.columnar.take_fresh()  # as a pool worker does
        state.log, state.columnar.slot, state.columnar.exchange = log, slot, state.exchange
    plan_chunk(first, frame, tmp_path / "first")
    assert first.columnar.learned == alone.columnar.learned > 3 * 4
    plan_chunk(second, frame, tmp_path / "second")
    # its first batch before it looked, then only what the first had not handed over yet
    # (its last batch, which the parent logs once the chunk is done)
    assert second.columnar.learned <= 4 + 4
    assert len(second.columnar.templates) == keys
    for name in ("first", "second"):
        for suffix in (".plans", ".csv"):
            assert (tmp_path / f"{name}{suffix}").read_bytes() == (tmp_path / f"alone{suffix}").read_bytes()


def test_columnar_arms_are_the_documented_hash_of_exact_ids(policy: Policy, tmp_path: Path) -> None:
    # the arm of each account in an experiment's tier is assign_arm's (sha256 of the
    # experiment and the id); rows outside its tiers are not hashed and carry none. The ids
    # and their arms are fixed here: a change to how the key reads the arm fails this.
    base = {**_CN_ROW, "due_date": "2026-11-08"}
    early = [f"A{i:09d}" for i in range(12)] + ["T-0001", "王芳-1"]
    rows = [{**base, "account_id": k} for k in early]
    rows += [{**base, "account_id": k, "due_date": "2026-11-25"} for k in ("R-1", "R-2")]  # reminder: no experiment
    path = tmp_path / "a.csv"
    pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String)).write_csv(path)
    planner = ColumnarPlanner(Planner(policy, AS_OF, 0))
    ((frame, _),) = AccountFile(path).frames()
    got = {
        r[0]: json.loads(r[4])["arm"]
        for r in planner.plan(screen_frame(frame, frozenset(policy.jurisdictions)), History()).records()
    }
    experiment = policy.experiments[0]
    assert {k: got[k] for k in early} == {k: assign_arm(experiment, k).id for k in early}  # type: ignore[union-attr]
    challengers = [k for k in early if got[k] == "challenger"]
    assert challengers == ["A000000000", "A000000009"]
    assert (got["R-1"], got["R-2"]) == (None, None)
