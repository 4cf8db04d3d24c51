"""Contact windows and the reasons outside them (:mod:`dunning.compliance.contact_windows`):
each day block's and each refused moment's exact reason (code, rule, citation, words), the
law's windows alone, and a policy without a timetable — pinned where mutation testing found
them loose."""

from __future__ import annotations

import shutil
from datetime import date, datetime, time
from pathlib import Path

import pytest

from dunning.accounts.model import Account
from dunning.compliance.answers import Reason
from dunning.compliance.contact_windows import _clock_text
from dunning.compliance.engine import ContactEngine
from dunning.policy import require_policy

from .compliance_support import REPO, account

US = account(phone="+12125550100")  # New York
CN = account(jurisdiction="CN", currency="CNY", phone="+8613812345678")
GB = account(jurisdiction="GB", currency="GBP", timezone="Europe/London", phone="+447911123456")
TIMETABLES = "policies/timetables.yaml"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def iso(windows: tuple[tuple[datetime, datetime], ...]) -> list[tuple[str, str]]:
    return [(s.isoformat(), e.isoformat()) for s, e in windows]


@pytest.mark.parametrize(
    ("who", "channel", "day", "reason"),
    [
        (
            US,
            "sms",
            date(2026, 11, 1),
            Reason("weekday", "us", f"{TIMETABLES}:14:7", "no sms window on this day (Sunday)"),
        ),
        (
            US,
            "letter",
            date(2026, 11, 7),
            Reason("weekday", "us", f"{TIMETABLES}:16:7", "no letter window on this day (Saturday)"),
        ),
        (
            US,
            "call",
            date(2026, 11, 26),
            Reason(
                "holiday",
                "us",
                f"{TIMETABLES}:9:5",
                "public holiday (Thanksgiving Day); the timetable gives no `holidays:` window for call",
            ),
        ),
        (US, "sms", date(2026, 12, 24), Reason("blackout", "us", f"{TIMETABLES}:18:9", "blackout day: Christmas Eve")),
        (
            US,
            "call",
            date(2026, 12, 30),
            Reason("blackout", "us", f"{TIMETABLES}:20:9", "blackout day: Year end, no calls"),
        ),
        (
            US,
            "call",
            date(2026, 12, 31),
            Reason("blackout", "us", f"{TIMETABLES}:20:9", "blackout day: Year end, no calls"),
        ),
        (
            US,
            "visit",
            date(2026, 11, 2),
            Reason(
                "timetable/us", "us", f"{TIMETABLES}:9:5", "the timetable has no visit windows, so visit is not used"
            ),
        ),
        (
            GB,
            "email",
            date(2026, 11, 2),
            Reason(
                "timetable/gb", "gb", f"{TIMETABLES}:24:5", "the timetable has no email windows, so email is not used"
            ),
        ),
    ],
)
def test_a_day_without_a_window_says_why_exactly(
    engine: ContactEngine, who: Account, channel: str, day: date, reason: Reason
) -> None:
    assert engine.day_blocked(who, channel, day) == reason
    assert engine.windows(who, channel, day) == ()


def test_a_blackout_spans_its_first_and_last_day_and_no_more(engine: ContactEngine) -> None:
    assert engine.day_blocked(US, "call", date(2026, 12, 29)) is None
    assert engine.day_blocked(US, "call", date(2026, 12, 30)) is not None
    assert engine.day_blocked(US, "call", date(2026, 12, 31)) is not None
    assert engine.day_blocked(US, "call", date(2027, 1, 4)) is None
    # a blackout without channels holds for every channel
    assert [engine.day_blocked(US, ch, date(2026, 12, 24)) is not None for ch in ("call", "sms", "email")] == [
        True,
        True,
        True,
    ]


def test_the_laws_windows_ignore_the_timetable_holidays_and_blackouts(engine: ContactEngine) -> None:
    thanksgiving = date(2026, 11, 26)
    assert engine.windows(US, "call", thanksgiving) == ()
    assert iso(engine.legal_windows(US, "call", thanksgiving)) == [
        ("2026-11-26T08:00:00-05:00", "2026-11-26T21:00:00-05:00")
    ]
    assert iso(engine.legal_windows(US, "visit", date(2026, 11, 2))) == [
        ("2026-11-02T08:00:00-05:00", "2026-11-02T21:00:00-05:00")
    ]
    # China's quiet hours hold in Shanghai and in the debtor's own zone
    abroad = account(jurisdiction="CN", currency="CNY", timezone="Asia/Urumqi", phone="+8613812345678")
    assert iso(engine.legal_windows(abroad, "sms", date(2026, 11, 3))) == [
        ("2026-11-03T08:00:00+06:00", "2026-11-03T20:00:00+06:00")
    ]


def test_a_moment_outside_the_legal_hours_names_its_local_time_to_the_minute(engine: ContactEngine) -> None:
    early = engine.check(US, "call", at("2026-11-03T07:00:00-05:00"), [])
    later = engine.check(US, "call", at("2026-11-03T07:30:00-05:00"), [])
    assert early.reasons == (
        Reason(
            "us-regf.call-hours",
            "us-regf.call-hours",
            "12 CFR 1006.6(b)(1)(i)",
            "07:00 in America/New_York is outside the legal hours 08:00–21:00",
        ),
    )
    assert later.reasons[0].message == "07:30 in America/New_York is outside the legal hours 08:00–21:00"
    assert engine.check(US, "call", at("2026-11-03T06:30:00-05:00"), []).reasons[0].message == (
        "06:30 in America/New_York is outside the legal hours 08:00–21:00"
    )
    # the same minute in another jurisdiction has its own rule's words
    gb = engine.check(GB, "call", at("2026-11-03T07:00:00+00:00"), [])
    assert gb.reasons == (
        Reason(
            "uk-conc.contact-hours",
            "uk-conc.contact-hours",
            "CONC 7.9.4R; CONC 7.3.4R",
            "07:00 in Europe/London is outside the legal hours 08:00–21:00",
        ),
    )


