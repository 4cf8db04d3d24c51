"""What stops contact whatever the time (``ContactEngine.stops``, :mod:`dunning.compliance.stops`):
each stop's exact effect, channels, reason and layer, pinned where mutation testing of
``compliance/stops.py`` found them loose."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from dunning.accounts.model import Contact
from dunning.compliance.answers import Reason, Stop
from dunning.compliance.engine import ContactEngine
from dunning.compliance.stops import (
    SETTLED,
    UNKNOWN_REASON,
    _missing_disclosures,
    _needs_date,
    _stop_effect,
    _stop_message,
)
from dunning.policy import require_policy
from dunning.policy.model import Condition, OutcomeCount, Promise

from .compliance_support import REPO, account

DAY = date(2026, 11, 3)
REGF_OPT_OUT = "12 CFR 1006.14(h)(1); 12 CFR 1006.6(e)"
OWN_REQUEST = "the debtor's own request"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_law_stop_keeps_its_packs_effect_and_the_purposes_it_allows(engine: ContactEngine) -> None:
    # Reg F: a dispute pauses collection; a cease request excludes but lets notices through
    assert engine.stops(account(flags={"dispute"}), as_of=DAY) == (
        Stop(
            "pause",
            (),
            Reason(
                "us-regf.dispute", "us-regf.dispute", "12 CFR 1006.38(d)(2)", "the debt is disputed: collection paused"
            ),
            True,
            (),
        ),
    )
    assert engine.stops(account(flags={"cease_contact"}), as_of=DAY) == (
        Stop(
            "exclude",
            (),
            Reason(
                "us-regf.cease-contact",
                "us-regf.cease-contact",
                "12 CFR 1006.6(c)(1)",
                "the debtor asked us to stop contacting them: no contact",
            ),
            True,
            ("notice",),
        ),
    )


def test_a_flag_a_law_pack_covers_gets_the_law_stop_alone(engine: ContactEngine) -> None:
    # GB: uk-conc names breathing_space, so the engine's own safety stop is not added; CN's
    # pack does not, so there the safety stop holds (policy layer, exclude)
    gb = account(jurisdiction="GB", currency="GBP", flags={"breathing_space"})
    assert [(s.effect, s.reason.code, s.legal, s.allow_purposes) for s in engine.stops(gb, as_of=DAY)] == [
        ("exclude", "uk-conc.breathing-space", True, ("reply",))
    ]
    cn = account(jurisdiction="CN", currency="CNY", flags={"breathing_space"})
    assert engine.stops(cn, as_of=DAY) == (
        Stop(
            "exclude",
            (),
            Reason(
                "flag/breathing_space",
                "flag/breathing_space",
                "dunning safety stop",
                "the debtor is in a Breathing Space moratorium: no contact",
            ),
            False,
        ),
    )


def test_every_safety_stop_flag_has_its_effect_and_words(engine: ContactEngine) -> None:
    # CN's pack names none of these flags: each is the engine's own stop
    expected = {
        "bankruptcy": ("exclude", "the debtor is in bankruptcy: no contact"),
        "deceased": ("exclude", "the debtor is deceased: no contact"),
        "cease_contact": ("exclude", "the debtor asked us to stop contacting them: no contact"),
        "legal_hold": ("exclude", "the account is on legal hold: no contact"),
        "breathing_space": ("exclude", "the debtor is in a Breathing Space moratorium: no contact"),
        "dispute": ("pause", "the debt is disputed: collection paused"),
        "represented": (
            "pause",
            "the debtor is represented (a lawyer or debt adviser): contact the representative: collection paused",
        ),
        "placed_with_agency": ("pause", "the account is placed with a collection agency: collection paused"),
        "legal_referred": ("pause", "the account is referred to legal: collection paused"),
    }
    for flag, (effect, message) in expected.items():
        cn = account(jurisdiction="CN", currency="CNY", flags={flag})
        code = f"flag/{flag}"
        assert engine.stops(cn, as_of=DAY) == (
            Stop(effect, (), Reason(code, code, "dunning safety stop", message), False),  # type: ignore[arg-type]
        ), flag


def test_all_stops_of_one_account_come_law_first_in_order(engine: ContactEngine) -> None:
    both = account(flags={"cease_contact", "sms_opt_out", "letter_opt_out", "represented", "deceased"})
    assert [(s.effect, s.channels, s.reason.code, s.reason.rule, s.legal) for s in engine.stops(both, as_of=DAY)] == [
        ("exclude", (), "us-regf.cease-contact", "us-regf.cease-contact", True),
        ("exclude", (), "us-regf.deceased", "us-regf.deceased", True),
        ("suppress", ("sms",), "opt-out/sms", "us-regf.opt-out", True),
        ("suppress", ("letter",), "opt-out/letter", "opt-out", False),
        ("pause", (), "flag/represented", "flag/represented", False),
    ]


def test_an_opt_out_the_law_covers_cites_the_law_and_one_it_does_not_cites_the_debtor(
    engine: ContactEngine,
) -> None:
    # Reg F's opt-out rule covers call, sms and email, not letters
    us = account(flags={"sms_opt_out", "letter_opt_out"})
    assert engine.stops(us, as_of=DAY) == (
        Stop(
            "suppress",
            ("sms",),
            Reason(
                "opt-out/sms",
                "us-regf.opt-out",
                REGF_OPT_OUT,
                "the debtor asked not to be contacted by sms; other channels stay open",
            ),
            True,
        ),
        Stop(
            "suppress",
            ("letter",),
            Reason(
                "opt-out/letter",
                "opt-out",
                OWN_REQUEST,
                "the debtor asked not to be contacted by letter; other channels stay open",
            ),
            False,
        ),
    )
    # GB's pack has no opt-out rule: the request stands, on the policy layer
    gb = account(jurisdiction="GB", currency="GBP", flags={"call_opt_out"})
    assert engine.stops(gb, as_of=DAY) == (
        Stop(
            "suppress",
            ("call",),
            Reason(
                "opt-out/call",
                "opt-out",
                OWN_REQUEST,
                "the debtor asked not to be contacted by call; other channels stay open",
            ),
            False,
        ),
    )


def test_a_flag_the_history_set_says_since_when(engine: ContactEngine) -> None:
    history = [
        Contact("A-1", at("2026-11-02T10:00:00-05:00"), "call", "dispute"),
        Contact("A-1", at("2026-11-02T12:00:00-05:00"), "call", "represented"),
        Contact("A-1", at("2026-11-02T12:30:00-05:00"), "email", "opt_out"),
    ]
    found = engine.stops(account(flags={"sms_opt_out"}), as_of=DAY, history=history)
    assert [s.reason.message for s in found] == [
        "the debt is disputed: collection paused (history, since 2026-11-02)",
        "the debtor asked not to be contacted by sms; other channels stay open",
        "the debtor asked not to be contacted by email; other channels stay open (history, since 2026-11-02)",
        "the debtor is represented (a lawyer or debt adviser): contact the representative: collection paused "
        "(history, since 2026-11-02)",
    ]


def test_a_complaint_pauses_a_cn_account_until_its_thirtieth_day(engine: ContactEngine) -> None:
    cn = account(jurisdiction="CN", currency="CNY")
    complained = [Contact("A-1", at("2026-11-02T10:00:00+08:00"), "call", "complaint")]
    (stop,) = engine.stops(cn, as_of=DAY, history=complained)
    assert (stop.effect, stop.channels, stop.reason.code, stop.reason.message, stop.legal, stop.allow_purposes) == (
        "pause",
        (),
        "cn.complaint",
        "the debtor complained on 2026-11-02 (complaint): collection paused before 2026-12-02",
        True,
        ("reply",),
    )
    assert engine.stops(cn, as_of=date(2026, 12, 1), history=complained) == (stop,)
    assert engine.stops(cn, as_of=date(2026, 12, 2), history=complained) == ()


@pytest.mark.parametrize(
    ("overdue", "settled"),
    [(Decimal("0.00"), True), (Decimal("-3.00"), True), (Decimal("0.01"), False), (Decimal("1.00"), False)],
)
def test_only_an_account_with_nothing_overdue_is_settled(
    engine: ContactEngine, overdue: Decimal, settled: bool
) -> None:
    found = engine.stops(account(overdue_amount=overdue), as_of=DAY)
    assert found == ((Stop("exclude", (), SETTLED, False),) if settled else ())
    assert (
        Reason("balance/settled", "balance", "dunning safety stop", "nothing is overdue (paid in full): no collection")
        == SETTLED
    )


def test_a_reason_for_arrears_outside_the_vocabulary_pauses(engine: ContactEngine) -> None:
    told = [Contact("A-1", at("2026-11-02T10:00:00-05:00"), "call", "arrears_reason", reason="lottery")]
    assert engine.stops(account(), as_of=DAY, history=told) == (Stop("pause", (), UNKNOWN_REASON, False),)
    assert UNKNOWN_REASON.code == UNKNOWN_REASON.rule == "data/arrears-reason-unknown"
    assert UNKNOWN_REASON.citation == "dunning safety stop"


def test_a_missing_or_invalid_contact_point_removes_only_its_channels(engine: ContactEngine) -> None:
    found = engine.stops(account(phone="", email="", address="", invalid=frozenset({"email"})), as_of=DAY)
    assert found == (
        Stop(
            "suppress",
            ("call", "sms"),
            Reason("data/phone-missing", "data-quality", "the account snapshot", "no phone on file: no call or sms"),
            False,
        ),
        Stop(
            "suppress",
            ("email",),
            Reason(
                "data/email-invalid",
                "data-quality",
                "the account snapshot",
                "the email on file is not usable: no email",
            ),
            False,
        ),
        Stop(
            "suppress",
            ("letter", "visit"),
            Reason(
                "data/address-missing", "data-quality", "the account snapshot", "no address on file: no letter or visit"
            ),
            False,
        ),
    )


def test_a_contact_point_the_history_found_unusable_removes_its_channels(engine: ContactEngine) -> None:
    history = [
        Contact("A-1", at("2026-11-02T11:00:00-05:00"), "call", "wrong_number"),
        Contact("A-1", at("2026-11-02T11:00:00-05:00"), "email", "bounced"),
        Contact("A-1", at("2026-11-02T11:00:00-05:00"), "letter", "returned_mail"),
    ]
    found = engine.stops(account(), as_of=DAY, history=history)
    assert found == (
        Stop(
            "suppress",
            ("call", "sms"),
            Reason(
                "data/phone-wrong-number",
                "data-quality",
                "the contact history",
                "the phone on file reached someone else (wrong_number): no call or sms",
            ),
            False,
        ),
        Stop(
            "suppress",
            ("email",),
            Reason(
                "data/email-bounced",
                "data-quality",
                "the contact history",
                "email to the address on file bounced: no email",
            ),
            False,
        ),
        Stop(
            "suppress",
            ("letter", "visit"),
            Reason(
                "data/address-returned",
                "data-quality",
                "the contact history",
                "a letter to the address on file came back (returned_mail): no letter or visit",
            ),
            False,
        ),
    )


def test_a_policy_exclusion_gives_its_effect_code_line_and_only_a_suppress_names_channels(
    engine: ContactEngine,
) -> None:
    found = engine.stops(account(segment="staff", flags={"hardship"}), as_of=DAY)
    assert found == (
        Stop(
            "exclude",
            (),
            Reason("exclusion/staff", "staff", "policies/contact-rules.yaml:10:5", "Staff loans are collected by HR."),
            False,
        ),
        Stop(
            "suppress",
            ("visit", "sms"),
            Reason(
                "exclusion/hardship-no-visits",
                "hardship-no-visits",
                "policies/contact-rules.yaml:14:5",
                "No texts or visits in hardship.",
            ),
            False,
        ),
    )


def test_an_exclusion_on_a_tier_holds_from_the_day_the_account_reaches_it(engine: ContactEngine) -> None:
    # GBP 5 due 2026-10-01: tier early up to day 30 (10-31), late (small-balance) from 11-01
    small = account(jurisdiction="GB", currency="GBP", overdue_amount=Decimal("5.00"), due_date=date(2026, 10, 1))
    codes = [s.reason.code for s in engine.stops(small, as_of=date(2026, 11, 1))]
    assert codes == ["exclusion/small-balance"]
    assert engine.stops(small, as_of=date(2026, 10, 31)) == ()
    # a tier given is taken as it is, on any day
    assert [s.reason.code for s in engine.stops(small, as_of=date(2026, 10, 2), tier_id="late")] == codes
    assert engine.stops(small, as_of=date(2026, 11, 3), tier_id="early") == ()
    # without a date a tier cannot be known: the exclusion is not evaluated
    assert engine.stops(small) == ()
    assert engine.stops(small, tier_id="late") == ()


@pytest.mark.parametrize(
    ("amount", "currency", "excluded"),
    [("9.99", "GBP", True), ("10.00", "GBP", False), ("5.00", "EUR", True), ("500.00", "EUR", True)],
)
def test_a_balance_bound_compares_the_amount_in_the_accounts_currency(
    engine: ContactEngine, amount: str, currency: str, excluded: bool
) -> None:
    # small-balance: max_overdue GBP 9.99, only in GBP; an account in another currency is not
    # bounded by it (as for tiers, conditions.holds): the exclusion's other parts decide
    gb = account(jurisdiction="GB", currency=currency, overdue_amount=Decimal(amount), due_date=date(2026, 10, 1))
    codes = [s.reason.code for s in engine.stops(gb, as_of=DAY)]
    assert codes == (["exclusion/small-balance"] if excluded else [])


def test_an_exclusion_on_several_flags_needs_them_all(engine: ContactEngine) -> None:
    # the test policy's only flag exclusion names one flag; a segment exclusion needs the segment
    assert engine.stops(account(segment="retail"), as_of=DAY) == ()
    assert [s.reason.code for s in engine.stops(account(segment="staff"), as_of=DAY)] == ["exclusion/staff"]
    assert engine.stops(account(flags={"vulnerable"}), as_of=DAY) == ()


@pytest.mark.parametrize(
    "condition",
    [
        Condition(tiers=("late",)),
        Condition(promise=Promise.BROKEN),
        Condition(no_payment_for_days=0),
        Condition(no_conversation_for_days=0),
        Condition(arrangement="active"),
        Condition(days_since_last_contact=0),
        Condition(days_since_right_party_contact=0),
        Condition(paid_since_days=0),
        Condition(outcomes_in_last_days=(OutcomeCount("refused", 1, 7),)),
    ],
)
def test_a_condition_on_time_needs_a_date(condition: Condition) -> None:
    assert _needs_date(condition) is True


def test_a_condition_on_the_snapshot_alone_needs_no_date() -> None:
    assert _needs_date(Condition(flags=("hardship",), segments=("staff",), products=("card",))) is False


def test_a_message_without_a_required_disclosure_is_suppressed_on_its_channel(engine: ContactEngine) -> None:
    j = engine.jurisdiction("US")
    # an email with neither an opt-out instruction nor the debt-collector words: two law stops
    assert _missing_disclosures(j, "email", "Please pay.", None) == [
        Stop(
            "suppress",
            ("email",),
            Reason(
                "us-regf.opt-out-notice",
                "us-regf.opt-out-notice",
                "12 CFR 1006.6(e)",
                "the email content has no opt-out instruction; send it only with the disclosure",
            ),
            True,
        ),
        Stop(
            "suppress",
            ("email",),
            Reason(
                "us-regf.mini-miranda",
                "us-regf.mini-miranda",
                "12 CFR 1006.18(e)",
                "the email content has no debt-collector disclosure; send it only with the disclosure",
            ),
            True,
        ),
    ]
    # one present, the other still missing (each rule is looked at, whatever the one before found)
    assert [s.reason.code for s in _missing_disclosures(j, "sms", "From a debt collector. Pay now.", None)] == [
        "us-regf.opt-out-notice"
    ]
    assert [s.reason.code for s in _missing_disclosures(j, "sms", "Reply STOP to opt out.", "collection")] == [
        "us-regf.mini-miranda"
    ]
    # a letter needs only the debt-collector words; a reply is not a collection message
    assert _missing_disclosures(j, "letter", "Please pay.", None)[0].channels == ("letter",)
    assert [s.reason.code for s in _missing_disclosures(j, "email", "Please pay.", "reply")] == [
        "us-regf.opt-out-notice"
    ]
    assert _missing_disclosures(j, "call", "Please pay.", None) == []
    assert _missing_disclosures(engine.jurisdiction("GB"), "email", "Please pay.", None) == []


def test_a_pack_stops_effect_is_kept_and_an_unknown_one_excludes() -> None:
    # the bundled packs' stops exclude or pause; a pack stop may also suppress, and an effect
    # the engine does not know is read as the strictest (no contact)
    assert [_stop_effect(e) for e in ("exclude", "pause", "suppress", "hold", "")] == [
        "exclude",
        "pause",
        "suppress",
        "exclude",
        "exclude",
    ]


def _policy_with_dated_exclusions(tmp_path: Path) -> ContactEngine:
    """The test policy with exclusions on a broken promise and a recent payment, and an
    arrears reason of its own."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    rules = repo / "policies" / "contact-rules.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8") + "  - id: promise-broken\n    when: {promise: broken}\n    effect: pause\n"
        "    reason: A promise to pay was broken.\n"
        "  - id: paid-lately\n    when: {paid_since_days: 7}\n    effect: suppress\n    channels: [call]\n"
        "    reason: Paid in the last week.\n"
        "arrears_reasons:\n  medical_bills: {label: {en-US: Medical bills}, marks_vulnerable: false}\n",
        encoding="utf-8",
    )
    return ContactEngine(require_policy(repo))


