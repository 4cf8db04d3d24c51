"""Offer terms and offer choice (plan/offers.py), on the example policy and variants of its offers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from dunning.accounts.model import Contact
from dunning.plan.model import OfferTerms
from dunning.plan.offers import choose_offer, offer_terms, quantum
from dunning.policy.model import Amounts, Condition, Offer, Policy, Promise

from .plan_support import account, due, plan_of

AS_OF = date(2026, 12, 1)


def offer(policy: Policy, offer_id: str, **changes: object) -> Offer:
    """One of the example policy's offers with ``changes``."""
    return replace(next(o for o in policy.offers if o.id == offer_id), **changes)  # type: ignore[arg-type]


def with_offers(policy: Policy, *offers: Offer) -> Policy:
    return replace(policy, offers=offers)


def test_quantum_is_the_minor_unit() -> None:
    assert (quantum("USD"), quantum("JPY"), quantum("BHD")) == (Decimal("0.01"), Decimal("1"), Decimal("0.001"))
    assert str(quantum("USD")) == "0.01"


def test_terms_name_the_offer_currency_and_discount(policy: Policy) -> None:
    hardship = offer(policy, "hardship-plan")
    terms = offer_terms(hardship, account(policy, overdue_amount="120.00", hardship="yes"), AS_OF)
    # 10 % off 120.00 = 108.00; at least 10 USD a payment allows 10 payments, fewer than 12
    assert terms == OfferTerms(
        id="hardship-plan",
        kind="hardship",
        currency="USD",
        amounts=(Decimal("10.80"),) * 10,
        first_due_date=date(2026, 12, 31),
        interval_days=30,
        discount=Decimal("0.10"),
        discount_amount=Decimal("12.00"),
        total=Decimal("108.00"),
    )


@pytest.mark.parametrize(
    ("minimum", "count"),
    [
        ("1", 3),  # a minimum of exactly one unit is honoured: 3.00 allows three payments, not six
        ("0.50", 6),  # a minimum below one unit: six of 0.50
        ("0.75", 4),  # 3.00 // 0.75 = 4
        ("0.80", 3),  # 3.00 / 0.80 = 3.75 → three payments
        ("4", 1),  # more than the total: one payment, never none
    ],
)
def test_minimum_instalment_caps_the_number_of_payments(policy: Policy, minimum: str, count: int) -> None:
    plan = offer(policy, "payment-plan", min_instalment=Amounts({"USD": Decimal(minimum)}))
    terms = offer_terms(plan, account(policy, overdue_amount="3.00"), AS_OF)
    assert len(terms.amounts) == count
    assert sum(terms.amounts) == terms.total == Decimal("3.00")


def test_a_zero_minimum_is_no_minimum(policy: Policy) -> None:
    plan = offer(policy, "payment-plan", min_instalment=Amounts({"USD": Decimal(0)}))
    terms = offer_terms(plan, account(policy, overdue_amount="3.00"), AS_OF)
    assert terms.amounts == (Decimal("0.50"),) * 6


def test_a_minimum_for_another_currency_does_not_apply(policy: Policy) -> None:
    plan = offer(policy, "payment-plan", min_instalment=Amounts({"CNY": Decimal(100)}))
    terms = offer_terms(plan, account(policy, overdue_amount="3.00"), AS_OF)
    assert len(terms.amounts) == 6


# ---------------------------------------------------------------- which offer


def test_offer_chosen_by_days_past_due_through_the_tier(policy: Policy) -> None:
    # payment-plan holds for tiers mid (31-60) and late; settlement for recovery (91+)
    chosen = [(dpd, [o.id for o in plan_of(policy, account(policy, due_date=due(AS_OF, dpd)), AS_OF).offers])
              for dpd in (30, 31, 90, 91)]  # fmt: skip
    assert chosen == [(30, []), (31, ["payment-plan"]), (90, ["payment-plan"]), (91, ["settlement"])]


def test_offer_for_a_broken_promise_waits_out_the_grace_days(policy: Policy) -> None:
    # grace: 3 days (policies/portfolio.yaml). A promise for 2026-11-27 is broken from 12-01.
    broken = offer(policy, "settlement", id="after-broken-promise", when=Condition(promise=Promise.BROKEN))
    fallback = offer(policy, "payment-plan", when=Condition())
    choice = with_offers(policy, broken, fallback)
    for promised, expected in (("2026-11-27", "after-broken-promise"), ("2026-11-28", "payment-plan")):
        acct = account(policy, promise_to_pay_date=promised)
        found, skipped = choose_offer(choice, acct, AS_OF, None, ())
        assert found is not None and found.id == expected
        assert skipped == ([] if expected == "after-broken-promise" else [(broken, "condition/promise")])


def test_offer_on_a_kept_promise_or_none(policy: Policy) -> None:
    no_promise = offer(policy, "payment-plan", id="no-promise", when=Condition(promise=Promise.NONE))
    choice = with_offers(policy, no_promise)
    kept = account(policy, promise_to_pay_date="2026-11-20", last_payment_date="2026-11-20")
    open_promise = account(policy, promise_to_pay_date="2026-11-30")
    assert choose_offer(choice, kept, AS_OF, None, ())[0] == no_promise
    assert choose_offer(choice, open_promise, AS_OF, None, ()) == (None, [(no_promise, "condition/promise")])


def test_offer_after_unanswered_calls_reads_the_history(policy: Policy) -> None:
    after_calls = offer(policy, "payment-plan", id="after-calls", when=Condition(failed_attempts=2))
    choice = with_offers(policy, after_calls)
    acct = account(policy)
    calls = [Contact("T-0001", datetime.fromisoformat(f"2026-11-2{d}T10:00:00-05:00"), "call", "no_answer")
             for d in (5, 6)]  # fmt: skip
    assert choose_offer(choice, acct, AS_OF, None, calls)[0] == after_calls
    assert choose_offer(choice, acct, AS_OF, None, calls[:1]) == (None, [(after_calls, "condition/failed_attempts")])


def test_offer_after_days_without_payment_reads_the_as_of_date(policy: Policy) -> None:
    quiet = offer(policy, "payment-plan", id="quiet", when=Condition(no_payment_for_days=30))
    choice = with_offers(policy, quiet)
    assert choose_offer(choice, account(policy, last_payment_date="2026-11-01"), AS_OF, None, ())[0] == quiet
    assert choose_offer(choice, account(policy, last_payment_date="2026-11-02"), AS_OF, None, ()) == (
        None,
        [(quiet, "condition/no_payment_for_days")],
    )
