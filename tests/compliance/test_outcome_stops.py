"""The stops that follow from what the history recorded (compliance/outcomes.py, the CN pack's
`after_outcome` rules) asked directly: the trigger's count and window in the rule's own time
zone, what lifts a stop and what does not, when it ends, and its exact words. Written from
the mutation run of docs/testing.md."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from dunning.accounts.model import Contact
from dunning.compliance.answers import Reason, Stop
from dunning.compliance.outcomes import outcome_stops
from dunning.compliance.packs import LawRule, all_rules

from .compliance_support import account

CN = account(jurisdiction="CN", currency="CNY")  # phone +8613800000000
THIRD_PARTY = all_rules()["cn.third-party-answered"]  # until a right-party contact on call or sms
REFUSAL = all_rules()["cn.repeated-refusal"]  # 2 within 7 Shanghai days, then 7 days
COMPLAINT = all_rules()["cn.complaint"]  # 30 days, pause, replies allowed


def event(at: str, outcome: str, channel: str = "call", phone: str = "") -> Contact:
    return Contact("A-1", datetime.fromisoformat(at), channel, outcome, phone=phone)


def stops(rule: LawRule, events: Sequence[Contact], as_of: date, params: Mapping[str, Any] | None = None) -> list[Stop]:
    return list(outcome_stops([(rule, rule.params if params is None else params)], CN, events, as_of))


def messages(
    rule: LawRule, events: Sequence[Contact], as_of: date, params: Mapping[str, Any] | None = None
) -> list[str]:
    return [s.reason.message for s in stops(rule, events, as_of, params)]


def test_a_third_party_stop_holds_until_a_right_party_contact_on_its_channels() -> None:
    answered = event("2026-11-02T10:00:00+08:00", "third_party")
    assert stops(THIRD_PARTY, [answered], date(2026, 11, 30)) == [
        Stop(
            "suppress",
            ("call", "sms"),
            Reason(
                "cn.third-party-answered",
                "cn.third-party-answered",
                THIRD_PARTY.citation,
                "someone other than the debtor answered on 2026-11-02 (third_party): no call or sms "
                "until a right_party_contact or connected on call or sms",
            ),
            True,
            (),
        )
    ]
    later = "2026-11-03T10:00:00+08:00"
    assert stops(THIRD_PARTY, [answered, event(later, "right_party_contact")], date(2026, 11, 30)) == []
    assert stops(THIRD_PARTY, [answered, event(later, "connected", "sms")], date(2026, 11, 30)) == []
    # not lifted: an answer that is not the debtor's, a right-party contact on another channel,
    # one before the trigger or at the same instant
    for others in (
        [answered, event(later, "no_answer")],
        [answered, event(later, "right_party_contact", "email")],
        [event("2026-11-01T10:00:00+08:00", "right_party_contact"), answered],
        [answered, event("2026-11-02T10:00:00+08:00", "right_party_contact")],
    ):
        assert len(stops(THIRD_PARTY, others, date(2026, 11, 30))) == 1, others
    # per number: an answer on another phone than the one on file does not count
    assert (
        stops(
            THIRD_PARTY, [event("2026-11-02T10:00:00+08:00", "third_party", phone="+8613900000000")], date(2026, 11, 30)
        )
        == []
    )
    assert (
        len(stops(THIRD_PARTY, [event("2026-11-02T10:00:00+08:00", "third_party", phone=CN.phone)], date(2026, 11, 30)))
        == 1
    )


def test_two_refusals_within_seven_shanghai_days_suppress_for_seven_days() -> None:
    first = event("2026-11-02T10:00:00+08:00", "refused")
    second = event("2026-11-05T10:00:00+08:00", "refused")
    assert stops(REFUSAL, [first], date(2026, 11, 3)) == []  # once is not enough
    assert stops(REFUSAL, [first, second], date(2026, 11, 5)) == [
        Stop(
            "suppress",
            ("call", "sms", "visit"),
            Reason(
                "cn.repeated-refusal",
                "cn.repeated-refusal",
                REFUSAL.citation,
                "the debtor refused on 2026-11-05 (refused, 2 in 7 day(s)): no call or sms or visit before 2026-11-12",
            ),
            True,
            (),
        )
    ]
    assert len(stops(REFUSAL, [first, second], date(2026, 11, 11))) == 1
    assert stops(REFUSAL, [first, second], date(2026, 11, 12)) == []  # day 8
    # seven days apart is outside the window (the first refusal's day is day 1)
    assert stops(REFUSAL, [first, event("2026-11-09T10:00:00+08:00", "refused")], date(2026, 11, 9)) == []
    assert len(stops(REFUSAL, [first, event("2026-11-08T23:59:00+08:00", "refused")], date(2026, 11, 9))) == 1


def test_the_days_are_counted_in_the_rules_time_zone_not_the_events_offset() -> None:
    # 12:00 in New York is 01:00 the next day in Shanghai
    a = event("2026-11-02T12:00:00-05:00", "refused")  # New York 11-02, Shanghai 11-03
    b = event("2026-11-09T10:00:00-05:00", "refused")  # New York 11-09, Shanghai 11-09 23:00
    assert messages(REFUSAL, [a, b], date(2026, 11, 10)) == [
        "the debtor refused on 2026-11-09 (refused, 2 in 7 day(s)): no call or sms or visit before 2026-11-16"
    ]  # six Shanghai days apart (seven by New York's calendar)
    c = event("2026-11-03T10:00:00-05:00", "refused")  # both 11-03 (Shanghai 23:00)
    d = event("2026-11-09T12:00:00-05:00", "refused")  # New York 11-09, Shanghai 11-10
    assert messages(REFUSAL, [c, d], date(2026, 11, 10)) == []  # seven Shanghai days apart
    # the stop starts on the Shanghai day of the trigger
    complaint = event("2026-11-02T12:00:00-05:00", "complaint")
    assert messages(COMPLAINT, [complaint], date(2026, 11, 5)) == [
        "the debtor complained on 2026-11-03 (complaint): collection paused before 2026-12-03"
    ]
    # without a zone, the event's own offset
    assert messages(COMPLAINT, [complaint], date(2026, 11, 5), {"days": 30}) == [
        "the debtor complained on 2026-11-02 (complaint): collection paused before 2026-12-02"
    ]


def test_the_latest_run_that_completes_the_count_is_the_trigger() -> None:
    # the last two are far apart, the two before them close: the trigger is the second
    refusals = [
        event("2026-11-01T10:00:00+08:00", "refused"),
        event("2026-11-03T10:00:00+08:00", "refused"),
        event("2026-11-20T10:00:00+08:00", "refused"),
    ]
    params = {"times": 2, "within_days": 7, "days": 30, "timezone": "Asia/Shanghai"}
    assert messages(REFUSAL, refusals, date(2026, 11, 21), params) == [
        "the debtor refused on 2026-11-03 (refused, 2 in 7 day(s)): no call or sms or visit before 2026-12-03"
    ]


def test_defaults_once_on_its_own_day() -> None:
    one = [event("2026-11-02T10:00:00+08:00", "refused")]
    assert messages(REFUSAL, one, date(2026, 11, 2), {"days": 7}) == [
        "the debtor refused on 2026-11-02 (refused): no call or sms or visit before 2026-11-09"
    ]
    # times without within_days: on the same day
    two = [event("2026-11-02T10:00:00+08:00", "refused"), event("2026-11-03T10:00:00+08:00", "refused")]
    assert messages(REFUSAL, two, date(2026, 11, 3), {"times": 2, "days": 7}) == []
    same_day = [two[0], event("2026-11-02T18:00:00+08:00", "refused")]
    assert messages(REFUSAL, same_day, date(2026, 11, 3), {"times": 2, "days": 7}) == [
        "the debtor refused on 2026-11-02 (refused, 2 in 1 day(s)): no call or sms or visit before 2026-11-09"
    ]
    three = [*same_day, event("2026-11-02T19:00:00+08:00", "refused")]
    assert messages(REFUSAL, three, date(2026, 11, 3), {"times": 3, "within_days": 2, "days": 7}) == [
        "the debtor refused on 2026-11-02 (refused, 3 in 2 day(s)): no call or sms or visit before 2026-11-09"
    ]


def test_an_outcome_without_words_of_its_own_is_named_as_it_is() -> None:
    rule = dataclasses.replace(REFUSAL, counts=("busy",))
    busy = [event("2026-11-02T10:00:00+08:00", "busy")]
    assert messages(rule, busy, date(2026, 11, 2), {"days": 7}) == [
        "busy on 2026-11-02 (busy): no call or sms or visit before 2026-11-09"
    ]


def test_a_stop_that_ended_does_not_hide_the_next_rules() -> None:
    complaint = event("2026-10-01T10:00:00+08:00", "complaint")  # ended 10-31
    refusals = [event("2026-11-02T10:00:00+08:00", "refused"), event("2026-11-03T10:00:00+08:00", "refused")]
    found = list(
        outcome_stops(
            [(COMPLAINT, COMPLAINT.params), (REFUSAL, REFUSAL.params)], CN, [complaint, *refusals], date(2026, 11, 4)
        )
    )
    assert [s.reason.code for s in found] == ["cn.repeated-refusal"]
    paused = list(outcome_stops([(COMPLAINT, COMPLAINT.params)], CN, [complaint], date(2026, 10, 30)))
    assert [(s.effect, s.channels, s.allow_purposes) for s in paused] == [("pause", (), ("reply",))]