def test_an_exclusion_on_a_broken_promise_waits_for_the_policys_grace_days(tmp_path: Path) -> None:
    engine = _policy_with_dated_exclusions(tmp_path)
    promised = account(promise_to_pay_date=date(2026, 11, 2), promise_amount=Decimal("100.00"))
    # promise_grace_days 3 (the policy's default): kept-by 11-05, broken from 11-06
    for day, codes in ((date(2026, 11, 5), []), (date(2026, 11, 6), ["exclusion/promise-broken"])):
        assert [s.reason.code for s in engine.stops(promised, as_of=day)] == codes, day
    # without a date nothing dated is evaluated
    assert engine.stops(promised) == ()


def test_an_exclusion_on_a_recent_payment_reads_the_history_up_to_the_day(tmp_path: Path) -> None:
    engine = _policy_with_dated_exclusions(tmp_path)
    paid = [Contact("A-1", at("2026-11-02T10:00:00-05:00"), "payment", "payment", amount=Decimal("50.00"))]
    found = engine.stops(account(), as_of=date(2026, 11, 3), history=paid)
    assert found == (
        Stop(
            "suppress",
            ("call",),
            Reason(
                "exclusion/paid-lately", "paid-lately", "policies/contact-rules.yaml:27:5", "Paid in the last week."
            ),
            False,
        ),
    )
    # the payment is after the day asked about: not read
    assert engine.stops(account(), as_of=date(2026, 11, 1), history=paid) == ()
    assert engine.stops(account(), as_of=date(2026, 11, 9), history=paid) == ()


