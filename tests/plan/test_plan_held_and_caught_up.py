"""Planner paths (plan/decide.py) pinned where mutation testing found them loose: where a
stop learnt from the history says it comes from, the catch-up of steps not sent (their
locale, their order, the notice the law wants first), steps held while a required one is
owed, and the fallbacks of the notice-first hold — each through :meth:`Planner.plan`, exact."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from dunning.accounts.model import Account, Contact
from dunning.plan.decide import Planner
from dunning.plan.model import AccountPlan, Exclusion
from dunning.policy.model import Condition, Policy

from .plan_support import account, contact, due, rows

AS_OF = date(2026, 12, 1)


def test_a_stop_learnt_from_the_history_names_the_history_as_its_source(policy: Policy) -> None:
    acct = account(policy, due_date=due(AS_OF, 31))
    ceased = Planner(policy, AS_OF, 0).plan(acct, [contact("2026-11-30T10:00:00-05:00", "cease_contact")])
    assert (ceased.status, ceased.exclusions) == (
        "excluded",
        (
            Exclusion(
                "us-regf.cease-contact",
                "the debtor asked us to stop contacting them: no contact (history, since 2026-11-30)",
            ),
        ),
    )
    opted = Planner(policy, AS_OF, 0).plan(acct, [contact("2026-11-30T10:00:00-05:00", "opt_out", "sms")])
    assert opted.exclusions == (
        Exclusion(
            "opt-out/sms",
            "the debtor asked not to be contacted by sms; other channels stay open (history, since 2026-11-30)",
        ),
    )
    assert rows(opted) == [("sms", "suppressed", None, None, ("step/mid/sms@31", "opt-out/sms"))]


DUE = date(2026, 6, 1)  # the catch-up accounts fell due on 1 June; day n past due is DUE + n
CN = {"jurisdiction": "CN", "currency": "CNY", "timezone": "Asia/Shanghai", "phone": "+8613812345678",
      "account_id": "C-1", "address": "上海市浦东新区世纪大道1号", "email": "x@example.cn"}  # fmt: skip


def on(dpd: int) -> date:
    return DUE + timedelta(days=dpd)


def tracked(policy: Policy, acct: Account, dpd: int, trace: list[str] | None = None) -> AccountPlan:
    """The plan of a run whose history records sends (catch-up on), with nothing sent yet."""
    return Planner(policy, on(dpd), 0, tracks_sent=True).plan(acct, [], trace)


def fields(plan: AccountPlan) -> list[tuple[Any, ...]]:
    """(id, status, template, locale, not_before, reasons) per action."""
    return [
        (a.id, a.status, a.template, a.locale, a.not_before.isoformat() if a.not_before else None, a.reasons)
        for a in plan.actions
    ]


def cn(policy: Policy, **changes: object) -> Account:
    return account(policy, **{**CN, "due_date": DUE.isoformat(), "overdue_amount": "3000.00", **changes})


def test_a_us_account_caught_up_late_waits_for_its_validation_notice(policy: Policy) -> None:
    # day 3, nothing sent: the day-1 notice is caught up; the day-1 text (caught up) and the
    # day-3 email (due today) are held for it, in the account's locale, each in the trace
    us = account(policy, due_date=DUE.isoformat(), overdue_amount="500.00", phone="+12125550142")
    trace: list[str] = []
    plan = tracked(policy, us, 3, trace)
    notice_first = ("step/waiting/letter-notice", "us-regf.validation-notice-first")
    assert fields(plan) == [
        ("T-0001-reminder-letter1-20260602", "scheduled", "letter-notice", "en-US", "2026-06-04T09:00:00-04:00",
         ("step/reminder/letter@1", "step/catch-up")),
        ("T-0001-reminder-sms1-20260602", "suppressed", "sms-reminder", "en-US", None,
         ("step/reminder/sms@1", "step/catch-up", *notice_first)),
        ("T-0001-reminder-email3-20260604", "suppressed", "email-reminder", "en-US", None,
         ("step/reminder/email@3", *notice_first)),
    ]  # fmt: skip
    assert trace[4:7] == [
        "step/reminder/letter@1 due 2026-06-02: scheduled 2026-06-04T09:00:00-04:00 – 2026-06-04T17:00:00-04:00",
        "step/reminder/sms@1 due 2026-06-02: suppressed (step/catch-up, step/waiting/letter-notice, "
        "us-regf.validation-notice-first)",
        "step/reminder/email@3 due 2026-06-04: suppressed (step/waiting/letter-notice, "
        "us-regf.validation-notice-first)",
    ]


def test_without_a_validation_notice_template_the_hold_names_the_notice_in_general(policy: Policy) -> None:
    # no template is marked the validation notice: the law's hold names the notice in general,
    # and the email of day 3 also waits for the required letter of day 1, now a letter like any
    plain = {k: replace(t, notice=None) for k, t in policy.templates.items()}
    variant = replace(policy, templates=plain)
    us = account(variant, due_date=DUE.isoformat(), overdue_amount="500.00", phone="+12125550142")
    assert fields(tracked(variant, us, 3))[1:] == [
        ("T-0001-reminder-sms1-20260602", "suppressed", "sms-reminder", "en-US", None,
         ("step/reminder/sms@1", "step/catch-up", "step/waiting/validation-notice", "us-regf.validation-notice-first")),
        ("T-0001-reminder-email3-20260604", "suppressed", "email-reminder", "en-US", None,
         ("step/reminder/email@3", "step/waiting/letter-notice", "step/waiting/validation-notice",
          "us-regf.validation-notice-first")),
    ]  # fmt: skip


def test_caught_up_and_missed_steps_keep_the_accounts_locale(policy: Policy) -> None:
    late = cn(policy, overdue_amount="30000.00", last_payment_date="2026-01-01")
    assert fields(tracked(policy, late, 95)) == [
        ("C-1-recovery-letter91-20260831", "scheduled", "letter-pre-legal", "zh-CN", "2026-09-04T09:00:00+08:00",
         ("step/recovery/letter@91", "step/catch-up")),
    ]  # fmt: skip
    email = [f for f in fields(tracked(policy, cn(policy), 43)) if f[0] == "C-1-mid-email35-20260706"]
    assert email == [
        ("C-1-mid-email35-20260706", "suppressed", "email-plan", "zh-CN", None, ("step/mid/email@35", "step/missed"))
    ]


def _mid_step(policy: Policy, step_id: str, **changes: Any) -> Policy:
    mid = policy.strategies["mid"]
    steps = tuple(replace(s, **changes) if s.id == step_id else s for s in mid.steps)
    return replace(policy, strategies={**policy.strategies, "mid": replace(mid, steps=steps)})


def test_later_steps_wait_for_a_required_step_still_owed(policy: Policy) -> None:
    # the mid text made required: on day 35 it is owed (caught up today), so the call and
    # the email due today both wait for it (the call of day 32 is past its 3-day window: missed)
    variant = _mid_step(policy, "sms@31", required=True)
    waiting = "step/waiting/sms-mid"
    assert fields(tracked(variant, cn(variant), 35)) == [
        ("C-1-mid-sms31-20260702", "scheduled", "sms-mid", "zh-CN", "2026-07-06T09:00:00+08:00",
         ("step/mid/sms@31", "step/catch-up")),
        ("C-1-mid-call32-20260703", "suppressed", "call-mid", "zh-CN", None, ("step/mid/call@32", "step/missed")),
        ("C-1-mid-call32-20260706", "suppressed", "call-mid", "zh-CN", None, ("step/mid/call@32", waiting)),
        ("C-1-mid-email35-20260706", "suppressed", "email-plan", "zh-CN", None, ("step/mid/email@35", waiting)),
    ]  # fmt: skip


def test_a_step_condition_on_the_tier_holds_in_that_tier(policy: Policy) -> None:
    variant = _mid_step(policy, "sms@31", when=Condition(tiers=("mid",)))
    acct = cn(variant)
    # due today, and caught up two days later
    assert [f[:2] for f in fields(Planner(variant, on(31), 0).plan(acct))] == [("C-1-mid-sms31-20260702", "scheduled")]
    assert [f[:2] for f in fields(tracked(variant, acct, 33))][:1] == [("C-1-mid-sms31-20260702", "scheduled")]


def test_without_a_horizon_only_the_as_of_day_is_planned(policy: Policy) -> None:
    # mid: the text is due on day 31, the first call on day 32
    plan = Planner(policy, AS_OF).plan(account(policy, due_date=due(AS_OF, 31)))
    assert rows(plan) == [
        ("sms", "scheduled", "2026-12-01T09:00:00-05:00", "2026-12-01T20:00:00-05:00", ("step/mid/sms@31",))
    ]


def test_an_arm_may_replace_a_steps_template(policy: Policy) -> None:
    # T-0001 falls in the champion arm of early-empathy (bucket 703): give it another first text
    experiment = policy.experiments[0]
    champion = replace(experiment.arms[0], templates={"sms-early": "sms-mid"})
    variant = replace(policy, experiments=(replace(experiment, arms=(champion, *experiment.arms[1:])),))
    plan = Planner(variant, AS_OF, 0).plan(account(variant, due_date=due(AS_OF, 8)))
    assert [(a.step, a.template, a.status) for a in plan.actions] == [("early/sms@8", "sms-mid", "scheduled")]


def test_a_plan_reads_the_history_up_to_its_as_of_date(policy: Policy) -> None:
    # what the history says happened after the as-of date (a cease by letter, a promise by
    # email on Dec 2) is not known to a plan as of Dec 1: the call of Dec 2 is placed
    acct = account(policy, due_date=due(AS_OF, 31))
    call = ("call", "scheduled", "2026-12-02T09:00:00-05:00", "2026-12-02T20:00:00-05:00", ("step/mid/call@32",))
    later = [
        [Contact("T-0001", datetime.fromisoformat("2026-12-02T08:00:00-05:00"), "letter", "cease_contact")],
        [Contact("T-0001", datetime.fromisoformat("2026-12-02T08:30:00-05:00"), "email", "promise",
                 on=date(2026, 12, 10))],
    ]  # fmt: skip
    for history in later:
        plan = Planner(policy, AS_OF, 2).plan(acct, history)
        assert (plan.status, plan.exclusions, rows(plan)[1:]) == ("active", (), [call])


def test_the_state_line_names_the_reason_for_arrears_and_where_it_comes_from(policy: Policy) -> None:
    called = Contact("T-0001", datetime.fromisoformat("2026-11-20T10:00:00-05:00"), "call", "no_answer")
    told = Contact("T-0001", datetime.fromisoformat("2026-11-21T10:00:00-05:00"), "call", "arrears_reason",
                   reason="income_drop")  # fmt: skip
    cases = [
        ({"arrears_reason": "illness"}, [called], "flags vulnerable (arrears_reason); reason for arrears illness "
         "(snapshot)"),
        ({}, [called, told], "flags vulnerable (arrears_reason, since 2026-11-21); reason for arrears income_drop "
         "(history, since 2026-11-21)"),
        # a word outside the vocabulary is the account's own text: never repeated
        ({"arrears_reason": "gambling"}, [called], "reason for arrears outside the vocabulary (snapshot)"),
    ]  # fmt: skip
    for changes, history, words in cases:
        trace: list[str] = []
        Planner(policy, AS_OF, 0).plan(account(policy, due_date=due(AS_OF, 31), **changes), history, trace)
        assert trace[2] == (
            f"state: {len(history)} event(s) on file up to 2026-12-01; {words}; last contact 2026-11-20"
        )


def _letter_91_when(policy: Policy, when: Condition) -> Policy:
    recovery = policy.strategies["recovery"]
    steps = (replace(recovery.steps[0], when=when), *recovery.steps[1:])
    return replace(policy, strategies={**policy.strategies, "recovery": replace(recovery, steps=steps)})


def test_without_sent_events_a_requirement_is_met_when_its_sender_could_have_sent_it(policy: Policy) -> None:
    # No history of sends: legal review on day 105 needs the pre-legal letter 14 days before,
    # which the recovery tier's letter@91 could have sent if its condition held on day 105 —
    # read in the recovery tier, with the policy's grace for the promise (broken since August)
    # and the payment 90 days back.
    acct = cn(policy, overdue_amount="30000.00", last_payment_date="2026-01-01", promise_to_pay_date="2026-08-01")
    review = "C-1-recovery-legal_review105-20260914"
    could = _letter_91_when(policy, Condition(has=("address",), tiers=("recovery",), no_payment_for_days=90))
    assert fields(Planner(could, on(105), 0).plan(acct)) == [
        (review, "scheduled", "legal-review", "zh-CN", "2026-09-14T00:00:00+08:00",
         ("step/recovery/legal_review@105", "promise/broken")),
    ]  # fmt: skip
    could_not = _letter_91_when(policy, Condition(has=("address",), tiers=("late",)))
    assert fields(Planner(could_not, on(105), 0).plan(acct)) == [
        (review, "suppressed", "legal-review", "zh-CN", None,
         ("step/recovery/legal_review@105", "promise/broken", "step/waiting/letter-pre-legal")),
    ]  # fmt: skip


def test_a_reason_the_policy_does_not_count_as_vulnerable_makes_no_one_vulnerable(policy: Policy) -> None:
    # The built-in `income_drop` marks the customer vulnerable; this policy says it does not.
    # An offer only for vulnerable customers is then not made, and payment-plan is.
    reasons = {**policy.arrears_reasons, "income_drop": replace(policy.arrears_reasons["income_drop"],
                                                                marks_vulnerable=False)}  # fmt: skip
    offers = tuple(replace(o, when=Condition(flags=("vulnerable",))) if o.id == "hardship-plan" else o
                   for o in policy.offers)  # fmt: skip
    variant = replace(policy, arrears_reasons=reasons, offers=offers)
    acct = account(variant, due_date=due(AS_OF, 40), arrears_reason="income_drop")
    called = [Contact("T-0001", datetime.fromisoformat("2026-11-20T10:00:00-05:00"), "call", "no_answer")]
    plan = Planner(variant, AS_OF, 0).plan(acct, called)
    assert (plan.status, plan.exclusions, [o.id for o in plan.offers]) == ("active", (), ["payment-plan"])
    # under the built-in vocabulary the same account is vulnerable, and gets the other offer
    marked = replace(variant, arrears_reasons=policy.arrears_reasons)
    assert [o.id for o in Planner(marked, AS_OF, 0).plan(acct, called).offers] == ["hardship-plan"]
