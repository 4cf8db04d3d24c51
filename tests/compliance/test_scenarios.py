"""Scenario suite: one contact at one moment, with the exact verdict, earliest moment and
reason codes. The US cases follow the worked examples of the CFPB's official
interpretations of 12 CFR 1006.6(b)(1)(i) (inconvenient times, ambiguous location) and
1006.14(b) (call frequency, the conversation cool-down, unconnected calls) — with dates of
our own; the test policy has wide windows so the law decides unless a test says otherwise.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from dunning.accounts.model import Contact
from dunning.compliance.engine import ContactEngine, Verdict
from dunning.policy import require_policy

from .compliance_support import REPO, account

US = account(phone="+12125550100")  # New York
MA = account(jurisdiction="US-MA", phone="+16175550100")  # Boston
CN = account(jurisdiction="CN", currency="CNY", phone="+8613812345678")
GB = account(jurisdiction="GB", currency="GBP", timezone="Europe/London", phone="+447911123456")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def call(when: str, outcome: str = "no_answer", *, channel: str = "call", debt: str = "", phone: str = "") -> Contact:
    return Contact("A-1", at(when), channel, outcome, debt_id=debt, phone=phone)


def summary(v: Verdict) -> tuple[str, str, str | None, list[str]]:
    return v.verdict, v.legal_verdict, v.earliest.isoformat() if v.earliest else None, [r.code for r in v.reasons]


# A week of calls, Monday 2026-11-02 … Friday 2026-11-06, seven counted calls in all.
SEVEN_CALLS = [
    call("2026-11-02T09:00:00-05:00"),
    call("2026-11-03T09:00:00-05:00"),
    call("2026-11-03T12:00:00-05:00", "voicemail"),
    call("2026-11-04T09:00:00-05:00", "attempted"),
    call("2026-11-05T09:00:00-05:00"),
    call("2026-11-06T09:00:00-05:00"),
    call("2026-11-06T10:00:00-05:00", "voicemail"),
]


# --- 12 CFR 1006.14(b)(2)(i)(A): more than 7 calls in 7 consecutive days -------------------------


def test_comment_14b2i_1_eighth_call_in_seven_days_is_refused_until_the_first_drops_out(engine: ContactEngine) -> None:
    v = engine.check(US, "call", at("2026-11-07T10:00:00-05:00"), SEVEN_CALLS)
    # Saturday and Sunday still see 7 calls in their 7-day runs; Monday 11-09's run (11-03…11-09) has 6.
    assert summary(v) == ("reschedule", "reschedule", "2026-11-09T08:00:00-05:00", ["us-regf.call-frequency"])
    assert v.reasons[0].citation == "12 CFR 1006.14(b)(2)(i)(A)"
    assert v.reasons[0].message == "7 counted contact(s) already in 2026-11-01–2026-11-07; at most 7 in 7 day(s)"


def test_comment_14b3ii_1_busy_and_not_in_service_calls_do_not_count(engine: ContactEngine) -> None:
    history = [
        *SEVEN_CALLS[:-1],
        call("2026-11-06T10:00:00-05:00", "busy"),
        call("2026-11-06T11:00:00-05:00", "failed"),
    ]
    assert summary(engine.check(US, "call", at("2026-11-07T10:00:00-05:00"), history)) == ("allow", "allow", None, [])


def test_texts_and_emails_do_not_count_toward_the_call_cap(engine: ContactEngine) -> None:
    history = [*SEVEN_CALLS[:-1], call("2026-11-06T10:00:00-05:00", "delivered", channel="sms")]
    assert summary(engine.check(US, "call", at("2026-11-07T10:00:00-05:00"), history))[0] == "allow"
    # and a text is not refused by the call cap
    assert summary(engine.check(US, "sms", at("2026-11-07T10:00:00-05:00"), SEVEN_CALLS)) == (
        "allow",
        "allow",
        None,
        [],
    )


def test_planned_calls_count_like_placed_ones(engine: ContactEngine) -> None:
    planned = [call("2026-11-06T10:00:00-05:00", "attempted")]
    v = engine.check(US, "call", at("2026-11-07T10:00:00-05:00"), SEVEN_CALLS[:-1], planned=planned)
    assert summary(v) == ("reschedule", "reschedule", "2026-11-09T08:00:00-05:00", ["us-regf.call-frequency"])


def test_calls_are_counted_per_debt_and_undated_records_count_for_every_debt(engine: ContactEngine) -> None:
    other_debt = [Contact("A-1", c.at, c.channel, c.outcome, debt_id="D-2") for c in SEVEN_CALLS]
    assert engine.check(US, "call", at("2026-11-07T10:00:00-05:00"), other_debt, debt_id="D-1").verdict == "allow"
    # records without a debt id count against D-1 as well
    assert engine.check(US, "call", at("2026-11-07T10:00:00-05:00"), SEVEN_CALLS, debt_id="D-1").verdict == "reschedule"


def test_student_loans_under_one_account_count_as_one_debt(engine: ContactEngine) -> None:
    loans = account(phone="+12125550100", product="student_loan")
    other_debt = [Contact("A-1", c.at, c.channel, c.outcome, debt_id="D-2") for c in SEVEN_CALLS]
    v = engine.check(loans, "call", at("2026-11-07T10:00:00-05:00"), other_debt, debt_id="D-1")
    assert summary(v) == ("reschedule", "reschedule", "2026-11-09T08:00:00-05:00", ["us-regf.call-frequency"])


# --- 12 CFR 1006.14(b)(2)(i)(B): 7 days after a telephone conversation --------------------------


def test_comment_14b2i_1_conversation_day_is_day_one(engine: ContactEngine) -> None:
    # The consumer phones in on Monday 11-02 and they talk about the debt: Monday is day 1,
    # Sunday 11-08 day 7; the next call may be placed on Monday 11-09.
    history = [call("2026-11-02T19:00:00-05:00", "right_party_contact")]
    v = engine.check(US, "call", at("2026-11-04T10:00:00-05:00"), history)
    assert summary(v) == ("reschedule", "reschedule", "2026-11-09T08:00:00-05:00", ["us-regf.after-conversation"])
    assert v.reasons[0].message == "a telephone conversation on 2026-11-02 (day 1 of 7) blocks calls until 2026-11-09"
    assert engine.check(US, "call", at("2026-11-08T20:59:59-05:00"), history).verdict == "reschedule"
    assert summary(engine.check(US, "call", at("2026-11-09T08:00:00-05:00"), history)) == ("allow", "allow", None, [])


def test_a_connected_call_is_read_as_a_conversation(engine: ContactEngine) -> None:
    v = engine.check(US, "call", at("2026-11-03T10:00:00-05:00"), [call("2026-11-02T10:00:00-05:00", "connected")])
    assert summary(v) == ("reschedule", "reschedule", "2026-11-09T08:00:00-05:00", ["us-regf.after-conversation"])


def test_conversation_does_not_stop_texts_or_email(engine: ContactEngine) -> None:
    history = [call("2026-11-02T19:00:00-05:00", "right_party_contact")]
    assert engine.check(US, "sms", at("2026-11-03T10:00:00-05:00"), history).verdict == "allow"
    assert engine.check(US, "email", at("2026-11-03T10:00:00-05:00"), history).verdict == "allow"


# --- 12 CFR 1006.6(b)(1)(i): 08:00–21:00 at the consumer's location ---------------------------


def test_window_edges_2059_allowed_2100_refused(engine: ContactEngine) -> None:
    assert summary(engine.check(US, "call", at("2026-11-02T20:59:00-05:00"), [])) == ("allow", "allow", None, [])
    assert summary(engine.check(US, "call", at("2026-11-02T20:59:59-05:00"), [])) == ("allow", "allow", None, [])
    v = engine.check(US, "call", at("2026-11-02T21:00:00-05:00"), [])
    assert summary(v) == ("reschedule", "reschedule", "2026-11-03T08:00:00-05:00", ["us-regf.call-hours"])
    assert v.reasons[0].message == "21:00 in America/New_York is outside the legal hours 08:00–21:00"
    early = engine.check(US, "sms", at("2026-11-02T07:59:59-05:00"), [])
    assert summary(early) == ("reschedule", "reschedule", "2026-11-02T08:00:00-05:00", ["us-regf.call-hours"])


def test_an_email_counts_at_the_moment_it_is_sent(engine: ContactEngine) -> None:
    v = engine.check(US, "email", at("2026-11-02T23:30:00-05:00"), [])
    assert summary(v) == ("reschedule", "reschedule", "2026-11-03T08:00:00-05:00", ["us-regf.call-hours"])


def test_ambiguous_location_must_be_convenient_in_every_zone(engine: ContactEngine) -> None:
    # Official interpretation of 1006.6(b)(1)(i): with an Eastern address and a Pacific phone
    # number, 08:00 Pacific (11:00 Eastern) to 21:00 Eastern (18:00 Pacific) is safe.
    both = account(postal_code="02139", phone="+14155550100")
    v = engine.check(both, "call", at("2026-11-02T10:59:00-05:00"), [])
    assert summary(v) == ("reschedule", "reschedule", "2026-11-02T11:00:00-05:00", ["us-regf.call-hours"])
    assert v.reasons[0].message == "07:59 in America/Los_Angeles is outside the legal hours 08:00–21:00"
    assert engine.check(both, "call", at("2026-11-02T11:00:00-05:00"), []).verdict == "allow"
    assert engine.check(both, "call", at("2026-11-02T20:59:00-05:00"), []).verdict == "allow"


def test_dst_start_day(engine: ContactEngine) -> None:
    # 2026-03-08 (clocks spring forward at 02:00): 08:00 EDT is the first legal moment.
    assert summary(engine.check(US, "call", at("2026-03-08T07:59:00-04:00"), [])) == (
        "reschedule",
        "reschedule",
        "2026-03-08T08:00:00-04:00",
        ["us-regf.call-hours"],
    )
    assert engine.check(US, "call", at("2026-03-08T12:00:00+00:00"), []).verdict == "allow"  # 08:00 EDT


def test_dst_end_day(engine: ContactEngine) -> None:
    # 2026-11-01 (clocks fall back at 02:00): 12:30 UTC is 07:30 EST, not yet 08:00.
    v = engine.check(US, "call", at("2026-11-01T12:30:00+00:00"), [])
    assert summary(v) == ("reschedule", "reschedule", "2026-11-01T08:00:00-05:00", ["us-regf.call-hours"])


def test_arizona_keeps_standard_time_all_year(engine: ContactEngine) -> None:
    phoenix = account(phone="+16025550100")
    assert engine.check(phoenix, "call", at("2026-07-01T20:59:00-07:00"), []).verdict == "allow"
    v = engine.check(phoenix, "call", at("2026-07-02T04:00:00+00:00"), [])  # 21:00 MST
    assert summary(v) == ("reschedule", "reschedule", "2026-07-02T08:00:00-07:00", ["us-regf.call-hours"])


# --- Massachusetts: 2 calls or texts in 7 days ----------------------------------------------------


def test_massachusetts_third_call_or_text_in_seven_days_is_refused(engine: ContactEngine) -> None:
    history = [call("2026-11-02T10:00:00-05:00"), call("2026-11-04T10:00:00-05:00", "delivered", channel="sms")]
    v = engine.check(MA, "call", at("2026-11-05T10:00:00-05:00"), history)
    assert summary(v) == ("reschedule", "reschedule", "2026-11-09T08:00:00-05:00", ["us-ma.call-frequency"])
    assert v.reasons[0].citation == "209 CMR 18.14(1)(d); 940 CMR 7.04(1)(f)"
    assert engine.check(MA, "sms", at("2026-11-05T10:00:00-05:00"), history).verdict == "reschedule"
    assert engine.check(MA, "email", at("2026-11-05T10:00:00-05:00"), history).verdict == "allow"
    # the same history is fine for an account outside Massachusetts
    assert engine.check(US, "call", at("2026-11-05T10:00:00-05:00"), history).verdict == "allow"


def test_massachusetts_counts_unanswered_and_busy_calls(engine: ContactEngine) -> None:
    history = [call("2026-11-02T10:00:00-05:00", "busy"), call("2026-11-03T10:00:00-05:00", "no_answer")]
    v = engine.check(MA, "call", at("2026-11-05T10:00:00-05:00"), history)
    assert summary(v) == ("reschedule", "reschedule", "2026-11-09T08:00:00-05:00", ["us-ma.call-frequency"])
    failed = [call("2026-11-02T10:00:00-05:00", "failed"), call("2026-11-03T10:00:00-05:00", "no_answer")]
    assert engine.check(MA, "call", at("2026-11-05T10:00:00-05:00"), failed).verdict == "allow"


# --- China --------------------------------------------------------------------------------------------


def test_china_2200_edge(engine: ContactEngine) -> None:
    assert summary(engine.check(CN, "sms", at("2026-11-03T21:59:59+08:00"), [])) == ("allow", "allow", None, [])
    v = engine.check(CN, "sms", at("2026-11-03T22:00:00+08:00"), [])
    assert summary(v) == ("reschedule", "reschedule", "2026-11-04T08:00:00+08:00", ["cn.quiet-hours"])
    assert v.reasons[0].message == "22:00 in Asia/Shanghai is outside the legal hours 08:00–22:00"


def test_china_quiet_hours_hold_in_shanghai_whatever_the_debtor_zone(engine: ContactEngine) -> None:
    abroad = account(jurisdiction="CN", currency="CNY", timezone="Asia/Urumqi")
    # 21:30 in Urumqi (+06) is 23:30 in Shanghai
    v = engine.check(abroad, "sms", at("2026-11-03T21:30:00+06:00"), [])
    assert summary(v) == ("reschedule", "reschedule", "2026-11-04T08:00:00+06:00", ["cn.quiet-hours"])


def test_china_three_connected_calls_a_day(engine: ContactEngine) -> None:
    history = [
        call("2026-11-03T09:00:00+08:00", "connected"),
        call("2026-11-03T11:00:00+08:00", "right_party_contact"),
        call("2026-11-03T15:00:00+08:00", "connected"),
    ]
    v = engine.check(CN, "call", at("2026-11-03T18:00:00+08:00"), history)
    assert summary(v) == ("reschedule", "reschedule", "2026-11-04T08:00:00+08:00", ["cn.connected-calls"])
    assert engine.check(CN, "call", at("2026-11-03T18:00:00+08:00"), history[:2]).verdict == "allow"


def test_china_six_unanswered_attempts_a_day_per_number(engine: ContactEngine) -> None:
    history = [call(f"2026-11-03T{h:02d}:00:00+08:00", "no_answer") for h in (9, 10, 11, 12, 13, 14)]
    v = engine.check(CN, "call", at("2026-11-03T18:00:00+08:00"), history)
    assert summary(v) == ("reschedule", "reschedule", "2026-11-04T08:00:00+08:00", ["cn.unanswered-attempts"])
    other_number = [Contact("A-1", c.at, c.channel, c.outcome, phone="+8613900000000") for c in history]
    assert engine.check(CN, "call", at("2026-11-03T18:00:00+08:00"), other_number).verdict == "allow"


def test_china_holiday_is_a_policy_refusal_not_a_legal_one(engine: ContactEngine) -> None:
    v = engine.check(CN, "call", at("2026-10-01T10:00:00+08:00"), [])
    # National Day: the State Council's break is 10-01..10-07, the weekend inside it included
    # (Sunday 10-04 is no ordinary weekend day); Thursday 10-08 is the first workday after it
    # (the workday call window opens 07:00, the law's hours at 08:00).
    assert summary(v) == ("reschedule", "allow", "2026-10-08T08:00:00+08:00", ["holiday"])
    # Saturday 10-10 is a moved working day: the workday window, not the weekend one
    assert engine.check(CN, "call", at("2026-10-10T08:30:00+08:00"), []).verdict == "allow"


# --- stops ------------------------------------------------------------------------------------------------


def test_uk_breathing_space_stops_all_contact(engine: ContactEngine) -> None:
    held = account(jurisdiction="GB", currency="GBP", timezone="Europe/London", flags={"breathing_space"})
    v = engine.check(held, "sms", at("2026-11-03T10:00:00+00:00"), [])
    assert summary(v) == ("suppress", "suppress", None, ["uk-conc.breathing-space"])
    assert v.reasons[0].citation.startswith("The Debt Respite Scheme")
    # a reply to the debtor's own query stays allowed
    assert engine.check(held, "sms", at("2026-11-03T10:00:00+00:00"), [], purpose="reply").verdict == "allow"


def test_scotland_cites_its_own_moratorium(engine: ContactEngine) -> None:
    for jurisdiction, code, cited in (
        ("GB-SCT", "uk-conc.scotland-moratorium", "Bankruptcy (Scotland) Act 2016, ss. 195-198"),
        ("GB-WLS", "uk-conc.breathing-space", "The Debt Respite Scheme"),
        ("GB-NIR", "uk-conc.breathing-space", "The Debt Respite Scheme"),
    ):
        held = account(jurisdiction=jurisdiction, currency="GBP", timezone="Europe/London", flags={"breathing_space"})
        v = engine.check(held, "sms", at("2026-11-03T10:00:00+00:00"), [])
        assert summary(v) == ("suppress", "suppress", None, [code]), jurisdiction
        assert v.reasons[0].citation.startswith(cited)
        assert engine.check(held, "sms", at("2026-11-03T10:00:00+00:00"), [], purpose="reply").verdict == "allow"


@pytest.mark.parametrize(
    ("jurisdiction", "day", "off"),
    [
        ("GB", "2026-04-06", True),  # Easter Monday: England, Wales, Northern Ireland
        ("GB", "2026-08-31", True),  # the August bank holiday of England, Wales, Northern Ireland
        ("GB", "2026-08-03", True),  # Scotland's first Monday of August
        ("GB", "2026-11-30", True),  # St Andrew's Day
        ("GB", "2026-03-17", True),  # St Patrick's Day
        ("GB", "2026-11-03", False),
        ("GB-SCT", "2026-04-06", False),  # a Scottish account is called on Easter Monday …
        ("GB-SCT", "2026-08-03", True),  # … not on Scotland's bank holiday
        ("GB-ENG", "2026-08-03", False),
        ("GB-ENG", "2026-08-31", True),
    ],
)
def test_gb_without_a_nation_keeps_every_nations_bank_holidays(
    engine: ContactEngine, jurisdiction: str, day: str, off: bool
) -> None:
    a = account(jurisdiction=jurisdiction, currency="GBP", timezone="Europe/London")
    v = engine.check(a, "call", at(f"{day}T10:00:00+01:00" if day < "2026-10-25" else f"{day}T10:00:00+00:00"), [])
    assert (v.verdict, [r.code for r in v.reasons]) == (("reschedule", ["holiday"]) if off else ("allow", []))


def test_a_channel_the_timetable_never_opens_is_suppressed(engine: ContactEngine) -> None:
    v = engine.check(GB, "email", at("2026-11-03T10:00:00+00:00"), [])
    assert summary(v) == ("suppress", "allow", None, ["timetable/gb", "horizon"])


def test_uk_dispute_suspends_recovery(engine: ContactEngine) -> None:
    disputed = account(jurisdiction="GB", currency="GBP", timezone="Europe/London", flags={"dispute"})
    assert summary(engine.check(disputed, "call", at("2026-11-03T10:00:00+00:00"), [])) == (
        "suppress",
        "suppress",
        None,
        ["uk-conc.dispute"],
    )


def test_us_bankruptcy_and_cease(engine: ContactEngine) -> None:
    bankrupt = account(phone="+12125550100", flags={"bankruptcy"})
    assert summary(engine.check(bankrupt, "letter", at("2026-11-03T10:00:00-05:00"), [])) == (
        "suppress",
        "suppress",
        None,
        ["us-regf.bankruptcy"],
    )
    ceased = account(phone="+12125550100", flags={"cease_contact"})
    assert summary(engine.check(ceased, "email", at("2026-11-03T10:00:00-05:00"), [])) == (
        "suppress",
        "suppress",
        None,
        ["us-regf.cease-contact"],
    )
    # the notices 1006.6(c)(1) allows may still be sent
    assert engine.check(ceased, "letter", at("2026-11-03T10:00:00-05:00"), [], purpose="notice").verdict == "allow"


def test_opt_out_suppresses_only_its_channel(engine: ContactEngine) -> None:
    opted = account(phone="+12125550100", flags={"sms_opt_out"})
    v = engine.check(opted, "sms", at("2026-11-03T10:00:00-05:00"), [])
    assert summary(v) == ("suppress", "suppress", None, ["opt-out/sms"])
    assert v.reasons[0].rule == "us-regf.opt-out"
    assert engine.check(opted, "call", at("2026-11-03T10:00:00-05:00"), []).verdict == "allow"
    assert engine.check(opted, "email", at("2026-11-03T10:00:00-05:00"), []).verdict == "allow"


def test_engine_safety_stops_are_policy_not_law(engine: ContactEngine) -> None:
    held = account(phone="+12125550100", flags={"legal_hold"})
    assert summary(engine.check(held, "call", at("2026-11-03T10:00:00-05:00"), [])) == (
        "suppress",
        "allow",
        None,
        ["flag/legal_hold"],
    )
    cn_bankrupt = account(jurisdiction="CN", currency="CNY", phone="+8613812345678", flags={"bankruptcy"})
    assert summary(engine.check(cn_bankrupt, "sms", at("2026-11-03T10:00:00+08:00"), [])) == (
        "suppress",
        "allow",
        None,
        ["flag/bankruptcy"],
    )


# --- the policy's own rules ---------------------------------------------------------------------------------


def test_policy_cap_is_stricter_than_the_law(engine: ContactEngine) -> None:
    history = [call("2026-11-03T09:00:00+00:00")]
    v = engine.check(GB, "call", at("2026-11-03T12:00:00+00:00"), history)
    assert summary(v) == ("reschedule", "allow", "2026-11-04T08:00:00+00:00", ["cap/gb-one-call-a-day"])
    assert v.reasons[0].citation == "policies/contact-rules.yaml:2:5"


def test_policy_exclusions(engine: ContactEngine) -> None:
    staff = account(phone="+12125550100", segment="staff")
    assert summary(engine.check(staff, "letter", at("2026-11-03T10:00:00-05:00"), [])) == (
        "suppress",
        "allow",
        None,
        ["exclusion/staff"],
    )
    hardship = account(phone="+12125550100", flags={"hardship"})
    assert summary(engine.check(hardship, "sms", at("2026-11-03T10:00:00-05:00"), [])) == (
        "suppress",
        "allow",
        None,
        ["exclusion/hardship-no-visits"],
    )
    assert engine.check(hardship, "call", at("2026-11-03T10:00:00-05:00"), []).verdict == "allow"


def test_law_and_policy_reasons_are_both_given(engine: ContactEngine) -> None:
    # 21:30 on a Sunday for a text: the law (after 21:00) and the policy (no Sunday texts).
    v = engine.check(US, "sms", at("2026-11-01T21:30:00-05:00"), [])
    assert summary(v) == ("reschedule", "reschedule", "2026-11-02T08:00:00-05:00", ["us-regf.call-hours", "weekday"])


def test_earliest_never_falls_on_a_day_the_account_is_excluded(engine: ContactEngine) -> None:
    # Due 2026-10-03: on 11-02 the account is 30 days past due (tier early); from 11-03 it is
    # in tier late, where the small-balance exclusion stops contact. The one-call-a-day cap
    # refuses 11-02, and no later day is free of the exclusion.
    small = account(jurisdiction="GB", currency="GBP", timezone="Europe/London", overdue_amount=Decimal("5.00"),
                    due_date=date(2026, 10, 3))  # fmt: skip
    v = engine.check(small, "call", at("2026-11-02T12:00:00+00:00"), [call("2026-11-02T09:00:00+00:00")])
    assert summary(v) == ("suppress", "allow", None, ["cap/gb-one-call-a-day", "horizon"])
    assert engine.check(small, "call", at("2026-11-03T12:00:00+00:00"), []).verdict == "suppress"
    assert engine.check(small, "call", at("2026-11-03T12:00:00+00:00"), []).reasons[0].code == "exclusion/small-balance"


# --- rendered content (the gate's optional `content`) -------------------------------------------------


def test_us_text_without_opt_out_or_disclosure_is_refused(engine: ContactEngine) -> None:
    moment = at("2026-11-03T10:00:00-05:00")
    good = "This is a communication from a debt collector. Your payment is due. Reply STOP to opt out."
    assert summary(engine.check(US, "sms", moment, [], content=good)) == ("allow", "allow", None, [])
    v = engine.check(US, "sms", moment, [], content="Your payment is due. Reply STOP to opt out.")
    assert summary(v) == ("suppress", "suppress", None, ["us-regf.mini-miranda"])
    assert v.reasons[0].message == "the sms content has no debt-collector disclosure; send it only with the disclosure"
    v = engine.check(US, "email", moment, [], content="From a debt collector: your payment is due.")
    assert summary(v) == ("suppress", "suppress", None, ["us-regf.opt-out-notice"])
    # a letter needs the disclosure but no opt-out; a notice under cease names its purpose
    assert engine.check(US, "letter", moment, [], content="A letter from a debt collector.").verdict == "allow"
    assert engine.check(US, "letter", moment, [], content="Account closed.", purpose="reply").verdict == "allow"


def test_content_rules_are_us_only(engine: ContactEngine) -> None:
    assert (
        engine.check(CN, "sms", at("2026-11-03T10:00:00+08:00"), [], content="【示例金融】您的账单已逾期。").verdict
        == "allow"
    )


def test_tightening_applies_and_loosening_is_ignored(tmp_path: Path) -> None:
    shutil.copytree(REPO, tmp_path / "repo")
    portfolio = tmp_path / "repo" / "policies" / "portfolio.yaml"
    text = portfolio.read_text(encoding="utf-8").replace(
        "    packs: [us-regf]\n",
        "    packs: [us-regf]\n"
        "    tighten:\n"
        '      us-regf.call-hours: {start: "09:00"}\n'
        "      us-regf.call-frequency: {max: 20}\n",
    )
    portfolio.write_text(text, encoding="utf-8")
    engine = ContactEngine(require_policy(tmp_path / "repo"))
    v = engine.check(US, "call", at("2026-11-02T08:30:00-05:00"), [])
    assert summary(v) == ("reschedule", "reschedule", "2026-11-02T09:00:00-05:00", ["us-regf.call-hours"])
    assert v.reasons[0].message == "08:30 in America/New_York is outside the legal hours 09:00–21:00"
    # max 20 would loosen the law's 7: the engine keeps 7
    assert engine.check(US, "call", at("2026-11-07T10:00:00-05:00"), SEVEN_CALLS).verdict == "reschedule"


def test_uk_hours_and_planned_contacts_in_caps(engine: ContactEngine) -> None:
    assert engine.check(GB, "sms", at("2026-11-03T20:59:59+00:00"), []).verdict == "allow"
    v = engine.check(GB, "sms", at("2026-11-03T21:00:00+00:00"), [])
    assert summary(v) == ("reschedule", "reschedule", "2026-11-04T08:00:00+00:00", ["uk-conc.contact-hours"])
    # Massachusetts: a planned text counts like a sent one
    planned = [call("2026-11-04T10:00:00-05:00", "attempted", channel="sms")]
    v = engine.check(MA, "call", at("2026-11-05T10:00:00-05:00"), [call("2026-11-02T10:00:00-05:00")], planned=planned)
    assert summary(v) == ("reschedule", "reschedule", "2026-11-09T08:00:00-05:00", ["us-ma.call-frequency"])
    # China: planned calls count as unanswered attempts to the account's number
    planned_calls = [call(f"2026-11-03T{h:02d}:00:00+08:00", "attempted") for h in (9, 10, 11, 12, 13, 14)]
    v = engine.check(CN, "call", at("2026-11-03T18:00:00+08:00"), [], planned=planned_calls)
    assert summary(v) == (
        "reschedule",
        "reschedule",
        "2026-11-04T08:00:00+08:00",
        ["cn.connected-calls", "cn.unanswered-attempts"],
    )