def test_a_reason_for_arrears_of_the_policys_own_vocabulary_does_not_pause(tmp_path: Path) -> None:
    engine = _policy_with_dated_exclusions(tmp_path)
    told = [Contact("A-1", at("2026-11-02T10:00:00-05:00"), "call", "arrears_reason", reason="medical_bills")]
    assert engine.stops(account(), as_of=DAY, history=told) == ()


def test_events_after_the_day_asked_about_set_no_flag(engine: ContactEngine) -> None:
    later = [Contact("A-1", at("2026-11-05T10:00:00-05:00"), "call", "dispute")]
    assert engine.stops(account(), as_of=DAY, history=later) == ()
    assert [s.reason.code for s in engine.stops(account(), as_of=date(2026, 11, 5), history=later)] == [
        "us-regf.dispute"
    ]


def test_a_disclosure_rule_that_names_no_text_is_a_required_disclosure(engine: ContactEngine) -> None:
    # a pack's disclosure rule without `text` (none bundled has one) still suppresses, in general words
    us = engine.jurisdiction("US")
    rule, patterns = us.disclosures[1]
    untitled = dataclasses.replace(rule, params={"patterns": ["(?i)debt collector"]})
    j = dataclasses.replace(us, disclosures=((untitled, patterns),))
    assert [s.reason.message for s in _missing_disclosures(j, "letter", "Please pay.", None)] == [
        "the letter content has no required disclosure; send it only with the disclosure"
    ]


