"""Contact windows: timetable ∩ law hours, DST-correct, in every candidate time zone."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from dunning.compliance.engine import ContactEngine
from dunning.compliance.timezones import candidate_zones
from dunning.compliance.windows import local_instant

from .compliance_support import account


def iso(windows: tuple[tuple[datetime, datetime], ...]) -> list[tuple[str, str]]:
    return [(s.isoformat(), e.isoformat()) for s, e in windows]


def test_us_weekday_is_reg_f_hours(engine: ContactEngine) -> None:
    a = account(phone="+12125550100")
    assert engine.timezones(a) == ("America/New_York",)
    assert iso(engine.windows(a, "call", date(2026, 11, 2))) == [
        ("2026-11-02T08:00:00-05:00", "2026-11-02T21:00:00-05:00")
    ]


def test_spring_forward_day_keeps_local_hours(engine: ContactEngine) -> None:
    # 2026-03-08: New York jumps from 02:00 EST to 03:00 EDT; the law's hours stay 08-21 local.
    a = account(phone="+12125550100")
    assert iso(engine.windows(a, "email", date(2026, 3, 8))) == [
        ("2026-03-08T08:00:00-04:00", "2026-03-08T21:00:00-04:00")
    ]
    assert iso(engine.windows(a, "sms", date(2026, 3, 7))) == [
        ("2026-03-07T08:00:00-05:00", "2026-03-07T21:00:00-05:00")
    ]


def test_fall_back_day_keeps_local_hours(engine: ContactEngine) -> None:
    a = account(phone="+12125550100")
    assert iso(engine.windows(a, "email", date(2026, 11, 1))) == [
        ("2026-11-01T08:00:00-05:00", "2026-11-01T21:00:00-05:00")
    ]


def test_nonexistent_and_ambiguous_local_times_take_the_stricter_side() -> None:
    ny = ZoneInfo("America/New_York")
    # 02:30 does not exist on 2026-03-08: as a start it resolves to the later instant (07:30Z),
    # as an end to the earlier one (06:30Z).
    assert local_instant(date(2026, 3, 8), time(2, 30), ny, start=True) == int(
        datetime(2026, 3, 8, 7, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    )
    assert local_instant(date(2026, 3, 8), time(2, 30), ny, start=False) == int(
        datetime(2026, 3, 8, 6, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    )
    # 01:30 happens twice on 2026-11-01: a start is the second (06:30Z), an end the first (05:30Z).
    assert local_instant(date(2026, 11, 1), time(1, 30), ny, start=True) == int(
        datetime(2026, 11, 1, 6, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    )
    assert local_instant(date(2026, 11, 1), time(1, 30), ny, start=False) == int(
        datetime(2026, 11, 1, 5, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    )


def test_arizona_has_no_dst(engine: ContactEngine) -> None:
    a = account(phone="+16025550100")
    assert engine.timezones(a) == ("America/Phoenix",)
    assert iso(engine.windows(a, "email", date(2026, 3, 8))) == [
        ("2026-03-08T08:00:00-07:00", "2026-03-08T21:00:00-07:00")
    ]
    assert iso(engine.windows(a, "sms", date(2026, 7, 1))) == [
        ("2026-07-01T08:00:00-07:00", "2026-07-01T21:00:00-07:00")
    ]


def test_phone_and_address_disagree_window_holds_in_both(engine: ContactEngine) -> None:
    # ZIP 02139 (Cambridge MA, Eastern) and a 415 (San Francisco, Pacific) phone: 08:00 Pacific
    # is 11:00 Eastern, 21:00 Eastern is 18:00 Pacific.
    a = account(postal_code="02139", phone="+14155550100")
    assert engine.timezones(a) == ("America/New_York", "America/Los_Angeles")
    assert iso(engine.windows(a, "call", date(2026, 11, 2))) == [
        ("2026-11-02T11:00:00-05:00", "2026-11-02T21:00:00-05:00")
    ]


def test_zip_prefix_on_a_zone_line_gives_both_zones(engine: ContactEngine) -> None:
    a = account(address="12 Main St, Chattanooga, TN 37402")
    assert engine.timezones(a) == ("America/New_York", "America/Chicago")
    assert iso(engine.windows(a, "sms", date(2026, 11, 2))) == [
        ("2026-11-02T09:00:00-05:00", "2026-11-02T21:00:00-05:00")
    ]


def test_stated_timezone_leads_and_toll_free_says_nothing(engine: ContactEngine) -> None:
    assert engine.timezones(account(timezone="America/Denver", phone="+18005550100")) == ("America/Denver",)
    assert engine.timezones(account(phone="+18005550100")) == ("America/New_York",)  # jurisdiction default


def test_stated_timezone_and_phone_disagree_window_holds_in_both(engine: ContactEngine) -> None:
    # comment 6(b)(1)(i)-2: a stated Denver zone does not silence a New York phone (the bench's
    # A000000003): 08:00-21:00 Mountain ∩ 08:00-21:00 Eastern = 08:00-19:00 Mountain
    a = account(timezone="America/Denver", phone="+12125550100")
    assert engine.timezones(a) == ("America/Denver", "America/New_York")
    assert iso(engine.legal_windows(a, "call", date(2026, 11, 2))) == [
        ("2026-11-02T08:00:00-07:00", "2026-11-02T19:00:00-07:00")
    ]


@pytest.mark.parametrize(
    ("address", "zones"),
    [
        ("12 Main St, Los Angeles, CA", ("America/Los_Angeles", "America/New_York")),
        ("12 Main St, Los Angeles, ca.", ("America/Los_Angeles", "America/New_York")),
        ("12 Main St, El Paso, TX", ("America/Chicago", "America/Denver", "America/New_York")),
        ("12 Main St, Los Angeles, CA 90012", ("America/Los_Angeles", "America/New_York")),  # the ZIP decides
        ("12 Main St, Springfield, IL 00000", ("America/New_York",)),  # a ZIP the table does not place: the phone
        ("12 Main St, Los Angeles", ("America/New_York",)),  # no state: the phone alone
        ("12 Main St, Los Angeles, XX", ("America/New_York",)),  # no such state
    ],
)
def test_address_state_counts_when_there_is_no_zip(engine: ContactEngine, address: str, zones: tuple[str, ...]) -> None:
    assert engine.timezones(account(phone="+12125550100", address=address)) == zones


def test_canadian_province_counts_for_canadian_accounts_only(engine: ContactEngine) -> None:
    assert candidate_zones(account(jurisdiction="CA", address="1 King St W, Toronto, ON"), "America/Toronto") == (
        "America/Toronto",
        "America/Winnipeg",
    )
    # "CA" after a comma is California for a US account, and nothing for a Chinese one
    assert engine.timezones(account(jurisdiction="CN", currency="CNY", address="1 Rd, CA")) == ("Asia/Shanghai",)


def test_china_make_up_working_day_uses_workday_window(engine: ContactEngine) -> None:
    a = account(jurisdiction="CN", currency="CNY", phone="+8613812345678")
    # Saturday 2026-10-10 is a make-up working day: workdays 07-23 ∩ law 08-22.
    assert iso(engine.windows(a, "call", date(2026, 10, 10))) == [
        ("2026-10-10T08:00:00+08:00", "2026-10-10T22:00:00+08:00")
    ]
    # An ordinary Saturday uses the weekend window.
    assert iso(engine.windows(a, "call", date(2026, 10, 17))) == [
        ("2026-10-17T10:00:00+08:00", "2026-10-17T18:00:00+08:00")
    ]


def test_public_holiday_means_no_contact_unless_holidays_window(engine: ContactEngine) -> None:
    a = account(jurisdiction="CN", currency="CNY", phone="+8613812345678")
    assert engine.windows(a, "call", date(2026, 10, 1)) == ()
    blocked = engine.day_blocked(a, "call", date(2026, 10, 1))
    assert blocked is not None
    assert (blocked.code, blocked.rule) == ("holiday", "cn")
    assert "National Day" in blocked.message
    assert iso(engine.windows(a, "email", date(2026, 10, 1))) == [
        ("2026-10-01T09:00:00+08:00", "2026-10-01T12:00:00+08:00")
    ]
    assert engine.day_blocked(a, "email", date(2026, 10, 1)) is None


def test_us_day_blocks_have_their_codes(engine: ContactEngine) -> None:
    a = account(phone="+12125550100")
    cases = [
        (date(2026, 11, 1), "sms", "weekday"),  # Sunday: `sun: none`
        (date(2026, 11, 26), "call", "holiday"),  # Thanksgiving
        (date(2026, 12, 24), "sms", "blackout"),  # blackout on every channel
        (date(2026, 12, 31), "call", "blackout"),  # blackout for calls only …
        (date(2026, 12, 31), "sms", None),  # … texts stay open
        (date(2026, 11, 2), "visit", "timetable/us"),  # channel not in the timetable
    ]
    found = [(d, ch, r.code if (r := engine.day_blocked(a, ch, d)) else None) for d, ch, _ in cases]
    assert found == cases
    assert engine.windows(a, "visit", date(2026, 11, 2)) == ()


def test_subdivision_holiday_applies_to_its_accounts_only(engine: ContactEngine) -> None:
    patriots_day = date(2026, 4, 20)
    ma = account(jurisdiction="US-MA", phone="+16175550100")
    us = account(phone="+12125550100")
    assert engine.day_blocked(ma, "sms", patriots_day).code == "holiday"  # type: ignore[union-attr]
    assert engine.day_blocked(us, "sms", patriots_day) is None


def test_jurisdiction_default_leads_a_phone_with_several_zones(engine: ContactEngine) -> None:
    uk = account(jurisdiction="GB", currency="GBP", phone="+447911123456")
    assert engine.timezones(uk)[0] == "Europe/London"
    assert iso(engine.windows(uk, "sms", date(2026, 7, 1))) == [
        ("2026-07-01T08:00:00+01:00", "2026-07-01T21:00:00+01:00")
    ]


def test_the_deciding_phone_prefix_places_a_number_like_the_whole_number() -> None:
    # the planner keys decisions on the zones of a number's deciding prefix (timezones.phone_zones):
    # it must place every number exactly as the whole number does
    import random

    from dunning.compliance.timezones import phone_prefix_length, phone_zones, zones_for_phone

    rng = random.Random(5)
    codes = ["1", "1", "1", "86", "44", "49", "7", "61", "55", "91", "52", "81", "33", "380", "998"]
    for _ in range(3000):
        phone = f"+{rng.choice(codes)}{rng.randrange(10**9, 10**10)}"
        assert phone_zones(phone) == zones_for_phone(phone), phone
    assert phone_prefix_length("+121") == 8  # +1, area code, exchange
    assert phone_prefix_length("+861") == 4  # +86 and one digit
    assert phone_zones("") == ()
