"""Day-by-day planning with a history that records sends: the helpers of the cadence tests
(tests/plan/test_backlog.py, test_notice_owed.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dunning.accounts.model import Account, Contact
from dunning.plan.decide import Planner
from dunning.plan.model import AccountPlan
from dunning.policy.model import Policy

DUE = date(2026, 6, 1)  # every account here fell due on 1 June; day n past due is DUE + n


def on(dpd: int) -> date:
    """The day the accounts of these tests are ``dpd`` days past due."""
    return DUE + timedelta(days=dpd)


def plan(policy: Policy, acct: Account, dpd: int, history: list[Contact] | None = None) -> AccountPlan:
    """The plan of day ``dpd`` in a run whose history records sends (catch-up is on)."""
    return Planner(policy, on(dpd), 0, tracks_sent=True).plan(acct, history or [])


def brief(p: AccountPlan) -> list[tuple[Any, ...]]:
    """(action id, status, reasons) of each action of ``p``."""
    return [(a.id, a.status, a.reasons) for a in p.actions]