def test_chinas_quiet_hours_are_named_in_shanghai_first_then_the_debtors_zone(engine: ContactEngine) -> None:
    abroad = account(jurisdiction="CN", currency="CNY", timezone="Asia/Urumqi", phone="+8613812345678")
    # 21:30 Urumqi is 23:30 Shanghai: the Shanghai reading refuses first
    v = engine.check(abroad, "sms", at("2026-11-03T21:30:00+06:00"), [])
    assert [r.message for r in v.reasons] == ["23:30 in Asia/Shanghai is outside the legal hours 08:00–22:00"]
    # 07:00 Urumqi is 09:00 Shanghai: only the debtor's own zone refuses
    v = engine.check(abroad, "sms", at("2026-11-03T07:00:00+06:00"), [])
    assert [r.message for r in v.reasons] == ["07:00 in Asia/Urumqi is outside the legal hours 08:00–22:00"]
    assert v.earliest == at("2026-11-03T08:00:00+06:00")


def test_a_moment_outside_the_policys_window_cites_the_channels_line(engine: ContactEngine) -> None:
    letter = engine.check(US, "letter", at("2026-11-03T18:00:00-05:00"), [])
    assert (letter.verdict, letter.legal_verdict, letter.earliest) == (
        "reschedule",
        "allow",
        at("2026-11-04T09:00:00-05:00"),
    )
    assert letter.reasons == (
        Reason("timetable/us", "us", f"{TIMETABLES}:16:7", "outside the policy's letter window for this day"),
    )
    # per channel: China's Saturday call window opens at 10:00, its holiday email window closes at 12:00
    call = engine.check(CN, "call", at("2026-11-07T09:00:00+08:00"), [])
    assert call.reasons == (
        Reason("timetable/cn", "cn", f"{TIMETABLES}:6:7", "outside the policy's call window for this day"),
    )
    email = engine.check(CN, "email", at("2026-10-01T13:00:00+08:00"), [])
    assert email.reasons == (
        Reason("timetable/cn", "cn", f"{TIMETABLES}:8:7", "outside the policy's email window for this day"),
    )
    assert email.earliest == at("2026-10-02T09:00:00+08:00")


def test_a_day_the_policy_blocks_is_the_reason_for_a_moment_on_it(engine: ContactEngine) -> None:
    v = engine.check(US, "sms", at("2026-11-01T12:00:00-05:00"), [])
    assert (v.verdict, v.legal_verdict, v.earliest) == ("reschedule", "allow", at("2026-11-02T08:00:00-05:00"))
    assert v.reasons == (Reason("weekday", "us", f"{TIMETABLES}:14:7", "no sms window on this day (Sunday)"),)


def test_the_end_of_the_day_is_written_24_00() -> None:
    assert _clock_text(time.max) == "24:00"
    assert _clock_text(time(21, 0)) == "21:00"


def _policy_without_timetable(tmp_path: Path) -> Path:
    """The test policy with a German jurisdiction that has holidays but no timetable."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    portfolio = repo / "policies" / "portfolio.yaml"
    text = portfolio.read_text(encoding="utf-8")
    portfolio.write_text(
        text + "  DE:\n    currency: EUR\n    locales: [en-GB]\n    timezone: Europe/Berlin\n    holidays: DE\n",
        encoding="utf-8",
    )
    return repo


def test_without_a_timetable_every_day_is_open_but_the_holidays(tmp_path: Path) -> None:
    engine = ContactEngine(require_policy(_policy_without_timetable(tmp_path)))
    de = account(jurisdiction="DE", currency="EUR", phone="", timezone="")
    assert engine.timezones(de) == ("Europe/Berlin",)
    assert iso(engine.windows(de, "email", date(2026, 11, 2))) == [
        ("2026-11-02T00:00:00+01:00", "2026-11-03T00:00:00+01:00")
    ]
    # German Unity Day
    blocked = Reason(
        "holiday",
        "holidays",
        "",
        "public holiday (German Unity Day); the timetable gives no `holidays:` window for email",
    )
    assert engine.day_blocked(de, "email", date(2026, 10, 3)) == blocked
    v = engine.check(de, "email", at("2026-10-03T12:00:00+02:00"), [])
    assert (v.verdict, v.legal_verdict, v.earliest, v.reasons) == (
        "reschedule",
        "allow",
        at("2026-10-04T00:00:00+02:00"),
        (blocked,),
    )


def test_a_make_up_working_day_without_a_workday_window_is_named_so(tmp_path: Path) -> None:
    # letters in China only at weekends: Saturday 2026-10-10 is a make-up working day, which
    # takes the workday windows, and there are none for letters
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    timetables = repo / "policies" / "timetables.yaml"
    text = timetables.read_text(encoding="utf-8")
    timetables.write_text(
        text.replace('      sms: {every_day: "00:00-24:00"}\n', '      sms: {every_day: "00:00-24:00"}\n'
                     '      letter: {weekends: "09:00-17:00"}\n', 1),
        encoding="utf-8",
    )  # fmt: skip
    engine = ContactEngine(require_policy(repo))
    assert engine.day_blocked(CN, "letter", date(2026, 10, 10)) == Reason(
        "weekday", "cn", f"{TIMETABLES}:8:7", "no letter window on this day (make-up working day)"
    )
    assert iso(engine.windows(CN, "letter", date(2026, 10, 17))) == [
        ("2026-10-17T09:00:00+08:00", "2026-10-17T17:00:00+08:00")
    ]
