"""Cadence paths of the planner (plan/decide.py) that the other plan tests do not take: a step
whose condition fails before another due the same day, a repeating step not yet due, a stop
that suppresses one channel next to a broken promise, and caps that count what the plan
itself has placed when there is no history — each through :meth:`Planner.plan`, exact."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from dunning.plan.decide import Planner
from dunning.policy.model import ExclusionEffect, Policy

from .plan_support import account, due, rows

AS_OF = date(2026, 12, 1)


def test_a_step_not_taken_does_not_hide_the_next_step_of_the_day(policy: Policy) -> None:
    # reminder: letter@1 only for US accounts, sms@1 for all — a CN account gets the text
    cn = {"jurisdiction": "CN", "currency": "CNY", "timezone": "", "phone": "+8613812345678", "account_id": "C-0001"}
    trace: list[str] = []
    plan = Planner(policy, AS_OF, 0).plan(account(policy, **cn, due_date=due(AS_OF, 1)), (), trace)
    assert trace[4:7] == [
        "step/reminder/letter@1 due 2026-12-01: not taken (condition/jurisdictions)",
        "step/reminder/sms@1 due 2026-12-01: scheduled 2026-12-01T09:00:00+08:00 – 2026-12-01T20:00:00+08:00",
        "step/reminder/email@3: not due (day 3; dpd 1–1)",
    ]
    assert rows(plan) == [
        ("sms", "scheduled", "2026-12-01T09:00:00+08:00", "2026-12-01T20:00:00+08:00", ("step/reminder/sms@1",))
    ]


def test_a_repeating_step_not_yet_due_names_its_interval(policy: Policy) -> None:
    trace: list[str] = []
    Planner(policy, AS_OF, 0).plan(account(policy, due_date=due(AS_OF, 8)), (), trace)
    assert trace[5:10] == [
        # a run without sent events assumes the day-1 notice went out: the tier's own stands down
        "step/early/letter@8 due 2026-12-01: not taken (notice/validation-assumed-sent by reminder/letter@1)",
        "step/early/sms@8 due 2026-12-01: scheduled 2026-12-01T09:00:00-05:00 – 2026-12-01T20:00:00-05:00",
        "step/early/call@10: not due (day 10, every 4 days; dpd 8–8)",
        "step/early/email@14: not due (day 14; dpd 8–8)",
        "step/early/letter@21: not due (day 21; dpd 8–8)",
    ]


def test_an_opt_out_suppresses_its_channel_and_the_broken_promise_is_named_too(policy: Policy) -> None:
    acct = account(policy, due_date=due(AS_OF, 31), sms_opt_out="yes", promise_to_pay_date="2026-11-20")
    trace: list[str] = []
    plan = Planner(policy, AS_OF, 0).plan(acct, (), trace)
    assert trace[6] == "step/mid/sms@31 due 2026-12-01: suppressed (promise/broken, opt-out/sms)"
    assert plan.status == "active"
    assert rows(plan) == [("sms", "suppressed", None, None, ("step/mid/sms@31", "promise/broken", "opt-out/sms"))]


def test_without_history_the_caps_count_what_the_plan_places(policy: Policy) -> None:
    # Massachusetts: two calls or texts in any 7 days. The text of Dec 1 and the call of Dec 2
    # fill the week; the call due Dec 5 waits until the text drops out (Dec 8).
    acct = account(policy, due_date=due(AS_OF, 31), jurisdiction="US-MA", phone="+16175550100")
    assert rows(Planner(policy, AS_OF, 7).plan(acct)) == [
        ("sms", "scheduled", "2026-12-01T09:00:00-05:00", "2026-12-01T20:00:00-05:00", ("step/mid/sms@31",)),
        ("call", "scheduled", "2026-12-02T09:00:00-05:00", "2026-12-02T20:00:00-05:00", ("step/mid/call@32",)),
        ("call", "deferred", "2026-12-08T09:00:00-05:00", "2026-12-08T20:00:00-05:00",
         ("step/mid/call@32", "us-ma.call-frequency")),
        ("email", "scheduled", "2026-12-05T08:00:00-05:00", "2026-12-05T20:00:00-05:00", ("step/mid/email@35",)),
        ("call", "suppressed", None, None, ("step/mid/call@32", "superseded")),
    ]  # fmt: skip


def test_a_cap_of_zero_refuses_even_the_first_contact(policy: Policy) -> None:
    # The planner skips the gate for an account's first contact only where every cap on the
    # channel allows one; a cap of 0 texts in Massachusetts must still refuse, even after the
    # same run has planned a first text for a US account elsewhere.
    cap = replace(policy.caps[1], id="no-texts-in-ma", max=0, jurisdictions=("US-MA",))
    capped = replace(policy, caps=(*policy.caps, cap))
    planner = Planner(capped, AS_OF, 0)
    assert rows(planner.plan(account(capped, due_date=due(AS_OF, 31)))) == [
        ("sms", "scheduled", "2026-12-01T09:00:00-05:00", "2026-12-01T20:00:00-05:00", ("step/mid/sms@31",))
    ]
    ma = account(capped, due_date=due(AS_OF, 31), jurisdiction="US-MA", phone="+16175550100")
    assert rows(planner.plan(ma)) == [
        ("sms", "suppressed", None, None, ("step/mid/sms@31", "cap/no-texts-in-ma", "horizon"))
    ]


def test_a_suppress_on_every_channel_keeps_the_account_active(policy: Policy) -> None:
    # A policy exclusion that suppresses without naming channels neither pauses nor excludes
    # the account: its steps are each suppressed with the exclusion's code, and offers go on.
    staff = next(e for e in policy.exclusions if e.id == "staff-accounts")
    quiet = replace(staff, id="staff-quiet", effect=ExclusionEffect.SUPPRESS)
    variant = replace(policy, exclusions=(*(e for e in policy.exclusions if e is not staff), quiet))
    plan = Planner(variant, AS_OF, 1).plan(account(variant, due_date=due(AS_OF, 31), segment="staff"))
    assert plan.status == "active"
    assert rows(plan) == [
        ("sms", "suppressed", None, None, ("step/mid/sms@31", "exclusion/staff-quiet")),
        ("call", "suppressed", None, None, ("step/mid/call@32", "exclusion/staff-quiet")),
    ]
    assert [o.id for o in plan.offers] == ["payment-plan"]
