"""What the contact history adds to a plan (plan/decide.py): the state line of the trace,
arrangements paid as agreed or broken, a kept promise with its amount, an unreadable
history (``held``), exclusions that need the as-of date and offers that read the history
or the date — each through :meth:`Planner.plan`, every field and line exact."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from dunning.accounts.model import Contact
from dunning.plan.decide import Planner
from dunning.plan.model import AccountPlan, Exclusion
from dunning.policy.model import Condition, Policy

from .plan_support import account, due, rows

AS_OF = date(2026, 12, 1)
MID = "tier/mid: the first tier (file order) whose bounds hold — dpd 31–60 (policies/tiers.yaml:15:5)"
NOT_DUE = [
    "step/mid/letter@31: not due (day 31; dpd 40–42)",
    "step/mid/sms@31: not due (day 31; dpd 40–42)",
    "step/mid/email@35: not due (day 35; dpd 40–42)",
    "step/mid/letter@45: not due (day 45; dpd 40–42)",
]
CALL = ("call", "scheduled", "2026-12-02T09:00:00-05:00", "2026-12-02T20:00:00-05:00")
PAYMENT_PLAN = (
    "offer/payment-plan: 6 instalment(s) 166.70 + 166.66 + 166.66 + 166.66 + 166.66 + 166.66 = 1000.00 USD, "
    "first due 2026-12-11, every 30 days"
)
HARDSHIP_PLAN = (
    "offer/hardship-plan: 12 instalment(s) " + " + ".join(["75.00"] * 12) + " = 900.00 USD, "
    "first due 2026-12-31, every 30 days"
)
HARDSHIP_STOP = (
    "exclusion/hardship-no-escalation: Customer in hardship — no field visits, legal review or agency placement. "
    "→ suppress (channels visit, agency, legal_review; policies/contact-rules.yaml:29:5)"
)


def event(day: str, word: str, channel: str = "", **fields: object) -> Contact:
    return Contact("T-0001", datetime.fromisoformat(day + "T10:00:00-05:00"), channel, word, **fields)  # type: ignore[arg-type]


def arrangement(first: str) -> Contact:
    """Three instalments of 100 every 7 days from ``first``, agreed on a call on Nov 2."""
    return event(
        "2026-11-02", "arrangement", "call", amount=Decimal("100"), on=date.fromisoformat(first), instalments=3,
        interval_days=7,
    )  # fmt: skip


def payment(day: str, amount: str = "100") -> Contact:
    return event(day, "payment", amount=Decimal(amount))


def traced(
    policy: Policy, history: list[Contact], *, held: bool = False, **changes: object
) -> tuple[AccountPlan, list[str]]:
    trace: list[str] = []
    changes = {"due_date": due(AS_OF, 40), "overdue_amount": "1000.00", **changes}
    plan = Planner(policy, AS_OF, 2).plan(account(policy, **changes), history, trace, held=held)
    return plan, trace


def test_the_state_line_names_everything_the_history_adds(policy: Policy) -> None:
    history = [
        arrangement("2026-11-10"),
        payment("2026-11-10"),
        event("2026-11-12", "hardship", "call"),
        event("2026-11-12", "complaint", "call"),
        event("2026-11-13", "bounced", "email", email="debtor@example.com"),
        event("2026-11-14", "returned_mail", "letter"),
        event("2026-11-20", "connected", "call"),
        event("2026-11-24", "sent", "sms", action_id="T-0001-early-sms8-20261124"),
        event("2026-11-25", "no_answer", "call"),
    ]
    plan, trace = traced(policy, history)
    assert trace[:6] == [
        "days past due: 40 (due 2026-10-22, as of 2026-12-01)",
        MID,
        "state: 9 event(s) on file up to 2026-12-01; flags complaint (history, since 2026-11-12), hardship "
        "(history, since 2026-11-12); unusable email (data/email-bounced), address (data/address-returned); "
        "arrangement broken: 3 × 100 every 7 days from 2026-11-10, paid 100, arrears 200; last contact 2026-11-25; "
        "last right-party contact 2026-11-20; last payment 2026-11-10; 1 message(s) sent",
        "data/email-bounced: email to the address on file bounced: no email → suppress (channels email; "
        "the contact history)",
        "data/address-returned: a letter to the address on file came back (returned_mail): no letter or visit "
        "→ suppress (channels letter, visit; the contact history)",
        HARDSHIP_STOP,
    ]
    assert trace[6:] == [
        "no promise to pay on file",
        "status: active",
        "step/mid/call@32 due 2026-12-02: scheduled 2026-12-02T09:00:00-05:00 – 2026-12-02T20:00:00-05:00",
        *NOT_DUE,
        HARDSHIP_PLAN,
    ]
    # a broken arrangement resumes the cadence and says so on every action
    assert rows(plan) == [(*CALL, ("step/mid/call@32", "arrangement/broken"))]


def test_an_arrangement_paid_as_agreed_pauses_the_cadence(policy: Policy) -> None:
    plan, trace = traced(policy, [arrangement("2026-11-20"), payment("2026-11-20"), payment("2026-11-27")])
    assert trace[2:] == [
        "state: 3 event(s) on file up to 2026-12-01; arrangement active: 3 × 100 every 7 days from 2026-11-20, "
        "paid 200, arrears 0; last payment 2026-11-27",
        "no promise to pay on file",
        "status: paused",
        "no cadence steps: the account is paused",
        "offer/hardship-plan: not made (condition/flags)",
        PAYMENT_PLAN,
    ]
    assert (plan.status, plan.actions, plan.exclusions) == (
        "paused",
        (),
        (
            Exclusion(
                "arrangement/active",
                "arrangement of 3 instalment(s) of 100 every 7 days from 2026-11-20: paid as agreed, cadence paused",
            ),
        ),
    )


def test_an_arrangement_with_a_missed_instalment_is_broken(policy: Policy) -> None:
    # the third instalment was due 11-24; with 3 days of grace it is missed by 12-01
    plan, trace = traced(policy, [arrangement("2026-11-10"), payment("2026-11-10"), payment("2026-11-17")])
    assert trace[2] == (
        "state: 3 event(s) on file up to 2026-12-01; arrangement broken: 3 × 100 every 7 days from 2026-11-10, "
        "paid 200, arrears 100; last payment 2026-11-17"
    )
    assert (plan.status, plan.exclusions) == ("active", ())
    assert rows(plan) == [(*CALL, ("step/mid/call@32", "arrangement/broken"))]


def test_a_kept_promise_with_an_amount(policy: Policy) -> None:
    promise = event("2026-11-18", "promise", "call", amount=Decimal("50"), on=date(2026, 11, 20))
    plan, trace = traced(policy, [promise, payment("2026-11-21", "50")])
    assert trace[2:5] == [
        "state: 2 event(s) on file up to 2026-12-01; last right-party contact 2026-11-18; last payment 2026-11-21",
        "promise kept: promised for 2026-11-20 (50 USD; history), paid against it 50, kept on 2026-11-21",
        "status: active",
    ]
    assert rows(plan) == [(*CALL, ("step/mid/call@32",))]


def test_an_unreadable_history_pauses_an_active_account(policy: Policy) -> None:
    plan, trace = traced(policy, [], held=True)
    held = Exclusion("history/unreadable", "the contact history has an unreadable line for this account: no contact")
    assert trace == [
        "days past due: 40 (due 2026-10-22, as of 2026-12-01)",
        MID,
        "history/unreadable: the contact history has an unreadable line for this account: no contact",
        "no promise to pay on file",
        "status: paused",
        "no cadence steps: the account is paused",
    ]
    assert (plan.status, plan.exclusions, plan.actions, plan.offers) == ("paused", (held,), (), ())


def test_an_unreadable_history_leaves_an_excluded_account_excluded(policy: Policy) -> None:
    plan, trace = traced(policy, [], held=True, segment="staff")
    assert trace[-2:] == ["status: excluded", "no cadence steps: the account is excluded"]
    assert plan.status == "excluded"
    assert [e.code for e in plan.exclusions] == ["exclusion/staff-accounts", "history/unreadable"]


def test_an_exclusion_by_tier_and_balance_reads_the_as_of_date(policy: Policy) -> None:
    # small-balance holds for tiers late and recovery only: the tier needs the as-of date
    late, trace = traced(policy, [], overdue_amount="5.00", due_date=due(AS_OF, 70))
    assert (late.status, [e.code for e in late.exclusions]) == ("excluded", ["exclusion/small-balance"])
    assert trace[2] == (
        "exclusion/small-balance: Balance below the collection threshold — write-off review. → exclude "
        "(all channels; policies/contact-rules.yaml:34:5)"
    )
    mid, _ = traced(policy, [], overdue_amount="5.00")
    assert (mid.status, mid.exclusions) == ("active", ())


def test_offers_that_read_the_as_of_date_and_the_history(policy: Policy) -> None:
    base = next(o for o in policy.offers if o.id == "payment-plan")
    quiet = replace(base, id="quiet", when=Condition(no_payment_for_days=30))
    after_calls = replace(base, id="after-calls", when=Condition(failed_attempts=2))
    choice = replace(policy, offers=(quiet, after_calls))
    calls = [event("2026-11-25", "no_answer", "call"), event("2026-11-26", "no_answer", "call")]
    found = [
        [o.id for o in traced(choice, history, last_payment_date=paid)[0].offers]
        for paid, history in (("2026-11-01", []), ("2026-11-02", []), ("2026-11-02", calls), ("2026-11-02", calls[:1]))
    ]
    assert found == [["quiet"], [], ["after-calls"], []]
