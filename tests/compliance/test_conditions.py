"""Every part of a `when:` condition (compliance/conditions.py), each at its bounds: the exact
verdict and the exact `condition/<part>` code, the first failing part named, and the tier
ladder's first match in file order. Written from the mutation run of docs/testing.md."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from dunning.accounts.model import Contact
from dunning.compliance.conditions import dpd, holds, in_jurisdictions, tier_for
from dunning.policy.compile import condition
from dunning.policy.model import Amounts, Condition, Range, Source, Tier, frozen_map
from dunning.state import account_state

from .compliance_support import account

AS_OF = date(2026, 11, 30)


def event(day: str, word: str, channel: str = "", **fields: object) -> Contact:
    return Contact("A-1", datetime.fromisoformat(day + "T10:00:00-05:00"), channel, word, **fields)  # type: ignore[arg-type]


def check(
    when: Mapping[str, object],
    history: tuple[Contact, ...] = (),
    tier_id: str | None = None,
    **fields: object,
) -> tuple[bool, str]:
    return holds(
        condition(when), account(**fields), as_of=AS_OF, tier_id=tier_id, history=history, promise_grace_days=3
    )


def test_a_jurisdiction_list_covers_the_subdivisions_of_a_country_it_names() -> None:
    assert in_jurisdictions("US-MA", ["US"]) is True
    assert in_jurisdictions("US-MA", ["US-MA"]) is True
    assert in_jurisdictions("US", ["US"]) is True
    assert in_jurisdictions("US", ["US-MA"]) is False  # a subdivision does not cover its country
    assert in_jurisdictions("US-MA", ["US-NY"]) is False
    assert in_jurisdictions("MA", ["US-MA"]) is False
    assert in_jurisdictions("GB-SCT", ["US", "CN"]) is False
    assert in_jurisdictions("GB-SCT", ["CN", "GB"]) is True


# the current promise on 2026-11-30 with 3 grace days: none, open (due 11-29, grace to 12-02),
# broken (due 11-20, unpaid) and kept (due 11-20, paid in full that day)
PROMISES: dict[str, tuple[Contact, ...]] = {
    "none": (),
    "open": (event("2026-11-25", "promise", "call", amount=Decimal("50"), on=date(2026, 11, 29)),),
    "broken": (event("2026-11-10", "promise", "call", amount=Decimal("50"), on=date(2026, 11, 20)),),
    "kept": (
        event("2026-11-10", "promise", "call", amount=Decimal("50"), on=date(2026, 11, 20)),
        event("2026-11-20", "payment", amount=Decimal("50")),
    ),
}


@pytest.mark.parametrize(
    ("promise", "holding"),
    [
        ("any", {"none", "open", "broken", "kept"}),
        ("none", {"none", "kept"}),
        ("broken", {"broken"}),
        ("not_kept", {"none", "broken", "kept"}),
    ],
)
def test_the_promise_part_by_the_current_promises_status(promise: str, holding: set[str]) -> None:
    for status, history in PROMISES.items():
        assert account_state(account(), history, AS_OF, 3).promise_status(AS_OF) == status
        expected = (True, "") if status in holding else (False, "condition/promise")
        assert check({"promise": promise}, history) == expected, status


def test_without_grace_days_a_promise_breaks_the_day_after_its_date() -> None:
    due_yesterday = (event("2026-11-20", "promise", "call", amount=Decimal("50"), on=date(2026, 11, 29)),)
    broken, acct = condition({"promise": "broken"}), account()
    assert holds(broken, acct, as_of=AS_OF, tier_id=None, history=due_yesterday) == (True, "")
    assert holds(broken, acct, as_of=AS_OF, tier_id=None, history=due_yesterday, promise_grace_days=1) == (
        False,
        "condition/promise",
    )


def test_overdue_bounds_are_inclusive_and_per_currency() -> None:
    # the account owes 250.00 USD
    assert check({"min_overdue": 250}) == (True, "")
    assert check({"min_overdue": "250.01"}) == (False, "condition/min_overdue")
    assert check({"max_overdue": 250}) == (True, "")
    assert check({"max_overdue": "249.99"}) == (False, "condition/max_overdue")
    # a bound in another currency is no bound for this one
    assert check({"min_overdue": {"CNY": 1000}, "max_overdue": {"CNY": 1}}) == (True, "")
    assert check({"min_overdue": {"CNY": 1, "USD": 300}}) == (False, "condition/min_overdue")
    assert check({"max_overdue": {"CNY": 1000, "USD": 200}}) == (False, "condition/max_overdue")
    assert check({"min_overdue": 1000}, currency="CNY", jurisdiction="CN") == (False, "condition/min_overdue")
    assert check({"max_overdue": 0}, overdue_amount=Decimal("0")) == (True, "")


def test_products_segments_jurisdictions_and_tiers_are_lists_of_what_may_hold() -> None:
    assert check({"products": ["loan", "card"]}, product="card") == (True, "")
    assert check({"products": ["loan"]}, product="card") == (False, "condition/products")
    assert check({"products": ["loan"]}) == (False, "condition/products")  # no product on file
    assert check({"segments": ["retail"]}, segment="retail") == (True, "")
    assert check({"segments": ["retail"]}, segment="sme") == (False, "condition/segments")
    assert check({"jurisdictions": ["US"]}, jurisdiction="US-MA") == (True, "")
    assert check({"jurisdictions": ["US-NY"]}, jurisdiction="US-MA") == (False, "condition/jurisdictions")
    assert check({"jurisdictions": ["CN"]}) == (False, "condition/jurisdictions")
    assert check({"tiers": ["early", "mid"]}, tier_id="mid") == (True, "")
    assert check({"tiers": ["early"]}, tier_id="mid") == (False, "condition/tiers")
    assert check({"tiers": ["early"]}, tier_id=None) == (False, "condition/tiers")  # in no tier
    assert check({}, tier_id=None) == (True, "")


def test_flags_all_of_and_not_flags_none_of() -> None:
    both = ["dispute", "hardship"]
    assert check({"flags": both}, flags=both) == (True, "")
    assert check({"flags": both}, flags=["hardship"]) == (False, "condition/flags")
    assert check({"flags": both}, flags=["dispute"]) == (False, "condition/flags")
    assert check({"not_flags": both}) == (True, "")
    assert check({"not_flags": both}, flags=["vulnerable"]) == (True, "")
    assert check({"not_flags": both}, flags=["hardship"]) == (False, "condition/not_flags")
    assert check({"not_flags": both}, flags=["dispute"]) == (False, "condition/not_flags")


def test_no_payment_for_days_counts_whole_days_to_the_last_payment() -> None:
    when = {"no_payment_for_days": 10}
    assert check(when) == (True, "")  # never paid
    assert check(when, last_payment_date=date(2026, 11, 20)) == (True, "")  # 10 days
    assert check(when, last_payment_date=date(2026, 11, 21)) == (False, "condition/no_payment_for_days")  # 9
    assert check(when, last_payment_date=AS_OF) == (False, "condition/no_payment_for_days")
    # a payment in the history counts like the snapshot's date
    assert check(when, (event("2026-11-21", "payment", amount=Decimal("5")),)) == (
        False,
        "condition/no_payment_for_days",
    )


def test_no_conversation_for_days_reads_conversations_only() -> None:
    when = {"no_conversation_for_days": 5}
    assert check(when) == (True, "")
    assert check(when, (event("2026-11-25", "right_party_contact", "call"),)) == (True, "")  # 5 days ago
    talked = (event("2026-11-26", "right_party_contact", "call"),)  # 4 days ago
    assert check(when, talked) == (False, "condition/no_conversation_for_days")
    assert check(when, (event("2026-11-30", "promise", "call", amount=Decimal("5"), on=date(2026, 12, 5)),)) == (
        False,
        "condition/no_conversation_for_days",
    )  # a promise is a conversation, on the day itself
    assert check(when, (event("2026-11-29", "no_answer", "call"),)) == (True, "")  # not a conversation
    assert check({"no_conversation_for_days": 1}, (event("2026-11-29", "connected", "call"),)) == (True, "")


def test_failed_attempts_count_unanswered_calls_only() -> None:
    when = {"failed_attempts": 2}
    one = (event("2026-11-20", "no_answer", "call"),)
    assert check(when) == (False, "condition/failed_attempts")
    assert check(when, one) == (False, "condition/failed_attempts")
    assert check(when, (*one, event("2026-11-21", "busy", "call"))) == (True, "")
    assert check(when, (*one, event("2026-11-21", "voicemail", "call"), event("2026-11-22", "failed", "call"))) == (
        True,
        "",
    )
    # an unanswered SMS and an answered call are not failed call attempts
    assert check(when, (*one, event("2026-11-21", "failed", "sms"))) == (False, "condition/failed_attempts")
    assert check(when, (*one, event("2026-11-21", "connected", "call"))) == (False, "condition/failed_attempts")
    assert check({"failed_attempts": 0}) == (True, "")


def test_has_needs_every_contact_point_named() -> None:
    assert check({"has": ["phone", "email"]}) == (True, "")
    assert check({"has": ["phone", "email"]}, email="") == (False, "condition/has")
    assert check({"has": ["address"]}, address="") == (False, "condition/has")
    assert check({"has": ["email"]}, phone="") == (True, "")


def test_the_first_failing_part_is_named_in_the_order_of_the_code() -> None:
    everything_fails = {
        "promise": "broken",
        "min_overdue": 1000,
        "max_overdue": 1,
        "products": ["x"],
        "segments": ["x"],
        "jurisdictions": ["CN"],
        "tiers": ["x"],
        "flags": ["dispute"],
        "not_flags": ["hardship"],
        "no_payment_for_days": 10,
        "no_conversation_for_days": 5,
        "failed_attempts": 1,
        "has": ["email"],
        "arrangement": "active",
        "placed": True,
        "disputed": True,
        "represented": True,
        "days_since_last_contact": 3,
        "days_since_right_party_contact": 3,
        "paid_since_days": 1,
        "arrears_reasons": ["illness"],
        "outcomes_in_last_days": {"outcome": "promise_broken", "days": 30},
    }
    talked = (event("2026-11-29", "right_party_contact", "call"),)
    fields: dict[str, Any] = {
        "flags": ["hardship"],
        "last_payment_date": date(2026, 11, 29),
        "email": "",
    }
    order = list(everything_fails)
    for n, part in enumerate(order):
        when = {k: everything_fails[k] for k in order[n:]}
        assert check(when, talked, **fields) == (False, f"condition/{part}"), part


def test_state_parts_in_both_directions() -> None:
    assert check({"placed": True}) == (False, "condition/placed")
    assert check({"placed": False}) == (True, "")
    assert check({"placed": True}, (event("2026-11-01", "legal_referred"),)) == (True, "")
    assert check({"placed": False}, (event("2026-11-01", "placed_with_agency"),)) == (False, "condition/placed")
    assert check({"disputed": False}) == (True, "")
    assert check({"disputed": True}) == (False, "condition/disputed")
    assert check({"represented": False}) == (True, "")
    assert check({"represented": True}) == (False, "condition/represented")
    assert check({"represented": False}, (event("2026-11-20", "represented"),)) == (False, "condition/represented")
    assert check({"arrangement": "none"}) == (True, "")
    assert check({"arrangement": "active"}) == (False, "condition/arrangement")


def test_days_since_a_contact_at_the_bound() -> None:
    attempt = (event("2026-11-27", "no_answer", "call"),)  # 3 days before the as-of day
    assert check({"days_since_last_contact": 3}, attempt) == (True, "")
    assert check({"days_since_last_contact": 4}, attempt) == (False, "condition/days_since_last_contact")
    assert check({"days_since_last_contact": 30}) == (True, "")  # never contacted
    # an attempt is a contact, not a right-party contact
    assert check({"days_since_right_party_contact": 30}, attempt) == (True, "")
    talked = (event("2026-11-27", "right_party_contact", "call"),)
    assert check({"days_since_right_party_contact": 3}, talked) == (True, "")
    assert check({"days_since_right_party_contact": 4}, talked) == (
        False,
        "condition/days_since_right_party_contact",
    )
    assert check({"days_since_right_party_contact": 1}, (event("2026-11-30", "connected", "call"),)) == (
        False,
        "condition/days_since_right_party_contact",
    )


def test_paid_since_days_at_the_bound() -> None:
    paid = (event("2026-11-22", "payment", amount=Decimal("5")),)  # 8 days before
    assert check({"paid_since_days": 9}, paid) == (True, "")
    assert check({"paid_since_days": 8}, paid) == (False, "condition/paid_since_days")
    assert check({"paid_since_days": 1}, (event("2026-11-30", "payment", amount=Decimal("5")),)) == (True, "")
    assert check({"paid_since_days": 365}) == (False, "condition/paid_since_days")  # never paid
    assert check({"paid_since_days": 9}, last_payment_date=date(2026, 11, 22)) == (True, "")


def test_a_state_for_an_earlier_day_does_not_see_a_payment_after_the_day_asked() -> None:
    # the planner asks for the days of its horizon with the as-of day's state; here the other
    # way round: a state that knows a payment on 12-02 asked about 11-30 sees no payment then
    state = account_state(account(), (event("2026-12-02", "payment", amount=Decimal("5")),), date(2026, 12, 3), 0)
    assert state.last_payment == date(2026, 12, 2)
    when = condition({"paid_since_days": 5})
    assert holds(when, account(), as_of=AS_OF, tier_id=None, state=state) == (False, "condition/paid_since_days")
    assert holds(when, account(), as_of=date(2026, 12, 2), tier_id=None, state=state) == (True, "")
    assert holds(when, account(), as_of=date(2026, 12, 6), tier_id=None, state=state) == (True, "")
    assert holds(when, account(), as_of=date(2026, 12, 7), tier_id=None, state=state) == (
        False,
        "condition/paid_since_days",
    )


def test_every_outcome_count_must_hold() -> None:
    calls = (event("2026-11-10", "no_answer", "call"), event("2026-11-29", "no_answer", "call"))
    twice = {"outcome": "no_answer", "count": 2, "days": 21}  # 11-10 .. 11-30
    assert check({"outcomes_in_last_days": twice}, calls) == (True, "")
    assert check({"outcomes_in_last_days": {**twice, "days": 20}}, calls) == (False, "condition/outcomes_in_last_days")
    assert check({"outcomes_in_last_days": {**twice, "count": 3}}, calls) == (False, "condition/outcomes_in_last_days")
    both = [twice, {"outcome": "busy", "days": 30}]
    assert check({"outcomes_in_last_days": both}, calls) == (False, "condition/outcomes_in_last_days")
    assert check({"outcomes_in_last_days": both}, (*calls, event("2026-11-02", "busy", "call"))) == (True, "")


def test_the_state_given_is_read_instead_of_the_account_and_history() -> None:
    state = account_state(account(flags=["hardship"]), (event("2026-11-20", "dispute", "call"),), AS_OF, 3)
    other = account(segment="sme")
    assert holds(condition({"flags": ["hardship", "dispute"]}), other, as_of=AS_OF, tier_id=None, state=state) == (
        True,
        "",
    )
    assert holds(condition({"disputed": True}), other, as_of=AS_OF, tier_id=None, state=state) == (True, "")
    assert holds(Condition(), other, as_of=AS_OF, tier_id=None) == (True, "")


def test_days_past_due() -> None:
    assert dpd(account(), AS_OF) == 60  # due 2026-10-01
    assert dpd(account(due_date=date(2026, 12, 5)), AS_OF) == -5
    assert dpd(account(due_date=AS_OF), AS_OF) == 0


def _tier(
    tid: str,
    low: int = 0,
    high: int | None = None,
    *,
    min_amount: Amounts | None = None,
    max_amount: Amounts | None = None,
    products: tuple[str, ...] = (),
    segments: tuple[str, ...] = (),
    jurisdictions: tuple[str, ...] = (),
) -> Tier:
    return Tier(
        id=tid,
        name=tid,
        order=0,
        dpd=Range(low, high),
        min_amount=min_amount or Amounts(),
        max_amount=max_amount or Amounts(),
        products=products,
        segments=segments,
        jurisdictions=jurisdictions,
        strategy=tid,
        description="",
        source=Source("policies/tiers.yaml", 1, 1),
    )


class _Ladder:
    """Just enough of a Policy for ``tier_for``."""

    def __init__(self, *tiers: Tier) -> None:
        self.tiers = tiers


def _first(*tiers: Tier, **fields: object) -> str | None:
    found = tier_for(_Ladder(*tiers), account(**fields), AS_OF)  # type: ignore[arg-type]
    return None if found is None else found.id


def _usd(value: str) -> Amounts:
    return Amounts(frozen_map({"USD": Decimal(value)}))  # type: ignore[arg-type]


def test_the_first_tier_in_file_order_whose_bounds_hold_takes_the_account() -> None:
    # the account: 60 days past due, 250.00 USD, US, no product or segment
    catch_all = _tier("all")
    assert _first(_tier("a", 0, 59), _tier("b", 60, 60), catch_all) == "b"
    assert _first(_tier("a", 61), catch_all) == "all"
    assert _first(_tier("a", 0, 59)) is None
    assert _first(_tier("a", 60), _tier("b", 0)) == "a"
    # each bound that fails passes the account on to the next tier
    assert _first(_tier("a", min_amount=_usd("250.01")), catch_all) == "all"
    assert _first(_tier("a", min_amount=_usd("250")), catch_all) == "a"
    assert _first(_tier("a", max_amount=_usd("249.99")), catch_all) == "all"
    assert _first(_tier("a", max_amount=_usd("250")), catch_all) == "a"
    assert _first(_tier("a", min_amount=Amounts(default=Decimal(1000))), catch_all) == "all"
    assert _first(_tier("a", min_amount=Amounts(frozen_map({"CNY": Decimal(1000)}))), catch_all) == "a"  # type: ignore[arg-type]
    assert _first(_tier("a", max_amount=Amounts(frozen_map({"CNY": Decimal(1)}))), catch_all) == "a"  # type: ignore[arg-type]
    assert _first(_tier("a", products=("card",)), catch_all, product="loan") == "all"
    assert _first(_tier("a", products=("card", "loan")), catch_all, product="loan") == "a"
    assert _first(_tier("a", segments=("sme",)), catch_all, segment="retail") == "all"
    assert _first(_tier("a", segments=("retail",)), catch_all, segment="retail") == "a"
    assert _first(_tier("a", jurisdictions=("CN",)), catch_all, jurisdiction="US-MA") == "all"
    assert _first(_tier("a", jurisdictions=("US",)), catch_all, jurisdiction="US-MA") == "a"
    assert _first(_tier("a", jurisdictions=("US-NY",)), catch_all, jurisdiction="US-MA") == "all"
