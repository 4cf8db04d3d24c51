"""Helpers for planner tests: accounts built from the contract, plans and their rows."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from dunning.accounts.events import canonical
from dunning.accounts.model import Account, Contact
from dunning.accounts.record import parse_record
from dunning.plan.decide import Planner
from dunning.plan.model import AccountPlan
from dunning.policy.model import Policy

BASE = {
    "account_id": "T-0001",
    "jurisdiction": "US",
    "currency": "USD",
    "overdue_amount": "500.00",
    "due_date": "2026-10-01",
    "timezone": "America/New_York",
    "phone": "+12125550100",
    "email": "debtor@example.com",
    "address": "1 Main St",
}
# the Regulation F itemization a US account of the snapshot must carry (R018)
ITEMIZATION = {
    "creditor": "Example Bank",
    "itemization_date": "2026-09-01",
    "itemization_amount": "500",  # whole units: valid in every currency (JPY too)
    "interest_since_itemization": "0",
    "fees_since_itemization": "0",
    "payments_since_itemization": "0",
    "credits_since_itemization": "0",
}


def account(policy: Policy, **changes: object) -> Account:
    """An account row of the contract with ``changes``; the row must be valid."""
    row: dict[str, object] = {**BASE, **changes}
    if str(row["jurisdiction"]).startswith("US"):
        row = {**ITEMIZATION, **row}
    found = parse_record(row, 2, frozenset(policy.jurisdictions))
    assert isinstance(found, Account), found
    return found


def due(as_of: date, dpd: int) -> str:
    """The due date that makes the account ``dpd`` days past due on ``as_of``."""
    return date.fromordinal(as_of.toordinal() - dpd).isoformat()


def contact(at: str, outcome: str = "no_answer", channel: str = "call", account_id: str = "T-0001") -> Contact:
    """A history event at an ISO time with offset (an old word as its vocabulary spelling)."""
    return Contact(account_id, datetime.fromisoformat(at), channel, canonical(outcome))


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


MIXED_AS_OF = date(2026, 11, 28)


def mixed_portfolio(policy: Policy, n: int) -> list[Account]:
    """``n`` varied example accounts and a twin of each that differs only in id and balance digits."""
    rng = random.Random(11)
    out = []
    for i in range(n):
        cn = rng.random() < 0.5
        dpd = rng.choice([0, 1, 3, 8, 10, 14, 21, 31, 32, 35, 45, 61, 62, 70, 75, 91, 100, 120, 130])
        promise = rng.choice(["", "", "", (MIXED_AS_OF + timedelta(days=rng.randint(-9, 6))).isoformat()])
        row = {
            "account_id": f"F{i:05d}",
            "jurisdiction": "CN" if cn else rng.choice(["US", "US", "US-MA"]),
            "currency": "CNY" if cn else "USD",
            "timezone": "Asia/Shanghai" if cn else rng.choice(["America/New_York", "America/Phoenix", ""]),
            # every known location counts: a stated zone, a phone in another, a state without a ZIP
            "phone": "+8613812345678" if cn else rng.choice(["+12125550142", "+13105550142"]),
            "overdue_amount": rng.choice(
                ["5.30", "30.20", "99.90", "150.40", "700.70", "2999.80", "6000.50", "25000.10"]
            ),
            "due_date": (MIXED_AS_OF - timedelta(days=dpd)).isoformat(),
            "last_payment_date": (MIXED_AS_OF - timedelta(days=rng.randint(0, 200))).isoformat(),
            "promise_to_pay_date": promise,
            "email": rng.choice(["", "x@example.com"]),
            "address": rng.choice(["", "1 Main St", "1 Main St, Los Angeles, CA", "1 Main St, Denver, CO 80202"]),
            "segment": rng.choice(["retail", "retail", "staff"]),
            "hardship": rng.choice(["", "", "yes"]),
            "vulnerable": rng.choice(["", "", "", "yes"]),
            "sms_opt_out": rng.choice(["", "", "yes"]),
        }
        out.append(account(policy, **row))
        # a twin that differs only in id and balance digits decides alike: it takes the shared path
        twin = {**row, "account_id": f"G{i:05d}", "overdue_amount": row["overdue_amount"].rstrip("0") + "1"}
        out.append(account(policy, **twin))
    return out
