"""Helpers for the compliance tests: the test policy's folder and accounts built from fields."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from dunning.accounts.model import Account

REPO = Path(__file__).with_name("repo")


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
