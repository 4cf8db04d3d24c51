"""The catch-up of a run whose history records sends, at the edges a whole mutation run of
plan/decide.py found unpinned (docs/testing.md, note ⁷): an older occurrence of a step
caught up although a later one was sent, and which steps wait for a required step (those
on a later day, not those on its own day)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from dunning.accounts.model import Account, Contact
from dunning.policy.model import Condition, Policy, Step

from .backlog_support import DUE, brief, plan
from .plan_support import account

_CST = datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo


def cn(policy: Policy) -> Account:
    """A CN account that fell due on 1 June: no validation notice holds its contacts."""
    return account(policy, account_id="C-1", jurisdiction="CN", currency="CNY", timezone="Asia/Shanghai",
                   phone="+8613812345678", address="上海市浦东新区世纪大道1号", email="c@example.com",
                   due_date=DUE.isoformat(), overdue_amount="3000.00")  # fmt: skip


def with_early(policy: Policy, **changes: dict[str, Any]) -> Policy:
    """``policy`` with the early strategy's steps changed (step id → the fields to replace)."""
    early = policy.strategies["early"]
    steps: tuple[Step, ...] = tuple(replace(s, **changes[s.id]) if s.id in changes else s for s in early.steps)
    return replace(policy, strategies={**policy.strategies, "early": replace(early, steps=steps)})


def test_an_older_occurrence_is_caught_up_though_a_later_one_was_sent(policy: Policy) -> None:
    # the day-10 call every 4 days, with a catch-up window of 8 days: on day 23 its runs of
    # days 22 and 18 are in the window and day 14's is missed. Day 22's was made; day 18's
    # is still caught up and day 14's recorded as missed.
    variant = with_early(policy, **{"call@10": {"catch_up": 8}})
    made = [Contact("C-1", datetime(2026, 6, 23, 10, tzinfo=_CST), "call", "sent",
                    action_id="C-1-early-call10-20260623")]  # fmt: skip
    assert [a for a in brief(plan(variant, cn(variant), 23, made)) if "call" in a[0]] == [
        ("C-1-early-call10-20260619", "scheduled", ("step/early/call@10", "step/catch-up")),
        ("C-1-early-call10-20260615", "suppressed", ("step/early/call@10", "step/missed")),
    ]


def test_a_step_on_the_required_steps_own_day_does_not_wait_for_it(policy: Policy) -> None:
    # the day-8 notice made required for every jurisdiction, and the day-8 text made to
    # repeat every 2 days (catch-up 2): a CN account first seen on day 10 gets the notice
    # caught up; the text of day 8 (caught up) and of day 10 (due) share the notice's first
    # day and do not wait for it (the second is held by the policy's one-touch-a-day cap,
    # not by the notice), the day-10 call (a later step) waits for it
    changes: dict[str, dict[str, Any]] = {
        "letter@8": {"when": replace(policy.strategies["early"].steps[0].when, jurisdictions=())},
        "sms@8": {"every": 2, "until": 12, "catch_up": 2},
    }
    variant = with_early(policy, **changes)
    assert brief(plan(variant, cn(variant), 10)) == [
        ("C-1-early-letter8-20260609", "scheduled", ("step/early/letter@8", "step/catch-up")),
        ("C-1-early-sms8-20260609", "scheduled", ("step/early/sms@8", "step/catch-up")),
        ("C-1-early-sms8-20260611", "suppressed", ("step/early/sms@8", "cap/one-touch-a-day")),
        ("C-1-early-call10-20260611", "suppressed", ("step/early/call@10", "step/waiting/letter-notice")),
    ]
    # a day later the call of day 10 is caught up, and still waits for the notice
    assert [a for a in brief(plan(variant, cn(variant), 11)) if "call" in a[0]] == [
        ("C-1-early-call10-20260611", "suppressed",
         ("step/early/call@10", "step/catch-up", "step/waiting/letter-notice")),
    ]  # fmt: skip


def test_a_later_step_waits_for_a_required_hand_over_without_a_template(policy: Policy) -> None:
    # the legal review (day 105) made a required step without a template, the agency
    # placement (day 120) without conditions: a CN account first seen on day 120, whose
    # pre-legal letter went on day 95, has the review caught up today and the placement
    # waits for it, named by the step (it has no template to name)
    recovery = policy.strategies["recovery"]
    changes: dict[str, dict[str, Any]] = {
        "legal_review@105": {"required": True, "template": None, "requires": (), "when": Condition()},
        "agency@120": {"when": Condition()},
    }
    steps = tuple(replace(s, **changes[s.id]) if s.id in changes else s for s in recovery.steps)
    variant = replace(policy, strategies={**policy.strategies, "recovery": replace(recovery, steps=steps)})
    letter = [Contact("C-1", datetime(2026, 9, 4, 10, tzinfo=_CST), "letter", "sent",
                      action_id="C-1-recovery-letter91-20260831")]  # fmt: skip
    assert brief(plan(variant, cn(variant), 120, letter)) == [
        ("C-1-recovery-legal_review105-20260914", "scheduled", ("step/recovery/legal_review@105", "step/catch-up")),
        ("C-1-recovery-agency120-20260929", "suppressed",
         ("step/recovery/agency@120", "step/waiting/legal_review@105")),
    ]  # fmt: skip
