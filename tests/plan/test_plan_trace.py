"""Every field of a plan and every line of its decision trace (what ``dunning explain`` prints),
for accounts that take the planner's main paths: an experiment arm in two time zones with a
broken promise, an open promise with an opt-out, no tier, and an agency hand-over."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from dunning.plan.decide import Planner
from dunning.plan.model import AccountPlan, Exclusion, OfferTerms, PlannedAction
from dunning.policy.model import Policy
from dunning.state import account_state

from .plan_support import account, contact, due, rows

AS_OF = date(2026, 12, 1)
NEW_YORK = ZoneInfo("America/New_York")


def traced(policy: Policy, horizon: int, **changes: object) -> tuple[AccountPlan, list[str]]:
    trace: list[str] = []
    plan = Planner(policy, AS_OF, horizon).plan(account(policy, **changes), (), trace)
    assert Planner(policy, AS_OF, horizon).plan(account(policy, **changes)) == plan  # the trace changes nothing
    return plan, trace


def test_arm_two_zones_and_a_broken_promise(policy: Policy) -> None:
    plan, trace = traced(
        policy, 3, due_date=due(AS_OF, 12), timezone="", postal_code="02139", phone="+14155550100",
        promise_to_pay_date="2026-11-20",
    )  # fmt: skip
    assert trace == [
        "days past due: 12 (due 2026-11-19, as of 2026-12-01)",
        "tier/early: the first tier (file order) whose bounds hold — dpd 8–30 (policies/tiers.yaml:10:5)",
        "arm/early-empathy/champion: hash bucket 703 of 10000 falls in arm champion (80%); strategy early",
        "time zones: America/New_York, America/Los_Angeles disagree; every window must hold in all of them",
        "promise/broken: promised for 2026-11-20 (no amount named; snapshot), paid against it 0, "
        "not kept by 2026-11-23 — cadence resumes",
        "status: active",
        "step/early/call@10 due 2026-12-03: scheduled 2026-12-03T12:00:00-05:00 – 2026-12-03T20:00:00-05:00",
        "step/early/email@14 due 2026-12-03: scheduled 2026-12-03T11:00:00-05:00 – 2026-12-03T20:00:00-05:00",
        "step/early/letter@8: not due (day 8; dpd 12–15)",
        "step/early/sms@8: not due (day 8; dpd 12–15)",
        "step/early/letter@21: not due (day 21; dpd 12–15)",
        "offer/hardship-plan: not made (condition/flags)",
        "offer/payment-plan: not made (condition/tiers)",
        "offer/settlement: not made (condition/tiers)",
    ]
    assert plan == AccountPlan(
        account_id="T-0001", as_of=AS_OF, dpd=12, tier="early", arm="champion", status="active", jurisdiction="US",
        locale="en-US", timezone="America/New_York", currency="USD", overdue_amount=Decimal("500.00"), exclusions=(),
        actions=(
            PlannedAction(
                id="T-0001-early-call10-20261203", step="early/call@10", channel="call", template="call-early",
                locale="en-US", not_before=datetime(2026, 12, 3, 12, tzinfo=NEW_YORK),
                not_after=datetime(2026, 12, 3, 20, tzinfo=NEW_YORK), status="scheduled", priority=3,
                reasons=("step/early/call@10", "promise/broken"), agency=None,
            ),
            PlannedAction(
                id="T-0001-early-email14-20261203", step="early/email@14", channel="email", template="email-early",
                locale="en-US", not_before=datetime(2026, 12, 3, 11, tzinfo=NEW_YORK),
                not_after=datetime(2026, 12, 3, 20, tzinfo=NEW_YORK), status="scheduled", priority=6,
                reasons=("step/early/email@14", "promise/broken"), agency=None,
            ),
        ),
        offers=(), line=2,
    )  # fmt: skip


def test_open_promise_pauses_and_the_offer_is_still_made(policy: Policy) -> None:
    plan, trace = traced(
        policy, 7, due_date=due(AS_OF, 40), promise_to_pay_date="2026-11-29", overdue_amount="1000.00",
        sms_opt_out="yes",
    )  # fmt: skip
    assert trace == [
        "days past due: 40 (due 2026-10-22, as of 2026-12-01)",
        "tier/mid: the first tier (file order) whose bounds hold — dpd 31–60 (policies/tiers.yaml:15:5)",
        "opt-out/sms: the debtor asked not to be contacted by sms; other channels stay open → suppress "
        "(channels sms; 12 CFR 1006.14(h)(1); 12 CFR 1006.6(e))",
        "promise/open: promised for 2026-11-29 (no amount named; snapshot), paid against it 0, "
        "grace 3 days until 2026-12-02 — cadence paused",
        "status: paused",
        "no cadence steps: the account is paused",
        "offer/hardship-plan: not made (condition/flags)",
        "offer/payment-plan: 6 instalment(s) 166.70 + 166.66 + 166.66 + 166.66 + 166.66 + 166.66 = 1000.00 USD, "
        "first due 2026-12-11, every 30 days",
    ]
    assert (plan.status, plan.tier, plan.arm, plan.actions) == ("paused", "mid", None, ())
    assert plan.exclusions == (
        Exclusion("opt-out/sms", "the debtor asked not to be contacted by sms; other channels stay open"),
        Exclusion("promise/open", "promise to pay on 2026-11-29; cadence paused until 2026-12-02"),
    )
    assert plan.offers == (
        OfferTerms(
            id="payment-plan", kind="payment_plan", currency="USD",
            amounts=(Decimal("166.70"), *[Decimal("166.66")] * 5), first_due_date=date(2026, 12, 11),
            interval_days=30, discount=Decimal("0"), discount_amount=Decimal("0.00"), total=Decimal("1000.00"),
        ),
    )  # fmt: skip


def test_no_tier_means_no_cadence(policy: Policy) -> None:
    plan, trace = traced(policy, 7, due_date=due(AS_OF, 0))
    assert trace == [
        "days past due: 0 (due 2026-12-01, as of 2026-12-01)",
        "tier/none: no tier holds 0 days past due with this balance, product and segment",
        "no promise to pay on file",
        "status: active",
        "no cadence steps: no tier",
        "offer/hardship-plan: not made (condition/flags)",
        "offer/payment-plan: not made (condition/tiers)",
        "offer/settlement: not made (condition/tiers)",
    ]
    assert (plan.dpd, plan.tier, plan.status, plan.actions, plan.offers) == (0, None, "active", (), ())


def test_agency_hand_over_takes_the_whole_local_day_and_the_countrys_agency(policy: Policy) -> None:
    # the agency lists US; a US-MA account is placed with it through its country
    plan, trace = traced(policy, 7, due_date=due(AS_OF, 120), jurisdiction="US-MA", overdue_amount="2000.00")
    assert trace[3:] == [
        "status: active",
        "step/recovery/agency@120 due 2026-12-01: scheduled 2026-12-01T00:00:00-05:00 – 2026-12-02T00:00:00-05:00",
        "step/recovery/letter@91: not due (day 91; dpd 120–127)",
        "step/recovery/letter@92: not due (day 92; dpd 120–127)",
        "step/recovery/legal_review@105: not due (day 105; dpd 120–127)",
        "offer/hardship-plan: not made (condition/flags)",
        "offer/payment-plan: not made (condition/tiers)",
        "offer/settlement: 1 instalment(s) 1500.00 = 1500.00 USD, first due 2026-12-15, every 30 days",
    ]
    assert plan.actions == (
        PlannedAction(
            id="T-0001-recovery-agency120-20261201", step="recovery/agency@120", channel="agency",
            template="agency-placement", locale="en-US", not_before=datetime(2026, 12, 1, tzinfo=NEW_YORK),
            not_after=datetime(2026, 12, 2, tzinfo=NEW_YORK), status="scheduled", priority=1,
            reasons=("step/recovery/agency@120",), agency="northwind-recovery",
        ),
    )  # fmt: skip
    assert plan.actions[0].not_after.utcoffset() == plan.actions[0].not_before.utcoffset()  # type: ignore[union-attr]


def test_promise_status_edges(policy: Policy) -> None:
    cases = [
        ({}, "none"),
        ({"promise_to_pay_date": "2026-11-28"}, "open"),  # date + 3 days of grace is the as-of date
        ({"promise_to_pay_date": "2026-11-27"}, "broken"),
        ({"promise_to_pay_date": "2026-11-20", "last_payment_date": "2026-11-20"}, "kept"),
        ({"promise_to_pay_date": "2026-11-20", "last_payment_date": "2026-11-19"}, "broken"),
    ]
    found = [
        (changes, account_state(account(policy, **changes), (), AS_OF, 3).promise_status(AS_OF)) for changes, _ in cases
    ]
    assert found == cases


def test_deferred_and_superseded_runs_in_words_and_fields(policy: Policy) -> None:
    talk = [contact("2026-11-29T11:00:00-05:00", "conversation")]
    acct = account(policy, due_date=due(AS_OF, 32), overdue_amount="1500.00", locale="zh-CN")
    trace: list[str] = []
    plan = Planner(policy, AS_OF, 7).plan(acct, talk, trace)
    assert trace[5:9] == [
        "step/mid/call@32 due 2026-12-01: deferred to 2026-12-07T09:00:00-05:00 – 2026-12-07T20:00:00-05:00 "
        "(us-regf.after-conversation)",
        "step/mid/call@32 due 2026-12-04: suppressed (superseded)",
        "step/mid/email@35 due 2026-12-04: scheduled 2026-12-04T08:00:00-05:00 – 2026-12-04T20:00:00-05:00",
        "step/mid/call@32 due 2026-12-07: suppressed (superseded)",
    ]
    assert plan.actions[1] == PlannedAction(
        id="T-0001-mid-call32-20261204", step="mid/call@32", channel="call", template="call-mid", locale="zh-CN",
        not_before=None, not_after=None, status="suppressed", priority=3, reasons=("step/mid/call@32", "superseded"),
        agency=None,
    )  # fmt: skip
    assert [(a.template, a.locale, a.priority) for a in plan.actions] == [
        ("call-mid", "zh-CN", 3), ("call-mid", "zh-CN", 3), ("email-plan", "zh-CN", 6), ("call-mid", "zh-CN", 3),
    ]  # fmt: skip


def test_a_template_without_the_accounts_locale_uses_its_first(policy: Policy) -> None:
    acct = account(policy, due_date=due(AS_OF, 32), overdue_amount="1500.00", locale="en-GB")
    plan = Planner(policy, AS_OF, 0).plan(acct)
    assert plan.locale == "en-GB"
    assert [(a.template, a.locale) for a in plan.actions] == [("call-mid", "en-US")]


def test_texts_on_file_are_checked_against_a_cap_that_counts_texts(policy: Policy) -> None:
    # Massachusetts: two calls or texts in any 7 days. Texts on Nov 27 and 28 leave no room on
    # Dec 1; the text moves to Dec 4 (Nov 27 has dropped out), the call due Dec 2 to Saturday
    # Dec 5 (the planned text counts), its Dec 5 run is superseded and its Dec 8 run finds no
    # room before the horizon ends.
    acct = account(policy, due_date=due(AS_OF, 31), jurisdiction="US-MA", phone="+16175550100")
    texts = [contact(f"2026-11-2{d}T10:00:00-05:00", "delivered", "sms") for d in (7, 8)]
    assert rows(Planner(policy, AS_OF, 7).plan(acct, texts)) == [
        ("sms", "deferred", "2026-12-04T09:00:00-05:00", "2026-12-04T20:00:00-05:00",
         ("step/mid/sms@31", "us-ma.call-frequency")),
        ("call", "deferred", "2026-12-05T10:00:00-05:00", "2026-12-05T14:00:00-05:00",
         ("step/mid/call@32", "us-ma.call-frequency")),
        ("call", "suppressed", None, None, ("step/mid/call@32", "superseded")),
        ("email", "scheduled", "2026-12-05T08:00:00-05:00", "2026-12-05T20:00:00-05:00", ("step/mid/email@35",)),
        ("call", "suppressed", None, None, ("step/mid/call@32", "us-ma.call-frequency")),
    ]  # fmt: skip
    assert rows(Planner(policy, AS_OF, 0).plan(acct, texts)) == [
        ("sms", "suppressed", None, None, ("step/mid/sms@31", "us-ma.call-frequency"))
    ]


def test_a_deferral_to_the_last_day_of_the_horizon_is_kept(policy: Policy) -> None:
    acct = account(policy, due_date=due(AS_OF, 31), jurisdiction="US-MA", phone="+16175550100")
    texts = [contact(f"2026-11-2{d}T10:00:00-05:00", "delivered", "sms") for d in (7, 8)]
    assert rows(Planner(policy, AS_OF, 3).plan(acct, texts)) == [  # the horizon ends on Dec 4
        ("sms", "deferred", "2026-12-04T09:00:00-05:00", "2026-12-04T20:00:00-05:00",
         ("step/mid/sms@31", "us-ma.call-frequency")),
        ("call", "suppressed", None, None, ("step/mid/call@32", "us-ma.call-frequency")),
    ]  # fmt: skip


def test_a_repeating_step_stops_at_the_end_of_its_tier(policy: Policy) -> None:
    # mid is dpd 31-60; call@32 repeats every 3 days: dpd 59 is its last run, not 62 or 65
    plan = Planner(policy, AS_OF, 7).plan(account(policy, due_date=due(AS_OF, 58), overdue_amount="1500.00"))
    assert rows(plan) == [
        ("call", "scheduled", "2026-12-02T09:00:00-05:00", "2026-12-02T20:00:00-05:00", ("step/mid/call@32",))
    ]


def test_the_challenger_arm_runs_its_own_strategy(policy: Policy) -> None:
    trace: list[str] = []
    plan = Planner(policy, AS_OF, 3).plan(account(policy, account_id="T-0002", due_date=due(AS_OF, 12)), (), trace)
    assert trace[2] == (
        "arm/early-empathy/challenger: hash bucket 9776 of 10000 falls in arm challenger (20%); "
        "strategy early-empathetic"
    )
    assert plan.arm == "challenger"
    assert [(a.step, a.template) for a in plan.actions] == [
        ("early-empathetic/call@9", "call-early"),
        ("early-empathetic/email@14", "email-early"),
    ]


def test_a_chinese_account_gets_its_jurisdictions_locale_and_agency(policy: Policy) -> None:
    cn = {"jurisdiction": "CN", "currency": "CNY", "timezone": "", "phone": "+8613812345678", "account_id": "C-0001"}
    plan = Planner(policy, AS_OF, 0).plan(account(policy, **cn, due_date=due(AS_OF, 120), overdue_amount="2000.00"))
    assert plan.locale == "zh-CN"  # no locale on the account: CN's default, not the portfolio's en-US
    assert [(a.channel, a.agency, a.locale) for a in plan.actions] == [("agency", "huaxia-services", "zh-CN")]
