"""The columnar path writes exactly the bytes the full planner writes, offers included."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from test_fast import _portfolio

from dunning.accounts.read import screen_frame
from dunning.accounts.source import AccountFile
from dunning.plan.columnar import ColumnarPlanner
from dunning.plan.decide import Planner
from dunning.plan.fast import _full
from dunning.policy.model import Policy

AS_OF = date(2026, 11, 28)
COLUMNS = [
    "account_id", "jurisdiction", "currency", "timezone", "phone", "overdue_amount", "due_date",
    "last_payment_date", "promise_to_pay_date", "email", "address", "segment", "hardship", "vulnerable", "sms_opt_out",
]  # fmt: skip


@pytest.mark.parametrize("horizon", [0, 5])
def test_columnar_equals_full_planner(policy: Policy, tmp_path: Path, horizon: int) -> None:
    accounts = _portfolio(policy, 600)
    rows = [
        {
            **{c: str(getattr(a, c) or "") for c in COLUMNS if c not in ("hardship", "vulnerable", "sms_opt_out")},
            **{f: "yes" if a.flag(f) else "" for f in ("hardship", "vulnerable", "sms_opt_out")},
        }
        for a in accounts
    ]
    path = tmp_path / "a.csv"
    pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String)).write_csv(path)
    planner = ColumnarPlanner(Planner(policy, AS_OF, horizon))
    full = Planner(policy, AS_OF, horizon)
    got = []
    for frame, _ in AccountFile(path, chunk_rows=500).frames():
        got.extend(planner.plan(screen_frame(frame, frozenset(policy.jurisdictions)), {}).records())
    got.sort(key=lambda r: r[1])
    assert len(got) == len(accounts)
    for record, acct in zip(got, accounts, strict=True):
        line, csv_rows, status, tier, stats = _full(full.plan(acct))
        assert record == (acct.account_id, record[1], status, tier, line, csv_rows, stats), acct.account_id
    assert len(planner.templates) < len(accounts) * 3 // 4  # decisions were shared (the twins)
