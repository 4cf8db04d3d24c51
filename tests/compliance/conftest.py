"""Fixtures for the compliance tests: a small policy with wide windows (so the law decides)
and a helper that builds accounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dunning.accounts.model import Account
from dunning.compliance.engine import ContactEngine
from dunning.policy import require_policy
from dunning.policy.model import Policy

REPO = Path(__file__).with_name("repo")


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The compliance test policy (tests/compliance/repo)."""
    return require_policy(REPO)


@pytest.fixture
def engine(policy: Policy) -> ContactEngine:
    """A fresh engine (its caches empty) on the test policy."""
    return ContactEngine(policy)


def account(**fields: Any) -> Account:
    """An account with sensible defaults; ``flags`` may be given as an iterable of names."""
    base: dict[str, Any] = {
        "account_id": "A-1",
        "jurisdiction": "US",
        "currency": "USD",
        "overdue_amount": Decimal("250.00"),
        "due_date": date(2026, 10, 1),
    }
    base.update(fields)
    base["flags"] = frozenset(base.get("flags", ()))
    return Account(**base)
