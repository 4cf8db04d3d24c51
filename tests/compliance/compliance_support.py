"""Helpers for the compliance tests: the test policy's folder and accounts built from fields."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from dunning.accounts.model import Account

REPO = Path(__file__).with_name("repo")
# `gate` refuses a policy that validate fails; the compliance test policy is deliberately
# looser than the law (to show the law layer on its own), so the gate's tests run on a copy
# whose windows are within the law and whose steps need no templates.
GATE_REPO = REPO.with_name("gate_repo")
# a snapshot row the gate's tests send (as JSON) with each request
GATE_ACCOUNT = {
    "account_id": "A-1",
    "jurisdiction": "US",
    "currency": "USD",
    "overdue_amount": "120.00",
    "due_date": "2026-10-01",
    "phone": "+12125550100",
    "email": "debtor@example.com",
    "address": "1 Main St",
}


_PHONES = {"US": "+12125550100", "CN": "+8613800000000", "GB": "+447700900123"}


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
    # every contact point on file, the phone of the account's own country (a contact point
    # that is missing removes its channels, data/<point>-missing)
    country = str(base["jurisdiction"]).split("-", 1)[0]
    base.setdefault("phone", _PHONES.get(country, ""))
    base.setdefault("email", "debtor@example.com")
    base.setdefault("address", "1 Main St")
    base["flags"] = frozenset(base.get("flags", ()))
    return Account(**base)