def test_a_stops_words_name_its_effect() -> None:
    # the bundled packs' stops exclude or pause; a pack stop that suppresses, or has an effect
    # the engine does not know (applied as exclude), is worded alike
    assert _stop_message("dispute", "suppress") == "the debt is disputed: channel suppressed"
    assert _stop_message("dispute", "hold") == "the debt is disputed: no contact"
    assert _stop_message("sanctioned", "exclude") == "sanctioned: no contact"


def test_a_missing_email_alone_removes_email(engine: ContactEngine) -> None:
    assert [(s.channels, s.reason.code) for s in engine.stops(account(email=""), as_of=DAY)] == [
        (("email",), "data/email-missing")
    ]


def test_a_third_party_on_the_number_on_file_stops_calls_and_texts_and_one_on_another_number_does_not(
    engine: ContactEngine,
) -> None:
    # cn.third-party-answered counts per number: the account's own phone is +8613800000000
    cn = account(jurisdiction="CN", currency="CNY")
    own = [Contact("A-1", at("2026-11-02T10:00:00+08:00"), "call", "third_party", phone="+8613800000000")]
    (stop,) = engine.stops(cn, as_of=DAY, history=own)
    assert (stop.effect, stop.channels, stop.reason.code, stop.reason.message, stop.legal) == (
        "suppress",
        ("call", "sms"),
        "cn.third-party-answered",
        "someone other than the debtor answered on 2026-11-02 (third_party): no call or sms "
        "until a right_party_contact or connected on call or sms",
        True,
    )
    other = [dataclasses.replace(own[0], phone="+8613900000000")]
    assert engine.stops(cn, as_of=DAY, history=other) == ()


