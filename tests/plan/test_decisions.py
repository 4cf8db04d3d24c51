"""Exact plans for the decisions of issue #3: windows (DST, zones, 21:00), calendars, caps,
stops, opt-outs and promises, on the bundled example policy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dunning.accounts.model import Account
from dunning.accounts.record import parse_record
from dunning.compliance.engine import ContactEngine
from dunning.policy import require_policy
from dunning.policy.model import Policy

from .plan_support import BASE, account, contact, due, plan_of, rows


def texts(plan: object) -> list[tuple[object, ...]]:
    """The plan's SMS rows (a US account's day-1 validation letter comes with them)."""
    return [r for r in rows(plan) if r[0] == "sms"]  # type: ignore[arg-type]


def test_dst_fall_back_day_window_in_standard_time(policy: Policy) -> None:
    # 2026-11-01 (Sunday): New York leaves DST at 02:00; the weekend SMS window 10:00-18:00 is EST.
    as_of = date(2026, 11, 1)
    plan = plan_of(policy, account(policy, due_date=due(as_of, 1)), as_of)
    assert [r[0] for r in rows(plan)] == ["letter", "sms"]  # the US validation notice goes with the text
    assert texts(plan) == [
        ("sms", "scheduled", "2026-11-01T10:00:00-05:00", "2026-11-01T18:00:00-05:00", ("step/reminder/sms@1",))
    ]
    before = plan_of(policy, account(policy, due_date=due(date(2026, 10, 31), 1)), date(2026, 10, 31))
    assert texts(before)[0][2:4] == ("2026-10-31T10:00:00-04:00", "2026-10-31T18:00:00-04:00")


def test_dst_spring_forward_day_window_in_daylight_time(policy: Policy) -> None:
    as_of = date(2027, 3, 14)
    plan = plan_of(policy, account(policy, due_date=due(as_of, 1)), as_of)
    assert texts(plan) == [
        ("sms", "scheduled", "2027-03-14T10:00:00-04:00", "2027-03-14T18:00:00-04:00", ("step/reminder/sms@1",))
    ]


def test_phone_and_address_disagree_window_holds_in_both_zones(policy: Policy) -> None:
    # Address ZIP 94105 (Pacific) is primary, the 212 phone (Eastern) also counts: the Saturday SMS
    # window 10:00-18:00 must hold in both → 10:00-15:00 Pacific (= 13:00-18:00 Eastern).
    as_of = date(2026, 11, 28)
    acct = account(policy, timezone="", phone="+12125550100", postal_code="94105", due_date=due(as_of, 1))
    plan = plan_of(policy, acct, as_of)
    assert plan.timezone == "America/Los_Angeles"
    assert texts(plan) == [
        ("sms", "scheduled", "2026-11-28T10:00:00-08:00", "2026-11-28T15:00:00-08:00", ("step/reminder/sms@1",))
    ]


def test_window_ends_at_21_00_exclusive(example_copy: Path) -> None:
    # A policy email window 07:00-23:00 is cut to the law's [08:00, 21:00): 21:00:00 itself is out.
    timetables = example_copy / "policies" / "timetables.yaml"
    timetables.write_text(
        timetables.read_text(encoding="utf-8").replace(
            'email:\n        every_day: "08:00-20:00"', 'email:\n        every_day: "07:00-23:00"'
        ),
        encoding="utf-8",
    )
    policy = require_policy(example_copy)
    as_of = date(2026, 12, 1)
    acct = account(policy, due_date=due(as_of, 3))
    plan = plan_of(policy, acct, as_of)
    assert rows(plan) == [
        ("email", "scheduled", "2026-12-01T08:00:00-05:00", "2026-12-01T21:00:00-05:00", ("step/reminder/email@3",))
    ]
    engine = ContactEngine(policy)
    last = plan.actions[0].not_after
    assert last is not None
    from datetime import timedelta

    assert engine.check(acct, "email", last - timedelta(seconds=1), ()).verdict == "allow"
    assert engine.check(acct, "email", last, ()).verdict != "allow"


def _without_caps(example_copy: Path) -> Policy:
    rules = example_copy / "policies" / "contact-rules.yaml"
    text = rules.read_text(encoding="utf-8")
    start, end = text.index("caps:"), text.index("exclusions:")
    rules.write_text(text[:start] + text[end:], encoding="utf-8")
    return require_policy(example_copy)


def test_seven_calls_in_seven_days_edges(example_copy: Path) -> None:
    # Regulation F alone (the policy's stricter caps removed). Call due Tue 2026-12-01.
    policy = _without_caps(example_copy)
    as_of = date(2026, 12, 1)
    acct = account(policy, due_date=due(as_of, 32), overdue_amount="1500.00")
    days = ["2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30"]
    six = [contact(f"{d}T12:00:00-05:00") for d in days]
    # six counted calls in Nov 25-30: the seventh on Dec 1 is still allowed
    assert rows(plan_of(policy, acct, as_of, 2, six))[0][:3] == ("call", "scheduled", "2026-12-01T09:00:00-05:00")
    # a seventh on Nov 25: Dec 1 would be the eighth in Nov 25-Dec 1; Dec 2 is the first day
    # whose 7-day run (Nov 26-Dec 2) holds six
    seven = [contact("2026-11-25T15:00:00-05:00"), *six]
    assert rows(plan_of(policy, acct, as_of, 2, seven)) == [
        (
            "call",
            "deferred",
            "2026-12-02T09:00:00-05:00",
            "2026-12-02T20:00:00-05:00",
            ("step/mid/call@32", "us-regf.call-frequency"),
        )
    ]
    # busy signals do not count
    busy = [contact("2026-11-25T15:00:00-05:00", "busy"), *six]
    assert rows(plan_of(policy, acct, as_of, 2, busy))[0][1] == "scheduled"
    # without a horizon the refused call is suppressed with the rule's code
    assert rows(plan_of(policy, acct, as_of, 0, seven)) == [
        ("call", "suppressed", None, None, ("step/mid/call@32", "us-regf.call-frequency"))
    ]


def test_conversation_then_seven_days_without_calls(policy: Policy) -> None:
    # Conversation on Sun 2026-11-29 (day 1) blocks calls through Sat Dec 5; Sunday has no call
    # window, so the call due Tue Dec 1 moves to Mon Dec 7 09:00.
    as_of = date(2026, 12, 1)
    acct = account(policy, due_date=due(as_of, 32), overdue_amount="1500.00")
    talk = [contact("2026-11-29T11:00:00-05:00", "right_party_contact")]
    # Over 7 days: the Dec 1 call moves to Dec 7, the Dec 4 run of the step is superseded by it,
    # the email (not a call) goes on Dec 4, and the Dec 7 run is superseded too.
    assert rows(plan_of(policy, acct, as_of, 7, talk)) == [
        (
            "call",
            "deferred",
            "2026-12-07T09:00:00-05:00",
            "2026-12-07T20:00:00-05:00",
            ("step/mid/call@32", "us-regf.after-conversation"),
        ),
        ("call", "suppressed", None, None, ("step/mid/call@32", "superseded")),
        ("email", "scheduled", "2026-12-04T08:00:00-05:00", "2026-12-04T20:00:00-05:00", ("step/mid/email@35",)),
        ("call", "suppressed", None, None, ("step/mid/call@32", "superseded")),
    ]
    assert rows(plan_of(policy, acct, as_of, 0, talk)) == [
        ("call", "suppressed", None, None, ("step/mid/call@32", "us-regf.after-conversation"))
    ]


def test_us_holiday_defers_or_suppresses(policy: Policy) -> None:
    as_of = date(2026, 11, 26)  # Thanksgiving
    acct = account(policy, due_date=due(as_of, 1))
    assert rows(plan_of(policy, acct, as_of)) == [
        ("letter", "suppressed", None, None, ("step/reminder/letter@1", "holiday")),
        ("sms", "suppressed", None, None, ("step/reminder/sms@1", "holiday")),
    ]
    assert rows(plan_of(policy, acct, as_of, 1)) == [
        (
            "letter",
            "deferred",
            "2026-11-27T09:00:00-05:00",
            "2026-11-27T17:00:00-05:00",
            ("step/reminder/letter@1", "holiday"),
        ),
        (
            "sms",
            "deferred",
            "2026-11-27T09:00:00-05:00",
            "2026-11-27T20:00:00-05:00",
            ("step/reminder/sms@1", "holiday"),
        ),
    ]


def test_china_make_up_working_day_uses_workday_windows(policy: Policy) -> None:
    # Saturday 2026-02-14 is a make-up working day before the Spring Festival: workday windows
    # (letters 09:00-17:00); an ordinary Saturday (2026-03-07) has no letter window.
    cn = {"jurisdiction": "CN", "currency": "CNY", "timezone": "", "phone": "+8613812345678", "account_id": "C-0001"}
    makeup = date(2026, 2, 14)
    plan = plan_of(policy, account(policy, **cn, due_date=due(makeup, 21)), makeup)
    letter = [r for r in rows(plan) if r[0] == "letter"]
    assert letter == [
        ("letter", "scheduled", "2026-02-14T09:00:00+08:00", "2026-02-14T17:00:00+08:00", (letter[0][4][0],))
    ]
    saturday = date(2026, 3, 7)
    plan = plan_of(policy, account(policy, **cn, due_date=due(saturday, 21)), saturday)
    suppressed = next(r for r in rows(plan) if r[0] == "letter")
    assert suppressed[1:4] == ("suppressed", None, None)
    assert suppressed[4][1:] == ("weekday",)


def test_single_channel_opt_out(policy: Policy) -> None:
    # Early tier on day 14 (T-0001 hashes to bucket 703: champion): the call is suppressed by
    # the call opt-out, the email still goes.
    as_of = date(2026, 12, 1)
    acct = account(policy, account_id="T-0001", due_date=due(as_of, 14), call_opt_out="yes")
    plan = plan_of(policy, acct, as_of)
    assert plan.status == "active"
    assert [(e.code) for e in plan.exclusions] == ["opt-out/call"]
    assert [(r[0], r[1], r[4][1:]) for r in rows(plan)] == [
        ("call", "suppressed", ("opt-out/call",)),
        ("email", "scheduled", ()),
    ]


def test_promise_open_kept_broken(policy: Policy) -> None:
    as_of = date(2026, 12, 1)
    base = {"due_date": due(as_of, 32), "overdue_amount": "1500.00"}
    # open: promised Nov 29, grace 3 days → paused through Dec 2
    open_ = plan_of(policy, account(policy, **base, promise_to_pay_date="2026-11-29"), as_of)
    assert (open_.status, [e.code for e in open_.exclusions], open_.actions) == ("paused", ["promise/open"], ())
    # broken: promised Nov 20, no payment since → the cadence resumes, the call carries the code
    broken = plan_of(
        policy, account(policy, **base, promise_to_pay_date="2026-11-20", last_payment_date="2026-10-01"), as_of
    )
    assert broken.status == "active"
    assert rows(broken)[0][4] == ("step/mid/call@32", "promise/broken")
    # kept: paid on the promised day → no promise code, the cadence runs
    kept = plan_of(
        policy, account(policy, **base, promise_to_pay_date="2026-11-20", last_payment_date="2026-11-20"), as_of
    )
    assert kept.status == "active"
    assert rows(kept)[0][4] == ("step/mid/call@32",)


def test_law_stops_and_policy_exclusions(policy: Policy) -> None:
    as_of = date(2026, 12, 1)
    mid = {"due_date": due(as_of, 32), "overdue_amount": "1500.00"}
    bankrupt = plan_of(policy, account(policy, **mid, bankruptcy="true"), as_of)
    assert (bankrupt.status, bankrupt.actions, bankrupt.offers) == ("excluded", (), ())
    assert [e.code for e in bankrupt.exclusions] == ["us-regf.bankruptcy"]
    vulnerable = plan_of(policy, account(policy, **mid, vulnerable="true"), as_of)
    assert (vulnerable.status, [e.code for e in vulnerable.exclusions]) == (
        "paused",
        ["exclusion/vulnerable-customer"],
    )
    staff = plan_of(policy, account(policy, **mid, segment="staff"), as_of)
    assert (staff.status, [e.code for e in staff.exclusions]) == ("excluded", ["exclusion/staff-accounts"])


def test_escalation_only_when_conditions_hold(policy: Policy) -> None:
    as_of = date(2026, 12, 1)
    big = account(policy, due_date=due(as_of, 105), overdue_amount="5000.00", last_payment_date="2026-07-01")
    # no sent events in this run: the requirement (the pre-legal letter 14 days before) counts as
    # met when the cadence could have sent it — the letter's day passed and the account has an address
    plan = plan_of(policy, big, as_of)
    assert [(a.channel, a.status, a.template) for a in plan.actions] == [("legal_review", "scheduled", "legal-review")]
    homeless = account(
        policy, due_date=due(as_of, 105), overdue_amount="5000.00", last_payment_date="2026-07-01", address=""
    )
    assert [(a.channel, a.status, a.reasons[-1]) for a in plan_of(policy, homeless, as_of).actions] == [
        ("legal_review", "suppressed", "step/waiting/letter-pre-legal")
    ]
    paid = account(policy, due_date=due(as_of, 105), overdue_amount="5000.00", last_payment_date="2026-11-01")
    assert plan_of(policy, paid, as_of).actions == ()
    small = account(policy, due_date=due(as_of, 120), overdue_amount="900.00", last_payment_date="2026-07-01")
    agency = plan_of(policy, small, as_of).actions
    assert [(a.channel, a.agency, a.not_before.isoformat() if a.not_before else "") for a in agency] == [
        ("agency", "northwind-recovery", "2026-12-01T00:00:00-05:00")
    ]


def test_an_account_without_a_locale_gets_its_jurisdictions_then_the_policys(policy: Policy) -> None:
    # The locale falls back to the jurisdiction's first locale, and for a jurisdiction the
    # policy does not list (an account read without the policy's list, as a library caller
    # may: the CLI's reader rejects it, R006) to the policy's default_locale.
    as_of = date(2026, 12, 1)
    cn = account(policy, account_id="CN-T1", jurisdiction="CN", currency="CNY", timezone="Asia/Shanghai",
                 phone="+8613800138000", due_date=due(as_of, 14))  # fmt: skip
    assert plan_of(policy, cn, as_of).locale == "zh-CN"
    row = {**BASE, "account_id": "GB-T1", "jurisdiction": "GB", "currency": "GBP", "timezone": "Europe/London",
           "phone": "+442079460000", "due_date": due(as_of, 14)}  # fmt: skip
    gb = parse_record(row, 2, None)
    assert isinstance(gb, Account), gb
    assert policy.jurisdiction("GB") is None
    assert plan_of(policy, gb, as_of).locale == "en-US"
