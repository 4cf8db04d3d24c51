"""One answer for "is the promise open, kept or broken": the state module's ledger, which the
planner, the conditions and the gate all ask (they used to disagree)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from dunning.accounts.model import Account, Contact
from dunning.compliance.conditions import holds
from dunning.policy.model import Condition, Promise
from dunning.state import account_state

UTC8 = timezone(timedelta(hours=8))


def account(promised: date | None, paid: date | None, amount: str | None = None) -> Account:
    return Account(
        account_id="A1",
        jurisdiction="US",
        currency="USD",
        overdue_amount=Decimal("100.00"),
        due_date=date(2026, 10, 1),
        promise_to_pay_date=promised,
        promise_amount=Decimal(amount) if amount is not None else None,
        last_payment_date=paid,
    )


def status(acct: Account, as_of: date, history: tuple[Contact, ...] = ()) -> str:
    return account_state(acct, history, as_of, 3).promise_status(as_of)


def event(day: str, word: str, **fields: object) -> Contact:
    return Contact("A1", datetime.fromisoformat(day + "T10:00:00+08:00"), "", word, **fields)  # type: ignore[arg-type]


def test_no_promise() -> None:
    assert status(account(None, None), date(2026, 11, 28)) == "none"


def test_open_until_date_plus_grace_then_broken() -> None:
    acct = account(date(2026, 11, 25), None)
    assert [status(acct, date(2026, 11, d)) for d in (25, 28, 29)] == ["open", "open", "broken"]


def test_paid_on_the_promised_day_is_kept_the_next_day_within_grace() -> None:
    # the case the planner ("open") and the conditions ("none") answered differently
    acct = account(date(2026, 11, 27), date(2026, 11, 27))
    assert status(acct, date(2026, 11, 28)) == "kept"
    for promise, expected in ((Promise.NONE, True), (Promise.NOT_KEPT, True), (Promise.BROKEN, False)):
        ok, _ = holds(Condition(promise=promise), acct, as_of=date(2026, 11, 28), tier_id=None, promise_grace_days=3)
        assert ok is expected, promise


def test_a_payment_before_the_promise_or_after_its_grace_does_not_keep_it() -> None:
    assert status(account(date(2026, 11, 20), date(2026, 11, 19)), date(2026, 11, 28)) == "broken"
    assert status(account(date(2026, 11, 20), date(2026, 11, 24)), date(2026, 11, 28)) == "broken"


def test_a_promised_amount_is_kept_only_by_amounts_that_add_up_to_it() -> None:
    acct = account(None, None)
    promise = event("2026-11-10", "promise", amount=Decimal("300.00"), on=date(2026, 11, 20))
    part = event("2026-11-18", "payment", amount=Decimal("200.00"))
    rest = event("2026-11-22", "payment", amount=Decimal("100.00"))
    state = account_state(acct, (promise, part), date(2026, 11, 24), 3)
    assert (state.promise_status(date(2026, 11, 24)), state.promise and state.promise.paid(date(2026, 11, 24))) == (
        "broken",
        Decimal("200.00"),
    )
    assert status(acct, date(2026, 11, 24), (promise, part, rest)) == "kept"
    # the snapshot's payment date alone (amount unknown) does not keep a promise with an amount
    assert status(account(date(2026, 11, 20), date(2026, 11, 20), "300.00"), date(2026, 11, 28)) == "broken"


def test_broken_promises_are_counted_on_the_day_they_break() -> None:
    history = tuple(
        event(made, "promise", amount=Decimal("50"), on=date.fromisoformat(on))
        for made, on in (("2026-10-01", "2026-10-05"), ("2026-11-01", "2026-11-05"))
    )
    state = account_state(account(None, None), history, date(2026, 11, 30), 3)
    assert [p.broken_on() for p in state.promises] == [date(2026, 10, 9), date(2026, 11, 9)]
    assert state.outcomes_in("promise_broken", 60, date(2026, 11, 30)) == 2
    assert state.outcomes_in("promise_broken", 30, date(2026, 11, 30)) == 1


def test_the_state_holds_the_row_itself_when_it_folds_nothing_in() -> None:
    # no history: flags, payment and promise are the row's, so the row is the state's account
    acct = account(date(2026, 11, 25), date(2026, 11, 20), "40.50")
    assert account_state(acct, (), date(2026, 11, 28), 3).account is acct
    # a history promise with a later date is the current one: the row with it folded in
    later = event("2026-11-26", "promise", on=date(2026, 12, 2), amount=Decimal("30.00"))
    folded = account_state(acct, (later,), date(2026, 11, 28), 3).account
    assert folded is not acct
    assert (folded.promise_to_pay_date, folded.promise_amount) == (date(2026, 12, 2), Decimal("30.00"))
    assert (folded.last_payment_date, folded.flags) == (date(2026, 11, 20), frozenset())
    # a history flag is folded in, the rest of the row kept
    ceased = event("2026-11-27", "cease_contact")
    flagged = account_state(acct, (ceased,), date(2026, 11, 28), 3).account
    assert flagged.flags == frozenset({"cease_contact"})
    assert flagged.promise_amount is acct.promise_amount