def test_an_exclusion_reads_what_marks_vulnerable_from_the_policys_vocabulary(tmp_path: Path) -> None:
    # The built-in `income_drop` marks the customer vulnerable; this policy says it does not,
    # so an exclusion on customers not marked vulnerable holds for one who gave that reason.
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    rules = repo / "policies" / "contact-rules.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8") + "  - id: welfare-visits-only\n    when: {not_flags: [vulnerable]}\n"
        "    effect: suppress\n    channels: [visit]\n"
        "    reason: Field visits are welfare checks on vulnerable customers only.\n"
        "arrears_reasons:\n  income_drop: {marks_vulnerable: false}\n",
        encoding="utf-8",
    )
    engine = ContactEngine(require_policy(repo))
    told = [Contact("A-1", at("2026-11-02T10:00:00-05:00"), "call", "arrears_reason", reason="income_drop")]
    assert engine.stops(account(), as_of=DAY, history=told) == (
        Stop(
            "suppress",
            ("visit",),
            Reason(
                "exclusion/welfare-visits-only",
                "welfare-visits-only",
                "policies/contact-rules.yaml:23:5",
                "Field visits are welfare checks on vulnerable customers only.",
            ),
            False,
        ),
    )
    # a reason the policy leaves marking (illness) makes the customer vulnerable: no stop
    ill = [dataclasses.replace(told[0], reason="illness")]
    assert engine.stops(account(), as_of=DAY, history=ill) == ()


