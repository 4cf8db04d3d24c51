"""Contact windows of accounts held in more than one time zone, and the reasons the shipped
law packs reach only with a policy's tightening: a day whose legal hours never meet in every
candidate zone, a window that meets the law in no zone, a holiday seen from the other zone,
and a refused moment that only the clock change explains (:mod:`dunning.compliance.contact_windows`)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType

import pytest

from dunning.compliance import packs
from dunning.compliance.answers import Reason
from dunning.compliance.engine import SEARCH_DAYS, ContactEngine
from dunning.compliance.packs import LawRule

from .compliance_support import account
from .contact_windows_support import edited_engine, iso, machine_time_zone, tightened

TIMETABLES = "policies/timetables.yaml"
REGF = "12 CFR 1006.6(b)(1)(i)"
# a New York phone, an account kept in Guam: 15 hours apart (winter), so the law's 08:00–21:00
# meets in both only from 08:00 to 12:00 Guam time, and the letter's 09:00–17:00 never does
GUAM = account(timezone="Pacific/Guam")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def horizon() -> Reason:
    return Reason("horizon", "engine", "", f"no allowed moment within {SEARCH_DAYS} days")


def test_a_two_zone_accounts_windows_are_written_in_its_primary_zone(engine: ContactEngine) -> None:
    assert engine.timezones(GUAM) == ("Pacific/Guam", "America/New_York")
    day = date(2026, 11, 28)
    expected = [("2026-11-28T08:00:00+10:00", "2026-11-28T12:00:00+10:00")]
    assert iso(engine.windows(GUAM, "call", day)) == expected
    assert iso(engine.legal_windows(GUAM, "call", day)) == expected
    assert engine.day_blocked(GUAM, "call", day) is None


def test_a_holiday_of_the_other_zones_day_blocks_the_primary_day(engine: ContactEngine) -> None:
    # Friday 27 November in Guam is Thursday 26 November, Thanksgiving, in New York until 09:00
    day = date(2026, 11, 27)
    assert engine.windows(GUAM, "call", day) == ()
    assert iso(engine.legal_windows(GUAM, "call", day)) == [("2026-11-27T08:00:00+10:00", "2026-11-27T12:00:00+10:00")]
    assert engine.day_blocked(GUAM, "call", day) == Reason(
        "holiday",
        "us",
        f"{TIMETABLES}:9:5",
        "public holiday (Thanksgiving Day); the timetable gives no `holidays:` window for call",
    )
    # the moment: the policy alone still has New York's Friday morning (15:00–24:00 in Guam),
    # so the moment is outside the call window, not on a blocked day
    v = engine.check(GUAM, "call", at("2026-11-27T09:00:00+10:00"), [])
    assert (v.verdict, v.legal_verdict, v.earliest, v.reasons) == (
        "reschedule",
        "allow",
        at("2026-11-28T08:00:00+10:00"),
        (Reason("timetable/us", "us", f"{TIMETABLES}:13:7", "outside the policy's call window for this day"),),
    )


def test_a_primary_day_whose_other_zone_days_are_all_blocked_names_the_first(engine: ContactEngine) -> None:
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart: Saturday 26 December in
    # Kiritimati is 24 December (the Christmas Eve blackout) and 25 December (Christmas) in
    # Pago Pago, so the policy has nothing that day although the day itself is free
    kiritimati = account(timezone="Pacific/Kiritimati", phone="+16846330100")
    assert engine.timezones(kiritimati) == ("Pacific/Kiritimati", "Pacific/Pago_Pago")
    day = date(2026, 12, 26)
    eve = Reason("blackout", "us", f"{TIMETABLES}:18:9", "blackout day: Christmas Eve")
    assert engine.windows(kiritimati, "call", day) == ()
    assert iso(engine.legal_windows(kiritimati, "call", day)) == [
        ("2026-12-26T09:00:00+14:00", "2026-12-26T21:00:00+14:00")
    ]
    assert engine.day_blocked(kiritimati, "call", day) == eve
    v = engine.check(kiritimati, "call", at("2026-12-26T10:00:00+14:00"), [])
    assert (v.verdict, v.legal_verdict, v.earliest, v.reasons) == (
        "reschedule",
        "allow",
        at("2026-12-27T09:00:00+14:00"),
        (eve,),
    )


def test_a_window_that_meets_the_law_in_no_zone_is_named_so(engine: ContactEngine) -> None:
    # the letter window 09:00–17:00 in New York is 00:00–08:00 the next day in Guam
    day = date(2026, 11, 3)
    assert engine.windows(GUAM, "letter", day) == ()
    assert iso(engine.legal_windows(GUAM, "letter", day)) == [
        ("2026-11-03T08:00:00+10:00", "2026-11-03T12:00:00+10:00")
    ]
    assert engine.day_blocked(GUAM, "letter", day) == Reason(
        "timetable/us",
        "us",
        f"{TIMETABLES}:9:5",
        "the letter window and the legal hours do not overlap in every candidate time zone",
    )
    v = engine.check(GUAM, "letter", at("2026-11-03T10:00:00+10:00"), [])
    outside = Reason("timetable/us", "us", f"{TIMETABLES}:16:7", "outside the policy's letter window for this day")
    assert (v.verdict, v.legal_verdict, v.earliest, v.reasons) == ("suppress", "allow", None, (outside, horizon()))


def test_a_day_whose_legal_hours_meet_in_no_zone_names_the_law(tmp_path: Path) -> None:
    # a policy that keeps calls to 12:00–13:00: Los Angeles and New York never share that hour
    engine = tightened(tmp_path, "[us-regf]", "us-regf.call-hours", '{start: "12:00", end: "13:00"}')
    west = account(timezone="America/Los_Angeles")
    assert engine.timezones(west) == ("America/Los_Angeles", "America/New_York")
    day = date(2026, 11, 3)
    no_time = Reason(
        "us-regf.call-hours", "us-regf.call-hours", REGF, "no call time left in the legal hours of this day"
    )
    assert engine.legal_windows(west, "call", day) == ()
    assert engine.windows(west, "call", day) == ()
    assert engine.day_blocked(west, "call", day) == no_time
    assert engine.day_blocked(west, "sms", day) == Reason(
        "us-regf.call-hours", "us-regf.call-hours", REGF, "no sms time left in the legal hours of this day"
    )
    # each zone alone keeps its hour
    assert iso(engine.windows(account(timezone="America/Los_Angeles", phone=""), "call", day)) == [
        ("2026-11-03T12:00:00-08:00", "2026-11-03T13:00:00-08:00")
    ]
    v = engine.check(west, "call", at("2026-11-03T12:30:00-08:00"), [])
    ny = Reason(
        "us-regf.call-hours",
        "us-regf.call-hours",
        REGF,
        "15:30 in America/New_York is outside the legal hours 12:00–13:00",
    )
    assert (v.verdict, v.legal_verdict, v.earliest, v.reasons) == ("suppress", "reschedule", None, (ny, horizon()))


def test_a_moment_only_the_clock_change_refuses_says_so(tmp_path: Path) -> None:
    # Easter Island falls back at 22:00 on Saturday 4 April 2026 to 21:00: from 21:00 to 22:00
    # the clock reads twice. A policy that ends China's hours at 21:30 ends them at the first
    # 21:30 (the stricter side); at the second 21:10 the clock reads inside the hours, the
    # instant is not.
    engine = tightened(tmp_path, "[cn]", "cn.quiet-hours", '{end: "21:30"}')
    easter = account(jurisdiction="CN", currency="CNY", timezone="Pacific/Easter")
    assert engine.timezones(easter) == ("Pacific/Easter", "Asia/Shanghai")
    day = date(2026, 4, 4)
    assert iso(engine.legal_windows(easter, "sms", day)) == [
        ("2026-04-04T08:00:00-05:00", "2026-04-04T08:30:00-05:00"),
        ("2026-04-04T19:00:00-05:00", "2026-04-04T21:30:00-05:00"),
    ]
    quiet = engine.jurisdiction("CN").hours[0].rule
    # 4 April is also the Qingming break in China: the policy refuses the day, and the next
    # time both zones share is 18:00 on Tuesday 7 April in Easter Island (08:00 in Shanghai)
    qingming = Reason(
        "holiday",
        "cn",
        f"{TIMETABLES}:2:5",
        "public holiday (清明节 Tomb-Sweeping Day break); the timetable gives no `holidays:` window for sms",
    )
    v = engine.check(easter, "sms", at("2026-04-04T21:10:00-06:00"), [])
    assert (v.verdict, v.legal_verdict, v.earliest) == ("reschedule", "reschedule", at("2026-04-07T18:00:00-06:00"))
    assert v.reasons == (
        Reason(quiet.id, quiet.id, quiet.citation, "outside the legal hours (clock change: the stricter side applies)"),
        qingming,
    )
    # the first 21:10, an hour earlier, is inside the legal hours
    first = engine.check(easter, "sms", at("2026-04-04T21:10:00-05:00"), [])
    assert (first.legal_verdict, first.reasons) == ("allow", (qingming,))


def test_without_a_timetable_a_moment_on_a_holiday_in_another_zone_is_refused(tmp_path: Path) -> None:
    # A German jurisdiction with holidays and no timetable, a debtor kept in New York with a
    # Berlin phone: 20:00 on Friday 2 October in New York is 02:00 on German Unity Day in
    # Berlin. The windows end at 18:00; the check used to allow the moment (no reason at all,
    # since there is no timetable to name), so the gate let a contact through that the plan
    # would never make.
    packs = "    packs: [uk-conc]\n"
    engine = edited_engine(
        tmp_path,
        portfolio=(
            packs,
            packs + "  DE:\n    currency: EUR\n    locales: [en-GB]\n    timezone: Europe/Berlin\n    holidays: DE\n",
        ),
    )
    de = account(jurisdiction="DE", currency="EUR", phone="+4930123456", timezone="America/New_York")
    assert engine.timezones(de) == ("America/New_York", "Europe/Berlin")
    day = date(2026, 10, 2)
    assert iso(engine.windows(de, "email", day)) == [("2026-10-02T00:00:00-04:00", "2026-10-02T18:00:00-04:00")]
    assert engine.day_blocked(de, "email", day) is None
    unity = Reason(
        "holiday",
        "holidays",
        "",
        "public holiday (German Unity Day); the timetable gives no `holidays:` window for email",
    )
    v = engine.check(de, "email", at("2026-10-02T20:00:00-04:00"), [])
    assert (v.verdict, v.legal_verdict, v.earliest, v.reasons) == (
        "reschedule",
        "allow",
        at("2026-10-04T00:00:00-04:00"),  # 3 October is German Unity Day in New York too
        (unity,),
    )
    # 18:30 in New York (22:30 UTC, still 2 October there) is 00:30 on the holiday in Berlin
    assert engine.check(de, "email", at("2026-10-02T18:30:00-04:00"), []).reasons == (unity,)
    assert engine.check(de, "email", at("2026-10-02T17:59:59-04:00"), []).verdict == "allow"
    # an ordinary day spans two open Berlin days, both kept: the whole New York day
    assert iso(engine.windows(de, "email", date(2026, 10, 6))) == [
        ("2026-10-06T00:00:00-04:00", "2026-10-07T00:00:00-04:00")
    ]


def test_a_blackout_for_calls_leaves_the_other_channels_open(engine: ContactEngine) -> None:
    us = account()
    assert engine.day_blocked(us, "sms", date(2026, 12, 30)) is None
    assert iso(engine.windows(us, "sms", date(2026, 12, 30))) == [
        ("2026-12-30T08:00:00-05:00", "2026-12-30T21:00:00-05:00")
    ]


def test_a_holiday_is_named_before_a_channel_the_timetable_lacks(engine: ContactEngine) -> None:
    assert engine.day_blocked(account(), "visit", date(2026, 11, 26)) == Reason(
        "holiday",
        "us",
        f"{TIMETABLES}:9:5",
        "public holiday (Thanksgiving Day); the timetable gives no `holidays:` window for visit",
    )


def test_a_moment_outside_the_hours_in_every_zone_is_named_once_from_the_first(engine: ContactEngine) -> None:
    # 22:00 in Guam is 07:00 in New York: both refuse, the first zone is named
    v = engine.check(GUAM, "call", at("2026-11-03T22:00:00+10:00"), [])
    assert v.reasons == (
        Reason(
            "us-regf.call-hours",
            "us-regf.call-hours",
            REGF,
            "22:00 in Pacific/Guam is outside the legal hours 08:00–21:00",
        ),
    )
    # the same wall-clock minute in another zone of the same jurisdiction names that zone
    ny = engine.check(account(), "call", at("2026-11-03T07:00:00-05:00"), [])
    la = engine.check(account(timezone="America/Los_Angeles", phone=""), "email", at("2026-11-03T07:00:00-08:00"), [])
    assert [r.message for r in (*ny.reasons, *la.reasons)] == [
        "07:00 in America/New_York is outside the legal hours 08:00–21:00",
        "07:00 in America/Los_Angeles is outside the legal hours 08:00–21:00",
    ]


def test_chinas_hours_hold_in_shanghai_when_no_zone_of_the_debtor_is_shanghai(engine: ContactEngine) -> None:
    # no phone: Urumqi is the debtor's only zone, Shanghai comes from the rule alone
    urumqi = account(jurisdiction="CN", currency="CNY", timezone="Asia/Urumqi", phone="")
    assert engine.timezones(urumqi) == ("Asia/Urumqi",)
    assert iso(engine.legal_windows(urumqi, "email", date(2026, 11, 3))) == [
        ("2026-11-03T08:00:00+06:00", "2026-11-03T20:00:00+06:00")
    ]
    v = engine.check(urumqi, "email", at("2026-11-03T21:30:00+06:00"), [])
    assert [r.message for r in v.reasons] == ["23:30 in Asia/Shanghai is outside the legal hours 08:00–22:00"]


def test_the_first_minute_of_the_hours_is_inside_them(engine: ContactEngine) -> None:
    # 08:00:00 in New York is inside; Guam (23:00) is what refuses
    ny_guam = account(timezone="America/New_York", phone="+16715550100")
    assert engine.timezones(ny_guam) == ("America/New_York", "Pacific/Guam")
    v = engine.check(ny_guam, "call", at("2026-11-03T08:00:00-05:00"), [])
    assert v.reasons == (
        Reason(
            "us-regf.call-hours",
            "us-regf.call-hours",
            REGF,
            "23:00 in Pacific/Guam is outside the legal hours 08:00–21:00",
        ),
    )


def test_a_channel_with_no_day_types_is_the_timetables_not_a_weekday(tmp_path: Path) -> None:
    engine = edited_engine(
        tmp_path,
        timetables=(
            '      call: {every_day: "00:00-24:00"}\n      sms: {every_day: "00:00-24:00"}\n',
            '      call: {every_day: "00:00-24:00"}\n      sms: {}\n',
        ),
    )
    gb = account(jurisdiction="GB", currency="GBP", timezone="Europe/London")
    assert engine.day_blocked(gb, "sms", date(2026, 11, 3)) == Reason(
        "timetable/gb", "gb", f"{TIMETABLES}:29:7", "no sms window on this day (Tuesday)"
    )


def test_the_windows_of_two_zones_do_not_depend_on_the_machines_time_zone(engine: ContactEngine) -> None:
    # in this process, under a machine time zone 14 hours east of UTC: New York's Thursday
    # (Guam's Friday morning) is a date Kiritimati's clock never shows during Guam's Friday
    with machine_time_zone("Pacific/Kiritimati"):
        assert iso(engine.windows(GUAM, "call", date(2026, 11, 28))) == [
            ("2026-11-28T08:00:00+10:00", "2026-11-28T12:00:00+10:00")
        ]
        kiritimati = account(timezone="Pacific/Kiritimati", phone="+16846330100")
        assert engine.day_blocked(kiritimati, "call", date(2026, 12, 26)) == Reason(
            "blackout", "us", f"{TIMETABLES}:18:9", "blackout day: Christmas Eve"
        )


def test_each_hours_rule_is_judged_for_the_channels_it_covers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # every shipped jurisdiction has one hours rule; a test-only pack adds a second one,
    # before Regulation F's, that covers letters alone (10:00–12:00)
    letters = LawRule(
        id="test.letter-hours",
        pack="test-letters",
        kind="hours",
        params=MappingProxyType({"start": "10:00", "end": "12:00"}),
        stricter=MappingProxyType({"start": "later", "end": "earlier"}),
        channels=("letter",),
        debt_types=("any",),
        per="",
        purposes=(),
        counts=(),
        effect="reschedule",
        citation="test rule 1",
        enforced=("plan", "gate"),
        description="Letters only from 10:00 to 12:00.",
    )
    shipped = dict(packs.all_packs())
    pack = packs.Pack("test-letters", "Test letters", (), (letters,), "test-letters.yaml")
    monkeypatch.setattr(packs, "all_packs", lambda: MappingProxyType({**shipped, "test-letters": pack}))
    engine = edited_engine(tmp_path, portfolio=("    packs: [us-regf]\n", "    packs: [test-letters, us-regf]\n"))
    us = account()
    assert [h.rule.id for h in engine.jurisdiction("US").hours] == ["test.letter-hours", "us-regf.call-hours"]
    regf = Reason(
        "us-regf.call-hours",
        "us-regf.call-hours",
        REGF,
        "07:00 in America/New_York is outside the legal hours 08:00–21:00",
    )
    assert engine.check(us, "call", at("2026-11-03T07:00:00-05:00"), []).reasons == (regf,)
    assert engine.check(us, "letter", at("2026-11-03T07:00:00-05:00"), []).reasons == (
        Reason(
            "test.letter-hours",
            "test.letter-hours",
            "test rule 1",
            "07:00 in America/New_York is outside the legal hours 10:00–12:00",
        ),
        regf,
        Reason("timetable/us", "us", f"{TIMETABLES}:16:7", "outside the policy's letter window for this day"),
    )
    assert iso(engine.legal_windows(us, "letter", date(2026, 11, 3))) == [
        ("2026-11-03T10:00:00-05:00", "2026-11-03T12:00:00-05:00")
    ]
    assert iso(engine.legal_windows(us, "call", date(2026, 11, 3))) == [
        ("2026-11-03T08:00:00-05:00", "2026-11-03T21:00:00-05:00")
    ]
