"""The contact engine's own part of a decision (``ContactEngine.check`` and its search for the
earliest moment), pinned where mutation testing of ``compliance/engine.py`` found it loose:
the refusal of a naive moment, the last second of a window, the horizon's reason and the
search's last day, a day with two windows, an exclusion that holds for some days of the
search, the tier, debt and state given to ``check``, and a policy cap in two zones."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from clock_support import NoOffset
from dunning.accounts.model import Contact
from dunning.compliance.engine import SEARCH_DAYS, ContactEngine, Reason, Verdict
from dunning.policy import require_policy

from .compliance_support import REPO, account

US = account(phone="+12125550100")  # New York
GB = account(jurisdiction="GB", currency="GBP", timezone="Europe/London", phone="+447911123456")


@pytest.mark.parametrize("moment", [datetime(2026, 11, 3, 10), datetime(2026, 11, 3, 10, tzinfo=NoOffset())])
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


def _engine_with(tmp_path: Path, file: str, old: str, new: str, *more: tuple[str, str, str]) -> ContactEngine:
    """An engine on a copy of the test policy with ``old`` replaced by ``new`` in ``file``
    (and each further (file, old, new) of ``more``)."""
    shutil.copytree(REPO, tmp_path / "repo")
    for name, before, after in ((file, old, new), *more):
        path = tmp_path / "repo" / "policies" / name
        text = path.read_text(encoding="utf-8")
        assert before in text
        path.write_text(text.replace(before, after), encoding="utf-8")
    return ContactEngine(require_policy(tmp_path / "repo"))


def _blackout(tmp_path: Path, last: str) -> ContactEngine:
    """The US call window closed from 2026-11-03 to ``last``."""
    return _engine_with(
        tmp_path,
        "timetables.yaml",
        "    blackouts:\n",
        f"    blackouts:\n      - from: 2026-11-03\n        to: {last}\n        channels: [call]\n"
        "        reason: Systems migration\n",
    )


def test_the_search_reaches_the_sixtieth_day_and_no_further(tmp_path: Path) -> None:
    # 2026-11-03 + 60 days = 2027-01-02: a call window closed through 2027-01-01 opens on the
    # last day the search looks at; closed one day longer, nothing is found.
    at = datetime.fromisoformat("2026-11-03T10:00:00-05:00")
    v = _blackout(tmp_path / "a", "2027-01-01").check(US, "call", at, [])
    assert (v.verdict, v.legal_verdict, v.earliest) == (
        "reschedule",
        "allow",
        datetime.fromisoformat("2027-01-02T08:00:00-05:00"),
    )
    assert [r.code for r in v.reasons] == ["blackout"]
    v = _blackout(tmp_path / "b", "2027-01-02").check(US, "call", at, [])
    assert (v.verdict, v.legal_verdict, v.earliest) == ("suppress", "allow", None)
    assert [r.code for r in v.reasons] == ["blackout", "horizon"]


def test_a_day_with_two_windows_offers_the_second_when_the_first_has_closed(tmp_path: Path) -> None:
    # the US call window with a lunch break (the only call line followed by a `sun:` sms line)
    engine = _engine_with(
        tmp_path,
        "timetables.yaml",
        '      call: {every_day: "00:00-24:00"}\n      sms: {every_day: "00:00-24:00", sun',
        '      call: {every_day: ["09:00-12:00", "14:00-18:00"]}\n      sms: {every_day: "00:00-24:00", sun',
    )
    # 12:00 is the first window's closing second: refused, and the same afternoon is free
    for moment in ("2026-11-03T12:00:00-05:00", "2026-11-03T12:30:00-05:00"):
        v = engine.check(US, "call", datetime.fromisoformat(moment), [])
        assert (v.verdict, v.legal_verdict, v.earliest) == (
            "reschedule",
            "allow",
            datetime.fromisoformat("2026-11-03T14:00:00-05:00"),
        )
        assert [r.code for r in v.reasons] == ["timetable/us"]


def test_an_exclusion_the_account_grows_into_and_out_of_is_skipped_only_while_it_holds(tmp_path: Path) -> None:
    # 30 days past due on 11-03 (tier early), 31 on 11-04 (late). No calls in tier late
    # within 4 days of an unanswered call: the call of 11-02 keeps 11-04 and 11-05 free of
    # calls; 11-06 is the first day the exclusion no longer holds.
    engine = _engine_with(
        tmp_path,
        "contact-rules.yaml",
        "exclusions:\n",
        "exclusions:\n  - id: cool-off\n"
        "    when: {tiers: [late], outcomes_in_last_days: {outcome: no_answer, count: 1, days: 4}}\n"
        "    effect: suppress\n    channels: [call]\n    reason: Let an unanswered call rest.\n",
    )
    late = account(due_date=date(2026, 10, 4))
    called = [Contact("A-1", datetime.fromisoformat("2026-11-02T09:00:00-05:00"), "call", "no_answer")]
    v = engine.check(late, "call", datetime.fromisoformat("2026-11-03T21:30:00-05:00"), called)
    assert (v.verdict, v.legal_verdict, v.earliest) == (
        "reschedule",
        "reschedule",
        datetime.fromisoformat("2026-11-06T08:00:00-05:00"),
    )
    assert [r.code for r in v.reasons] == ["us-regf.call-hours"]
    # it stops calls only: a text is offered the next morning
    v = engine.check(late, "sms", datetime.fromisoformat("2026-11-03T21:30:00-05:00"), called)
    assert v.earliest == datetime.fromisoformat("2026-11-04T08:00:00-05:00")


def test_the_tier_given_to_check_decides_its_exclusions(engine: ContactEngine) -> None:
    # Due 2026-10-03, GBP 5, on 11-05: tier late, where the small-balance exclusion excludes
    small = account(jurisdiction="GB", currency="GBP", timezone="Europe/London", overdue_amount=Decimal("5.00"),
                    due_date=date(2026, 10, 3))  # fmt: skip
    at = datetime.fromisoformat("2026-11-05T12:00:00+00:00")
    assert [r.code for r in engine.check(small, "call", at, []).reasons] == ["exclusion/small-balance"]
    assert engine.check(small, "call", at, [], tier_id="early") == Verdict("allow", "allow", None, ())


def test_calls_about_the_debt_asked_for_count_against_it(engine: ContactEngine) -> None:
    # seven calls about D-1 in the week: an eighth about D-1 waits (Reg F counts per debt)
    calls = [
        Contact("A-1", datetime.fromisoformat(f"2026-11-0{d}T12:00:00-05:00"), "call", "no_answer", debt_id="D-1")
        for d in range(2, 9)
    ]
    v = engine.check(US, "call", datetime.fromisoformat("2026-11-08T14:00:00-05:00"), calls, debt_id="D-1")
    assert (v.verdict, v.earliest, [r.code for r in v.reasons]) == (
        "reschedule",
        datetime.fromisoformat("2026-11-09T08:00:00-05:00"),
        ["us-regf.call-frequency"],
    )


def test_a_policy_cap_counts_the_days_of_every_zone_the_debtor_may_be_in(tmp_path: Path) -> None:
    # one call a day by policy; Eastern by ZIP, Pacific by phone. A call at 23:30 Eastern on
    # 11-03 is 20:30 on 11-03 in Los Angeles: on 11-04 at 01:30 Eastern (22:30 on 11-03 in
    # Los Angeles) the Pacific day already holds a call.
    engine = _engine_with(
        tmp_path,
        "contact-rules.yaml",
        "caps:\n",
        "caps:\n  - id: us-one-call-a-day\n    description: One call a day.\n    channels: [call]\n"
        "    max: 1\n    per_days: 1\n    scope: debtor\n    jurisdictions: [US]\n",
    )
    both = account(postal_code="02139", phone="+14155550100")
    called = [Contact("A-1", datetime.fromisoformat("2026-11-03T23:30:00-05:00"), "call", "no_answer")]
    v = engine.check(both, "call", datetime.fromisoformat("2026-11-04T01:30:00-05:00"), called)
    assert [(r.code, r.message) for r in v.reasons] == [
        ("us-regf.call-hours", "01:30 in America/New_York is outside the legal hours 08:00–21:00"),
        ("cap/us-one-call-a-day", "1 counted contact(s) already in 2026-11-03; at most 1 in 1 day(s)"),
    ]
    assert (v.verdict, v.legal_verdict, v.earliest) == (
        "reschedule",
        "reschedule",
        datetime.fromisoformat("2026-11-04T11:00:00-05:00"),
    )


def test_a_promise_on_file_is_open_through_the_policys_grace_days(tmp_path: Path) -> None:
    # the test policy's grace is 3 days: a promise for 11-01 is open until 11-04, and an
    # exclusion for accounts whose promise is not open holds from 11-05
    engine = _engine_with(
        tmp_path,
        "contact-rules.yaml",
        "exclusions:\n",
        "exclusions:\n  - id: promise-not-open\n    when: {promise: not_kept}\n"
        "    effect: suppress\n    channels: [email]\n    reason: Emails only while a promise is open.\n",
    )
    promised = account(promise_to_pay_date=date(2026, 11, 1))
    assert engine.check(promised, "email", datetime.fromisoformat("2026-11-04T10:00:00-05:00"), []).verdict == "allow"
    v = engine.check(promised, "email", datetime.fromisoformat("2026-11-05T10:00:00-05:00"), [])
    assert (v.verdict, [r.code for r in v.reasons]) == ("suppress", ["exclusion/promise-not-open"])


def test_a_reason_for_arrears_from_the_policys_own_vocabulary_is_known(tmp_path: Path) -> None:
    engine = _engine_with(
        tmp_path,
        "portfolio.yaml",
        "jurisdictions:\n",
        "arrears_reasons:\n  medical_bills: {label: {en-US: Medical bills}}\njurisdictions:\n",
    )
    at = datetime.fromisoformat("2026-11-03T10:00:00-05:00")
    assert engine.check(account(extra={"arrears_reason": "medical_bills"}), "call", at, []).verdict == "allow"
    v = engine.check(account(extra={"arrears_reason": "gambling"}), "call", at, [])
    assert (v.verdict, [r.code for r in v.reasons]) == ("suppress", ["data/arrears-reason-unknown"])


def test_a_stop_learnt_from_the_history_says_so(engine: ContactEngine) -> None:
    ceased = [Contact("A-1", datetime.fromisoformat("2026-11-02T10:00:00-05:00"), "call", "cease_contact")]
    v = engine.check(US, "call", datetime.fromisoformat("2026-11-03T10:00:00-05:00"), ceased)
    assert (v.verdict, [(r.code, r.message) for r in v.reasons]) == (
        "suppress",
        [
            (
                "us-regf.cease-contact",
                "the debtor asked us to stop contacting them: no contact (history, since 2026-11-02)",
            )
        ],
    )


def test_the_search_reads_the_policys_own_vulnerable_marks_on_every_day(tmp_path: Path) -> None:
    # The built-in `income_drop` marks the customer vulnerable; this policy says it does not.
    # Calls in tier late go to vulnerable customers only (a specialist team): this customer,
    # late from 11-04, is not one, so no day of the search is free for a call.
    engine = _engine_with(
        tmp_path,
        "portfolio.yaml",
        "jurisdictions:\n",
        "arrears_reasons:\n  income_drop: {marks_vulnerable: false}\njurisdictions:\n",
        (
            "contact-rules.yaml",
            "exclusions:\n",
            "exclusions:\n  - id: specialist-calls\n    when: {tiers: [late], not_flags: [vulnerable]}\n"
            "    effect: suppress\n    channels: [call]\n    reason: Late calls are the specialist team's.\n",
        ),
    )
    dropped = account(due_date=date(2026, 10, 4), extra={"arrears_reason": "income_drop"})
    v = engine.check(dropped, "call", datetime.fromisoformat("2026-11-03T21:30:00-05:00"), [])
    assert (v.verdict, v.legal_verdict, v.earliest) == ("suppress", "reschedule", None)
    assert [r.code for r in v.reasons] == ["us-regf.call-hours", "horizon"]
