"""Required steps and the messages a step requires, at the edges a whole mutation run of
plan/decide.py found unpinned (docs/testing.md, note ⁷): what the customer file lists as
missing for a required step that is not a notice, a required step's conditions judged as of
the plan's day and with the policy's own vocabulary, and a required message that only an
experiment arm's strategy sends."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from dunning.accounts.model import Account, Contact
from dunning.plan.casefile import case_file
from dunning.plan.decide import Planner
from dunning.policy.model import Condition, Policy

from .backlog_support import DUE, brief, on, plan
from .plan_support import account

_CST = datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo
PRE_LEGAL = [{"step": "recovery/letter@91", "template": "letter-pre-legal"}]


def cn(policy: Policy, **changes: object) -> Account:
    """A CN account that fell due on 1 June (no US notice is owed to it)."""
    row: dict[str, object] = {
        "account_id": "C-1", "jurisdiction": "CN", "currency": "CNY", "timezone": "Asia/Shanghai",
        "phone": "+8613812345678", "address": "上海市浦东新区世纪大道1号", "due_date": DUE.isoformat(),
        "overdue_amount": "30000.00", "last_payment_date": "2026-01-01", **changes,
    }  # fmt: skip
    return account(policy, **row)


def pre_legal_sent(day: date) -> Contact:
    """The pre-legal letter (``recovery/letter@91``, required, no notice kind) sent on ``day``."""
    return Contact("C-1", datetime(day.year, day.month, day.day, 10, tzinfo=_CST), "letter", "sent",
                   action_id="C-1-recovery-letter91-20260831")  # fmt: skip


def missing(policy: Policy, acct: Account, dpd: int, history: list[Contact]) -> Any:
    """The customer file's ``missing`` list on day ``dpd`` (a history that records sends)."""
    return case_file(policy, acct, history, on(dpd), horizon=0, tracks_sent=True).data["missing"]


def with_pre_legal_when(policy: Policy, when: Condition) -> Policy:
    """``policy`` with the recovery tier's pre-legal letter (day 91, required) under ``when``."""
    recovery = policy.strategies["recovery"]
    steps = tuple(replace(s, when=when) if s.id == "letter@91" else s for s in recovery.steps)
    return replace(policy, strategies={**policy.strategies, "recovery": replace(recovery, steps=steps)})


def test_a_required_letter_sent_in_this_arrears_is_not_missing(policy: Policy) -> None:
    acct = cn(policy)
    assert missing(policy, acct, 95, []) == PRE_LEGAL
    assert missing(policy, acct, 95, [pre_legal_sent(on(91))]) == []
    # sent on the day the arrears fell due: this arrears' letter, not missing
    assert missing(policy, acct, 95, [pre_legal_sent(DUE)]) == []
    # sent the day before: an earlier arrears' letter, owed again
    assert missing(policy, acct, 95, [pre_legal_sent(DUE - timedelta(days=1))]) == PRE_LEGAL


def test_a_required_steps_conditions_are_judged_on_the_plans_day(policy: Policy) -> None:
    variant = with_pre_legal_when(policy, Condition(has=("address",), no_payment_for_days=30))
    # on 4 September (day 95): paid on 15 August (20 days before), so not yet; on 1 August, owed
    assert missing(variant, cn(variant, last_payment_date="2026-08-15"), 95, []) == []
    assert missing(variant, cn(variant, last_payment_date="2026-08-01"), 95, []) == PRE_LEGAL


def test_a_required_steps_conditions_read_the_policys_own_vocabulary(policy: Policy) -> None:
    # the built-in `income_drop` marks the customer vulnerable; this policy says it does not,
    # so a pre-legal letter for customers who are not vulnerable is owed and caught up
    reasons = {**policy.arrears_reasons, "income_drop": replace(policy.arrears_reasons["income_drop"],
                                                                marks_vulnerable=False)}  # fmt: skip
    when = Condition(has=("address",), not_flags=("vulnerable",))
    variant = replace(with_pre_legal_when(policy, when), arrears_reasons=reasons)
    acct = cn(variant, arrears_reason="income_drop")
    assert missing(variant, acct, 95, []) == PRE_LEGAL
    assert brief(plan(variant, acct, 95))[0] == (
        "C-1-recovery-letter91-20260831", "scheduled", ("step/recovery/letter@91", "step/catch-up"),
    )  # fmt: skip
    # and on its own day (day 91, due, not caught up)
    assert brief(plan(variant, acct, 91))[0] == (
        "C-1-recovery-letter91-20260831", "scheduled", ("step/recovery/letter@91",),
    )  # fmt: skip
    # under the built-in vocabulary the same customer is vulnerable: nothing owed, nothing sent
    marked = replace(variant, arrears_reasons=policy.arrears_reasons)
    assert missing(marked, acct, 95, []) == []
    assert [a.id for a in plan(marked, acct, 95).actions if "letter91" in a.id] == []


def test_without_sent_events_a_message_only_an_arm_sends_counts_as_sent(policy: Policy) -> None:
    # mid's day-35 email made to require the challenger arm's text (early-empathetic, day 8),
    # a strategy no tier runs: without sent events the arm's step could have sent it, so the
    # email goes; required to follow a letter no step sends by day 35, it waits for it
    mid = policy.strategies["mid"]
    need = policy.strategies["recovery"].steps[-1].requires[0]

    def requiring(template: str) -> Policy:
        steps = tuple(
            replace(s, requires=(replace(need, sent=template, at_least_days=0),)) if s.id == "email@35" else s
            for s in mid.steps
        )
        return replace(policy, strategies={**policy.strategies, "mid": replace(mid, steps=steps)})

    def email(variant: Policy) -> list[tuple[Any, ...]]:
        acct = cn(variant, overdue_amount="3000.00", email="c@example.com")
        return [(a.id, a.status, a.reasons) for a in Planner(variant, on(35), 0).plan(acct, []).actions
                if a.channel == "email"]  # fmt: skip

    assert email(requiring("sms-early-empathetic")) == [
        ("C-1-mid-email35-20260706", "scheduled", ("step/mid/email@35",)),
    ]
    assert email(requiring("letter-final")) == [
        ("C-1-mid-email35-20260706", "suppressed", ("step/mid/email@35", "step/waiting/letter-final")),
    ]
