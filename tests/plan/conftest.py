"""Helpers for planner tests: the bundled example policy and accounts built from the contract."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from dunning.accounts.model import Account, Contact
from dunning.accounts.record import parse_record
from dunning.plan.decide import Planner
from dunning.plan.model import AccountPlan
from dunning.policy import require_policy
from dunning.policy.model import Policy

BASE = {
    "account_id": "T-0001",
    "jurisdiction": "US",
    "currency": "USD",
    "overdue_amount": "500.00",
    "due_date": "2026-10-01",
    "timezone": "America/New_York",
    "email": "debtor@example.com",
    "address": "1 Main St",
}


@pytest.fixture(scope="session")
def policy(example_root: Path) -> Policy:
    """The bundled example policy, compiled."""
    return require_policy(example_root)


def account(policy: Policy, **changes: object) -> Account:
    """An account row of the contract with ``changes``; the row must be valid."""
    row: dict[str, object] = {**BASE, **changes}
    found = parse_record(row, 2, frozenset(policy.jurisdictions))
    assert isinstance(found, Account), found
    return found


def due(as_of: date, dpd: int) -> str:
    """The due date that makes the account ``dpd`` days past due on ``as_of``."""
    return date.fromordinal(as_of.toordinal() - dpd).isoformat()


def contact(at: str, outcome: str = "no_answer", channel: str = "call", account_id: str = "T-0001") -> Contact:
    """A history event at an ISO time with offset."""
    return Contact(account_id, datetime.fromisoformat(at), channel, outcome)


def plan_of(
    policy: Policy, acct: Account, as_of: date, horizon: int = 0, history: Sequence[Contact] = ()
) -> AccountPlan:
    """The account's plan."""
    return Planner(policy, as_of, horizon).plan(acct, history)


def rows(plan: AccountPlan) -> list[tuple[Any, ...]]:
    """(channel, status, not_before, not_after, reasons) per action, times as ISO text."""
    return [
        (
            a.channel,
            a.status,
            a.not_before.isoformat() if a.not_before else None,
            a.not_after.isoformat() if a.not_after else None,
            a.reasons,
        )
        for a in plan.actions
    ]


Make = Callable[..., Account]
