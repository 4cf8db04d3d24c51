"""A kept promise is not a broken one: conditions with `promise: broken` must not match it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dunning.accounts.model import Account
from dunning.compliance.conditions import promise_state
from dunning.policy.model import Promise


def account(promised: date | None, paid: date | None) -> Account:
    return Account(
        account_id="A1",
        jurisdiction="US",
        currency="USD",
        overdue_amount=Decimal("100.00"),
        due_date=date(2026, 10, 1),
        promise_to_pay_date=promised,
        last_payment_date=paid,
    )


def test_no_promise() -> None:
    assert promise_state(account(None, None), date(2026, 11, 28), 3) is Promise.NONE


def test_open_promise_until_date_plus_grace() -> None:
    assert promise_state(account(date(2026, 11, 25), None), date(2026, 11, 28), 3) is Promise.ANY


def test_broken_the_day_after_grace_without_payment() -> None:
    assert promise_state(account(date(2026, 11, 24), None), date(2026, 11, 28), 3) is Promise.BROKEN


def test_kept_when_paid_on_or_after_the_promised_date() -> None:
    assert promise_state(account(date(2026, 11, 20), date(2026, 11, 20)), date(2026, 11, 28), 3) is Promise.NONE


def test_payment_before_the_promise_does_not_keep_it() -> None:
    assert promise_state(account(date(2026, 11, 20), date(2026, 11, 19)), date(2026, 11, 28), 3) is Promise.BROKEN