@pytest.mark.parametrize(
    ("amount", "currency", "paused"),
    [("999.99", "USD", False), ("1000.00", "USD", True), ("1000.01", "USD", True), ("5.00", "EUR", True)],
)
def test_a_lower_balance_bound_holds_from_the_bound_itself(
    tmp_path: Path, amount: str, currency: str, paused: bool
) -> None:
    # min_overdue USD 1000: 1000.00 is not below it; an account in another currency is not
    # bounded by it (as for max_overdue): the exclusion's other parts decide
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    rules = repo / "policies" / "contact-rules.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8") + "  - id: large-balance\n    when: {min_overdue: {USD: 1000}}\n"
        "    effect: pause\n    reason: Large balances go to the specialist team.\n",
        encoding="utf-8",
    )
    engine = ContactEngine(require_policy(repo))
    found = engine.stops(account(currency=currency, overdue_amount=Decimal(amount)), as_of=DAY)
    assert [(s.effect, s.reason.code) for s in found] == ([("pause", "exclusion/large-balance")] if paused else [])


def test_an_exclusion_that_pauses_stops_every_channel_whatever_channels_it_names(tmp_path: Path) -> None:
    # `channels` is read for a suppress only; a pause (or an exclude) that names some still
    # stops every channel (a stop with no channels), the stricter reading
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    rules = repo / "policies" / "contact-rules.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8") + "  - id: review\n    when: {segments: [review]}\n    effect: pause\n"
        "    channels: [call]\n    reason: Accounts under review wait.\n",
        encoding="utf-8",
    )
    engine = ContactEngine(require_policy(repo))
    (stop,) = engine.stops(account(segment="review"), as_of=DAY)
    assert (stop.effect, stop.channels, stop.reason.code) == ("pause", (), "exclusion/review")
    assert stop.blocks("email") and stop.blocks("call")


def test_without_a_date_an_exclusion_after_a_dated_one_still_holds(tmp_path: Path) -> None:
    # small-balance (on a tier: needs a date) is skipped without one; the exclusions after it
    # that need none are still evaluated
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    rules = repo / "policies" / "contact-rules.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8") + "  - id: abroad\n    when: {segments: [abroad]}\n    effect: suppress\n"
        "    channels: [visit]\n    reason: No visits abroad.\n",
        encoding="utf-8",
    )
    engine = ContactEngine(require_policy(repo))
    small = account(jurisdiction="GB", currency="GBP", overdue_amount=Decimal("5.00"), segment="abroad")
    assert [(s.effect, s.channels, s.reason.code) for s in engine.stops(small)] == [
        ("suppress", ("visit",), "exclusion/abroad")
    ]
    # with a date the tier is known (late from 2026-11-01): both hold
    assert [s.reason.code for s in engine.stops(small, as_of=DAY)] == ["exclusion/small-balance", "exclusion/abroad"]
