"""The cadence remembers (issue #16): with a history that records sends, a due step without a
`sent` event is caught up within its window and then recorded missed; a required notice is
sent however late the account arrives and later steps wait for it; escalation waits for the
notices it requires; a US account hears nothing before its validation notice."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from dunning.accounts.model import Account, Contact
from dunning.plan.decide import Planner
from dunning.policy.model import Policy

from .backlog_support import DUE, brief, on, plan
from .plan_support import account

CN = {"jurisdiction": "CN", "currency": "CNY", "timezone": "Asia/Shanghai", "phone": "+8613812345678",
      "account_id": "C-1", "address": "上海市浦东新区世纪大道1号"}  # fmt: skip


def sent(action_id: str, day: date, outcome: str = "sent", channel: str = "letter") -> Contact:
    return Contact(action_id.split("-")[0] + "-" + action_id.split("-")[1], datetime(day.year, day.month, day.day,
                   10, tzinfo=_CST), channel, outcome, action_id=action_id)  # fmt: skip


_CST = datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo


def cn(policy: Policy, **changes: object) -> Account:
    return account(policy, **{**CN, "due_date": DUE.isoformat(), "overdue_amount": "30000.00", **changes})


def test_a_late_entry_gets_its_required_notice_and_escalation_waits_for_it(policy: Policy) -> None:
    acct = cn(policy, last_payment_date="2026-01-01")
    # first seen at 95 days: the day-91 pre-legal letter (required) goes out today, under its own id
    assert brief(plan(policy, acct, 95)) == [
        ("C-1-recovery-letter91-20260831", "scheduled", ("step/recovery/letter@91", "step/catch-up")),
    ]
    # on day 105 legal review is due, but the letter was never sent: it waits, naming it
    assert brief(plan(policy, acct, 105)) == [
        ("C-1-recovery-letter91-20260831", "scheduled", ("step/recovery/letter@91", "step/catch-up")),
        (
            "C-1-recovery-legal_review105-20260914",
            "suppressed",
            ("step/recovery/legal_review@105", "step/waiting/letter-pre-legal"),
        ),
    ]


def test_placement_proceeds_fourteen_days_after_its_notice_is_sent(policy: Policy) -> None:
    acct = cn(policy, last_payment_date="2026-01-01")
    letter = "C-1-recovery-letter91-20260831"
    late = [sent(letter, on(96))]  # the letter went out on day 96: legal review may go from day 110
    assert brief(plan(policy, acct, 105, late))[-1] == (
        "C-1-recovery-legal_review105-20260914",
        "suppressed",
        ("step/recovery/legal_review@105", "step/waiting/letter-pre-legal"),
    )
    # day 110: the occurrence of day 105 is caught up (its window is 7 days), 14 days after the letter
    assert brief(plan(policy, acct, 110, late)) == [
        ("C-1-recovery-legal_review105-20260914", "scheduled", ("step/recovery/legal_review@105", "step/catch-up")),
    ]
    # a returned letter does not count: it waits again
    returned = [*late, sent(letter, on(99), "returned_mail")]
    assert brief(plan(policy, acct, 110, returned))[-1][2][-1] == "step/waiting/letter-pre-legal"


def test_a_step_not_sent_is_caught_up_then_recorded_missed_once(policy: Policy) -> None:
    acct = cn(policy, overdue_amount="3000.00", email="x@example.cn")
    email = "C-1-mid-email35-20260706"  # mid's day-35 email; one-off, so the default window: 7 days
    track = [sent("C-1-mid-sms31-20260702", on(31), channel="sms")]
    caught = [a for a in plan(policy, acct, 36, track).actions if a.id == email]
    assert [(a.status, a.reasons) for a in caught] == [("scheduled", ("step/mid/email@35", "step/catch-up"))]
    assert [a.id for a in plan(policy, acct, 42, track).actions if a.id == email] == [email]
    missed = [a for a in plan(policy, acct, 43, track).actions if a.id == email]
    assert [(a.status, a.reasons) for a in missed] == [("suppressed", ("step/mid/email@35", "step/missed"))]
    assert [a for a in plan(policy, acct, 44, track).actions if a.id == email] == []
    # once sent, it is neither caught up nor missed
    done = [*track, sent(email, on(38), channel="email")]
    assert [a for a in plan(policy, acct, 43, done).actions if a.id == email] == []


def test_without_sent_events_steps_fire_on_their_day_only(policy: Policy) -> None:
    acct = cn(policy, overdue_amount="3000.00", email="x@example.cn")
    untracked = Planner(policy, on(36), 0).plan(acct, [])
    assert [a.id for a in untracked.actions] == []


def test_a_us_account_hears_nothing_before_its_validation_notice(policy: Policy) -> None:
    us = account(policy, due_date=DUE.isoformat(), overdue_amount="500.00", phone="+12125550142")
    day1 = plan(policy, us, 1)
    assert brief(day1) == [
        ("T-0001-reminder-letter1-20260602", "scheduled", ("step/reminder/letter@1",)),
        (
            "T-0001-reminder-sms1-20260602",
            "suppressed",
            ("step/reminder/sms@1", "step/waiting/letter-notice", "us-regf.validation-notice-first"),
        ),
    ]
    # the notice went out on day 1: on day 2 the text is caught up, under its day-1 id
    notice = [Contact("T-0001", datetime(2026, 6, 2, 15, tzinfo=_EST), "letter", "sent",
                      action_id="T-0001-reminder-letter1-20260602")]  # fmt: skip
    assert brief(plan(policy, us, 2, notice)) == [
        ("T-0001-reminder-sms1-20260602", "scheduled", ("step/reminder/sms@1", "step/catch-up")),
    ]


_EST = datetime.fromisoformat("2026-01-01T00:00:00-05:00").tzinfo


def test_a_dispute_pauses_until_verification_is_sent(policy: Policy) -> None:
    us = account(policy, due_date=DUE.isoformat(), overdue_amount=str(Decimal("500.00")), phone="+12125550142")
    notice = Contact("T-0001", datetime(2026, 6, 2, 15, tzinfo=_EST), "letter", "sent",
                     action_id="T-0001-reminder-letter1-20260602")  # fmt: skip
    dispute = Contact("T-0001", datetime(2026, 6, 3, 9, tzinfo=_EST), "letter", "dispute")
    paused = plan(policy, us, 3, [notice, dispute])
    assert (paused.status, [e.code for e in paused.exclusions]) == ("paused", ["us-regf.dispute"])
    verified = Contact("T-0001", datetime(2026, 6, 5, 9, tzinfo=_EST), "letter", "verification_sent")
    resumed = plan(policy, us, 5, [notice, dispute, verified])
    assert resumed.status == "active"
