"""The `when:` conditions that read the account's state (snapshot + history)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from dunning.accounts.model import Contact
from dunning.compliance.conditions import holds
from dunning.handbook.words import condition as words
from dunning.policy.compile import condition

from .compliance_support import account

AS_OF = date(2026, 11, 30)


def event(day: str, word: str, channel: str = "", **fields: object) -> Contact:
    return Contact("A-1", datetime.fromisoformat(day + "T10:00:00-05:00"), channel, word, **fields)  # type: ignore[arg-type]


TWO_BROKEN = (
    event("2026-10-01", "promise", "call", amount=Decimal("50"), on=date(2026, 10, 5)),
    event("2026-11-01", "promise", "call", amount=Decimal("50"), on=date(2026, 11, 5)),
)


def check(when: Mapping[str, object], history: tuple[Contact, ...] = (), **fields: object) -> tuple[bool, str]:
    return holds(condition(when), account(**fields), as_of=AS_OF, tier_id=None, history=history, promise_grace_days=3)


def test_two_broken_promises_in_sixty_days_escalate() -> None:
    when = {"outcomes_in_last_days": {"outcome": "promise_broken", "count": 2, "days": 60}}
    assert check(when, TWO_BROKEN) == (True, "")
    assert check(when, TWO_BROKEN[1:]) == (False, "condition/outcomes_in_last_days")
    assert words(condition(when)) == "Only if at least 2 × “promise broken” in the last 60 days."


def test_history_states_and_days_since() -> None:
    disputed = (event("2026-11-20", "dispute", "call"),)
    assert check({"disputed": True}, disputed) == (True, "")
    assert check({"disputed": True}, (), flags=["dispute"]) == (True, "")  # the snapshot alone says it too
    assert check({"disputed": False}, disputed) == (False, "condition/disputed")
    assert check({"represented": True}, (event("2026-11-20", "represented"),)) == (True, "")
    placed = (event("2026-11-01", "placed_with_agency"), event("2026-11-20", "recalled"))
    assert check({"placed": False}, placed) == (True, "")
    assert check({"placed": True}, placed[:1]) == (True, "")
    talked = (event("2026-11-25", "right_party_contact", "call"),)
    assert check({"days_since_right_party_contact": 7}, talked) == (False, "condition/days_since_right_party_contact")
    assert check({"days_since_right_party_contact": 5}, talked) == (True, "")
    assert check({"days_since_last_contact": 3}, (event("2026-11-28", "no_answer", "call"),)) == (
        False,
        "condition/days_since_last_contact",
    )
    assert check({"paid_since_days": 10}, (event("2026-11-22", "payment", amount=Decimal("5")),)) == (True, "")
    assert check({"paid_since_days": 5}, (event("2026-11-22", "payment", amount=Decimal("5")),)) == (
        False,
        "condition/paid_since_days",
    )


def test_arrangement_active_then_broken_by_a_missed_instalment() -> None:
    agreed = event(
        "2026-11-01", "arrangement", "call", amount=Decimal("50"), on=date(2026, 11, 17), instalments=3, interval_days=7
    )
    first = event("2026-11-17", "payment", amount=Decimal("50"))
    second = event("2026-11-24", "payment", amount=Decimal("50"))
    assert check({"arrangement": "active"}, (agreed, first, second)) == (True, "")  # the third is due 12-01
    assert check({"arrangement": "broken"}, (agreed, first)) == (True, "")  # the second was missed
    assert check({"arrangement": "none"}) == (True, "")


def test_arrears_reasons_read_the_latest_reason_as_of_the_day() -> None:
    when = {"arrears_reasons": ["illness", "bereavement"]}
    learnt = (event("2026-11-20", "arrears_reason", "call", reason="forgot"),)
    later = (*learnt, event("2026-11-29", "arrears_reason", "call", reason="bereavement"))
    after = (*later, event("2026-12-01", "arrears_reason", "call", reason="forgot"))
    snapshot = {"arrears_reason": " Illness "}
    assert check(when) == (False, "condition/arrears_reasons")  # none on file: unknown
    assert check({"arrears_reasons": ["unknown"]}) == (True, "")
    assert check(when, extra=snapshot) == (True, "")  # the snapshot's column, any case
    assert check(when, learnt, extra=snapshot) == (False, "condition/arrears_reasons")  # the history's is later
    assert check(when, later) == (True, "")
    assert check(when, after) == (True, "")  # 2026-12-01 is after the as-of date: not read
    assert words(condition(when)) == "Only if the reason for arrears is illness or bereavement."
