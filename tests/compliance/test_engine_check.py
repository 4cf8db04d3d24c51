"""The contact engine's own part of a decision (``ContactEngine.check`` and its search for the
earliest moment), pinned where mutation testing of ``compliance/engine.py`` found it loose:
the refusal of a naive moment, the last second of a window and the horizon's reason."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

import pytest

from dunning.accounts.model import Contact
from dunning.compliance.engine import SEARCH_DAYS, ContactEngine, Reason

from .compliance_support import account

US = account(phone="+12125550100")  # New York
GB = account(jurisdiction="GB", currency="GBP", timezone="Europe/London", phone="+447911123456")


class _NoOffset(tzinfo):
    """A tzinfo that does not know its offset: the moment is as good as naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


@pytest.mark.parametrize("moment", [datetime(2026, 11, 3, 10), datetime(2026, 11, 3, 10, tzinfo=_NoOffset())])
def test_a_moment_without_an_offset_is_refused(engine: ContactEngine, moment: datetime) -> None:
    with pytest.raises(ValueError) as error:
        engine.check(US, "call", moment, [])
    assert str(error.value) == "`at` must be timezone-aware"


def test_the_closing_second_of_a_window_is_outside_it(engine: ContactEngine) -> None:
    # Reg F's window is 08:00 up to 21:00: 21:00 itself is the first refused second, and the
    # earliest moment is the next morning, not the window's closing second.
    v = engine.check(US, "call", datetime.fromisoformat("2026-11-03T21:00:00-05:00"), [])
    assert (v.verdict, v.legal_verdict, v.earliest) == (
        "reschedule",
        "reschedule",
        datetime.fromisoformat("2026-11-04T08:00:00-05:00"),
    )
    assert [r.code for r in v.reasons] == ["us-regf.call-hours"]
    # one second earlier is still inside
    assert engine.check(US, "call", datetime.fromisoformat("2026-11-03T20:59:59-05:00"), []).verdict == "allow"


def test_no_moment_within_the_search_is_the_engines_horizon_reason(engine: ContactEngine) -> None:
    # the GB timetable never opens email: no day within the search has a window
    v = engine.check(GB, "email", datetime.fromisoformat("2026-11-03T10:00:00+00:00"), [])
    assert (v.verdict, v.legal_verdict, v.earliest) == ("suppress", "allow", None)
    assert v.reasons[-1] == Reason("horizon", "engine", "", f"no allowed moment within {SEARCH_DAYS} days")
    assert v.reasons[-1].message == "no allowed moment within 60 days"


def test_a_call_cap_counts_the_days_of_every_zone_the_debtor_may_be_in(engine: ContactEngine) -> None:
    # Eastern by ZIP, Pacific by phone; seven calls on 11-02 … 11-08 (Eastern days). On 11-09
    # at 01:30 Eastern the Eastern 7-day run 11-03 … 11-09 holds six calls, but it is still
    # 11-08 (22:30) in Los Angeles, whose run 11-02 … 11-08 holds all seven.
    both = account(postal_code="02139", phone="+14155550100")
    calls = [
        Contact("A-1", datetime.fromisoformat(f"2026-11-0{d}T12:00:00-05:00"), "call", "no_answer") for d in range(2, 9)
    ]
    v = engine.check(both, "call", datetime.fromisoformat("2026-11-09T01:30:00-05:00"), calls)
    assert (v.verdict, v.legal_verdict, v.earliest) == (
        "reschedule",
        "reschedule",
        datetime.fromisoformat("2026-11-09T11:00:00-05:00"),  # 08:00 in Los Angeles, six calls in either run
    )
    assert [(r.code, r.message) for r in v.reasons] == [
        ("us-regf.call-hours", "01:30 in America/New_York is outside the legal hours 08:00–21:00"),
        ("us-regf.call-frequency", "7 counted contact(s) already in 2026-11-02–2026-11-08; at most 7 in 7 day(s)"),
    ]


def test_a_tier_given_to_check_is_the_tier_of_every_day_the_search_looks_at(engine: ContactEngine) -> None:
    # Due 2026-10-03, GBP 5: from 11-03 the account is in tier late, where the small-balance
    # exclusion stops contact (tests/compliance/test_scenarios.py, the same account without a
    # tier: suppress). Told its tier is early, the search finds the next morning free.
    small = account(jurisdiction="GB", currency="GBP", timezone="Europe/London", overdue_amount=Decimal("5.00"),
                    due_date=date(2026, 10, 3))  # fmt: skip
    called = [Contact("A-1", datetime.fromisoformat("2026-11-02T09:00:00+00:00"), "call", "no_answer")]
    v = engine.check(small, "call", datetime.fromisoformat("2026-11-02T12:00:00+00:00"), called, tier_id="early")
    assert (v.verdict, v.legal_verdict, v.earliest, [r.code for r in v.reasons]) == (
        "reschedule",
        "allow",
        datetime.fromisoformat("2026-11-03T08:00:00+00:00"),
        ["cap/gb-one-call-a-day"],
    )
