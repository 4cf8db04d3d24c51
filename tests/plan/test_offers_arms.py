"""Offers in exact Decimal money, and stable experiment arms."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from dunning.plan.arms import assign_arm, bucket, buckets
from dunning.plan.offers import offer_terms
from dunning.policy.model import Policy

from .plan_support import account, due, plan_of


def test_payment_plan_amounts_sum_exactly(policy: Policy) -> None:
    as_of = date(2026, 12, 1)
    plan = plan_of(policy, account(policy, due_date=due(as_of, 40), overdue_amount="1000.01"), as_of)
    (offer,) = plan.offers
    assert offer.id == "payment-plan"
    assert offer.amounts == (Decimal("166.71"), *[Decimal("166.66")] * 5)
    assert sum(offer.amounts) == offer.total == Decimal("1000.01")
    assert (offer.first_due_date, offer.interval_days, offer.discount_amount) == (
        date(2026, 12, 11),
        30,
        Decimal("0.00"),
    )


def test_hardship_discount_and_minimum_instalment(policy: Policy) -> None:
    # 10% off 555.55 → 499.99 (rounded down); at least 50 CNY a payment → 9 instalments, not 12.
    as_of = date(2026, 12, 1)
    acct = account(
        policy, jurisdiction="CN", currency="CNY", timezone="Asia/Shanghai", hardship="yes",
        due_date=due(as_of, 20), overdue_amount="555.55",
    )  # fmt: skip
    (offer,) = plan_of(policy, acct, as_of).offers
    assert offer.id == "hardship-plan"
    assert offer.total == Decimal("499.99")
    assert offer.discount_amount == Decimal("55.56")
    assert len(offer.amounts) == 9
    assert offer.amounts[0] == Decimal("55.59") and set(offer.amounts[1:]) == {Decimal("55.55")}
    assert sum(offer.amounts) == Decimal("499.99")
    assert offer.first_due_date == date(2026, 12, 31)


def test_settlement_in_a_zero_decimal_currency(policy: Policy) -> None:
    settlement = next(o for o in policy.offers if o.id == "settlement")
    acct = account(policy, currency="JPY", overdue_amount="10001")
    terms = offer_terms(settlement, acct, date(2026, 12, 1))
    # 10001 × 0.75 = 7500.75 → 7500 yen (JPY has no minor unit); one payment
    assert (terms.total, terms.amounts, terms.discount_amount) == (Decimal("7500"), (Decimal("7500"),), Decimal("2501"))


def test_no_offer_for_excluded_accounts(policy: Policy) -> None:
    as_of = date(2026, 12, 1)
    plan = plan_of(policy, account(policy, due_date=due(as_of, 40), overdue_amount="1000.00", deceased="1"), as_of)
    assert (plan.status, plan.offers) == ("excluded", ())


def test_arm_is_stable_and_shares_hold_on_100k(policy: Policy) -> None:
    experiment = policy.experiments[0]
    assert bucket("early-empathy", "T-0001") == 703  # sha256("early-empathy:T-0001") mod 10000
    counts = Counter(assign_arm(experiment, f"A{i:09d}").id for i in range(100_000))  # type: ignore[union-attr]
    assert abs(counts["champion"] / 100_000 - 0.80) < 0.01
    assert abs(counts["challenger"] / 100_000 - 0.20) < 0.01
    assert assign_arm(experiment, "A000000042") == assign_arm(experiment, "A000000042")
    ids = [f"A{i:09d}" for i in range(2_000)] + ["T-0001", "", "王芳-1"]
    assert buckets("early-empathy", ids) == [bucket("early-empathy", x) for x in ids]
    assert buckets("early-empathy", ["T-0001"]) == [703]
    # ids of every length and script: the first 8 bytes of the digest, big-endian
    odd = ["", "x" * 300, "客户-0042", "A\u00e9\U0001f600", "0"]
    assert buckets("early-empathy", odd) == [bucket("early-empathy", x) for x in odd]
