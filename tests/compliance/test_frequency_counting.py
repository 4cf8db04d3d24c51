"""Frequency counting (:mod:`dunning.compliance.frequency`): which contacts a rule counts, the
run of days that makes a refusal and its words — pinned where mutation testing found them
loose."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from dunning.accounts.model import Contact
from dunning.compliance.engine import ContactEngine, Verdict
from dunning.compliance.frequency import _CounterState
from dunning.compliance.jurisdictions import _Counter
from dunning.policy import require_policy

from .compliance_support import REPO, account

US = account(phone="+12125550100")  # New York
GB = account(jurisdiction="GB", currency="GBP", timezone="Europe/London", phone="+447911123456")
CN = account(jurisdiction="CN", currency="CNY", phone="+8613812345678")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def calls(days: range, outcome: str = "no_answer") -> list[Contact]:
    """One call of account A-1 at noon (New York) on each day of November 2026 in ``days``."""
    return [Contact("A-1", at(f"2026-11-{d:02d}T12:00:00-05:00"), "call", outcome) for d in days]


def summary(v: Verdict) -> tuple[str, str, str | None, list[str]]:
    return v.verdict, v.legal_verdict, v.earliest.isoformat() if v.earliest else None, [r.code for r in v.reasons]


def counter(kind: str, max_: int, per_days: int) -> _Counter:
    return _Counter("c", "c", "", kind, ("call",), max_, per_days, "debtor", None, None, True)


# --- which contacts count ---------------------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "refused"), [("busy", False), ("failed", False), ("no_answer", True)])
def test_a_policy_cap_without_outcomes_counts_every_call_that_reached_the_network(
    engine: ContactEngine, outcome: str, refused: bool
) -> None:
    history = [Contact("A-1", at("2026-11-03T09:00:00+00:00"), "call", outcome)]
    v = engine.check(GB, "call", at("2026-11-03T12:00:00+00:00"), history)
    if not refused:
        assert summary(v) == ("allow", "allow", None, [])
        return
    assert summary(v) == ("reschedule", "allow", "2026-11-04T08:00:00+00:00", ["cap/gb-one-call-a-day"])
    assert v.reasons[0].message == "1 counted contact(s) already in 2026-11-03; at most 1 in 1 day(s)"
    assert (v.reasons[0].rule, v.reasons[0].citation) == ("gb-one-call-a-day", "policies/contact-rules.yaml:2:5")


def test_a_planned_contact_counts_whatever_its_outcome_says(engine: ContactEngine) -> None:
    planned = [Contact("A-1", at("2026-11-03T09:00:00+00:00"), "call", "busy")]
    v = engine.check(GB, "call", at("2026-11-03T12:00:00+00:00"), [], planned=planned)
    assert summary(v) == ("reschedule", "allow", "2026-11-04T08:00:00+00:00", ["cap/gb-one-call-a-day"])


def test_a_planned_call_is_not_a_conversation(engine: ContactEngine) -> None:
    planned = [Contact("A-1", at("2026-11-02T10:00:00-05:00"), "call", "connected")]
    assert summary(engine.check(US, "call", at("2026-11-03T10:00:00-05:00"), [], planned=planned)) == (
        "allow",
        "allow",
        None,
        [],
    )


def test_a_record_of_another_account_does_not_count_against_a_debt(engine: ContactEngine) -> None:
    moment = at("2026-11-07T10:00:00-05:00")
    elsewhere = [Contact("A-2", c.at, c.channel, c.outcome) for c in calls(range(1, 8))]
    assert engine.check(US, "call", moment, elsewhere, debt_id="D-1").verdict == "allow"
    # a record filed under the debt's own id counts against it, and so does one without an account
    as_debt = [Contact("D-1", c.at, c.channel, c.outcome) for c in calls(range(1, 8))]
    assert summary(engine.check(US, "call", moment, as_debt, debt_id="D-1"))[3] == ["us-regf.call-frequency"]
    unfiled = [Contact("", c.at, c.channel, c.outcome) for c in calls(range(1, 8))]
    assert summary(engine.check(US, "call", moment, unfiled, debt_id="D-1"))[3] == ["us-regf.call-frequency"]
    # without a debt id the debt is the account itself
    assert summary(engine.check(US, "call", moment, calls(range(1, 8))))[3] == ["us-regf.call-frequency"]
    assert engine.check(US, "call", moment, elsewhere).verdict == "allow"


def test_a_record_of_the_same_debt_counts_and_of_another_does_not(engine: ContactEngine) -> None:
    moment = at("2026-11-07T10:00:00-05:00")
    six = [Contact("A-1", c.at, c.channel, c.outcome, debt_id="D-1") for c in calls(range(1, 7))]
    seventh_other = Contact("A-1", at("2026-11-07T08:30:00-05:00"), "call", "no_answer", debt_id="D-2")
    assert engine.check(US, "call", moment, [*six, seventh_other], debt_id="D-1").verdict == "allow"
    seventh_same = Contact("A-1", at("2026-11-07T08:30:00-05:00"), "call", "no_answer", debt_id="D-1")
    v = engine.check(US, "call", moment, [*six, seventh_same], debt_id="D-1")
    assert v.reasons[0].message == "7 counted contact(s) already in 2026-11-01–2026-11-07; at most 7 in 7 day(s)"


def test_a_per_number_rule_counts_records_without_a_number_against_the_accounts(engine: ContactEngine) -> None:
    moment = at("2026-11-03T18:00:00+08:00")
    hours = (9, 10, 11, 12, 13, 14)
    own = [Contact("A-1", at(f"2026-11-03T{h:02d}:00:00+08:00"), "call", "no_answer", phone=CN.phone) for h in hours]
    assert summary(engine.check(CN, "call", moment, own))[3] == ["cn.unanswered-attempts"]
    unnumbered = [Contact("A-1", at(f"2026-11-03T{h:02d}:00:00+08:00"), "call", "no_answer") for h in hours]
    assert summary(engine.check(CN, "call", moment, unnumbered))[3] == ["cn.unanswered-attempts"]
    # five on the account's number and one on another: five to this number
    mixed = [*own[:5], Contact("A-1", at("2026-11-03T14:00:00+08:00"), "call", "no_answer", phone="+8613900000000")]
    assert engine.check(CN, "call", moment, mixed).verdict == "allow"
    # the per-debtor rule counts every number
    connected = [Contact("A-1", at(f"2026-11-03T{h:02d}:00:00+08:00"), "call", "connected", phone="+8613900000000")
                 for h in (9, 10, 11)]  # fmt: skip
    assert summary(engine.check(CN, "call", moment, connected))[3] == ["cn.connected-calls"]


def test_a_daily_cap_in_shanghai_counts_shanghais_day_for_a_debtor_elsewhere(engine: ContactEngine) -> None:
    # Urumqi (+06): three connected calls late on 11-02 there, early on 11-03 in Shanghai
    abroad = account(jurisdiction="CN", currency="CNY", timezone="Asia/Urumqi", phone="+8613812345678")
    history = [Contact("A-1", at(f"2026-11-02T{t}:00+06:00"), "call", "connected") for t in ("22:30", "23:00", "23:30")]
    v = engine.check(abroad, "call", at("2026-11-03T12:00:00+06:00"), history)
    assert summary(v) == ("reschedule", "reschedule", "2026-11-04T08:00:00+06:00", ["cn.connected-calls"])
    assert v.reasons[0].message == "3 counted contact(s) already in 2026-11-03; at most 3 in 1 day(s)"
    # on Urumqi's 11-02 (Shanghai's 11-02 too at 15:00) they are not counted: the day is Shanghai's
    assert summary(engine.check(abroad, "call", at("2026-11-02T15:00:00+06:00"), history)) == (
        "allow",
        "allow",
        None,
        [],
    )


def test_a_counter_full_in_two_zones_is_one_reason(engine: ContactEngine) -> None:
    both = account(postal_code="02139", phone="+14155550100")  # Eastern by ZIP, Pacific by phone
    v = engine.check(both, "call", at("2026-11-07T14:00:00-05:00"), calls(range(1, 8)))
    assert [r.code for r in v.reasons] == ["us-regf.call-frequency"]
    assert v.earliest == at("2026-11-08T11:00:00-05:00")


# --- the run that refuses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "day", "run"),
    [
        ([10, 12], 9, None),
        ([10, 12], 10, (10, 2)),
        ([10, 12], 11, (10, 2)),
        ([10, 12], 12, (10, 2)),
        ([10, 12], 13, None),
        ([10, 11, 12], 13, (11, 2)),
        ([8, 12], 10, None),  # 8 and 12 are five days apart: no three-day run holds both
        ([7, 10, 13], 10, None),  # the others lie just outside every run holding 10
        ([10], 10, None),  # fewer in all than the cap
    ],
)
def test_a_window_rule_refuses_a_day_any_run_holding_it_is_full(
    days: list[int], day: int, run: tuple[int, int] | None
) -> None:
    assert _CounterState._refusing_run(counter("window", 2, 3), days, day) == run


def test_a_daily_cap_counts_only_the_day_itself() -> None:
    daily = counter("window", 2, 1)
    assert _CounterState._refusing_run(daily, [10, 10, 11], 10) == (10, 2)
    assert _CounterState._refusing_run(daily, [10, 10, 11], 11) is None
    assert _CounterState._refusing_run(daily, [10, 11, 11, 11], 11) == (11, 3)


@pytest.mark.parametrize(("day", "run"), [(4, None), (5, (5, 1)), (8, (8, 1)), (14, (8, 1)), (15, None)])
def test_the_cool_down_runs_from_the_latest_conversation_for_its_days(day: int, run: tuple[int, int] | None) -> None:
    assert _CounterState._refusing_run(counter("after", 0, 7), [5, 8], day) == run


def test_the_refusal_in_words() -> None:
    first = date(2026, 11, 2).toordinal()
    assert _CounterState._message(counter("window", 7, 7), (first, 7)) == (
        "7 counted contact(s) already in 2026-11-02–2026-11-08; at most 7 in 7 day(s)"
    )
    assert _CounterState._message(counter("window", 3, 1), (first, 4)) == (
        "4 counted contact(s) already in 2026-11-02; at most 3 in 1 day(s)"
    )
    assert _CounterState._message(counter("after", 0, 7), (first, 1)) == (
        "a telephone conversation on 2026-11-02 (day 1 of 7) blocks calls until 2026-11-09"
    )


def test_a_policy_cap_next_to_the_laws_counters_is_counted_on_the_policy_layer(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    rules = repo / "policies" / "contact-rules.yaml"
    cap = "  - id: us-one-call-a-day\n    channels: [call]\n    max: 1\n    per_days: 1\n    scope: debtor\n"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("exclusions:\n", cap + "    jurisdictions: [US]\nexclusions:\n", 1),
        encoding="utf-8",
    )
    engine = ContactEngine(require_policy(repo))
    v = engine.check(US, "call", at("2026-11-03T15:00:00-05:00"), calls(range(3, 4)))
    assert summary(v) == ("reschedule", "allow", "2026-11-04T08:00:00-05:00", ["cap/us-one-call-a-day"])
    # with the law's cap full too, each layer names its own
    v = engine.check(US, "call", at("2026-11-07T15:00:00-05:00"), calls(range(1, 8)))
    assert summary(v) == (
        "reschedule",
        "reschedule",
        "2026-11-08T08:00:00-05:00",
        ["us-regf.call-frequency", "cap/us-one-call-a-day"],
    )


def test_a_two_day_cap_looks_at_both_runs_holding_the_day() -> None:
    # at most 2 in any 2 consecutive days: a contact on each of 10 and 11 fills the run 10–11,
    # which holds 11 (and 10); 12's runs 11–12 and 12–13 hold one each
    two_days = counter("window", 2, 2)
    assert _CounterState._refusing_run(two_days, [10, 11], 11) == (10, 2)
    assert _CounterState._refusing_run(two_days, [10, 11], 10) == (10, 2)
    assert _CounterState._refusing_run(two_days, [10, 11], 12) is None


def test_a_contact_that_does_not_count_does_not_stop_the_count_of_those_after_it(engine: ContactEngine) -> None:
    moment = at("2026-11-07T10:00:00-05:00")
    seven = calls(range(1, 8))
    first = at("2026-11-01T08:30:00-05:00")
    for ignored in (
        Contact("A-1", first, "sms", "delivered"),  # another channel
        Contact("A-1", first, "call", "busy"),  # an outcome the rule does not count
        Contact("A-1", first, "call", "no_answer", debt_id="D-2"),  # another debt
        Contact("A-2", first, "call", "no_answer"),  # another account
    ):
        v = engine.check(US, "call", moment, [ignored, *seven], debt_id="D-1")
        assert summary(v)[3] == ["us-regf.call-frequency"], ignored
    # a policy cap without outcomes: a busy call first, then a counted one
    gb = [
        Contact("A-1", at("2026-11-03T08:30:00+00:00"), "call", "busy"),
        Contact("A-1", at("2026-11-03T09:00:00+00:00"), "call", "no_answer"),
    ]
    assert summary(engine.check(GB, "call", at("2026-11-03T12:00:00+00:00"), gb))[3] == ["cap/gb-one-call-a-day"]
    # per number: a call to another number first, then six to the account's
    cn = [
        Contact("A-1", at("2026-11-03T08:30:00+08:00"), "call", "no_answer", phone="+8613900000000"),
        *(Contact("A-1", at(f"2026-11-03T{h:02d}:00:00+08:00"), "call", "no_answer") for h in (9, 10, 11, 12, 13, 14)),
    ]
    assert summary(engine.check(CN, "call", at("2026-11-03T18:00:00+08:00"), cn))[3] == ["cn.unanswered-attempts"]


def test_each_counted_contact_falls_on_its_own_day(engine: ContactEngine) -> None:
    # GB, one call a day: yesterday's call and today's; today is full, tomorrow is free
    history = [
        Contact("A-1", at("2026-11-02T09:00:00+00:00"), "call", "no_answer"),
        Contact("A-1", at("2026-11-03T09:00:00+00:00"), "call", "no_answer"),
    ]
    v = engine.check(GB, "call", at("2026-11-03T12:00:00+00:00"), history)
    assert summary(v) == ("reschedule", "allow", "2026-11-04T08:00:00+00:00", ["cap/gb-one-call-a-day"])
    assert v.reasons[0].message == "1 counted contact(s) already in 2026-11-03; at most 1 in 1 day(s)"
    # a busy call today does not count; yesterday's counted call is yesterday's
    busy_today = [
        Contact("A-1", at("2026-11-03T09:00:00+00:00"), "call", "busy"),
        Contact("A-1", at("2026-11-02T09:00:00+00:00"), "call", "no_answer"),
    ]
    assert summary(engine.check(GB, "call", at("2026-11-03T12:00:00+00:00"), busy_today))[0] == "allow"


def test_only_the_named_products_count_their_debts_as_one(engine: ContactEngine) -> None:
    # a card account's calls about another debt do not count against this one (student loans' do)
    card = account(phone="+12125550100", product="card")
    other_debt = [Contact("A-1", c.at, c.channel, c.outcome, debt_id="D-2") for c in calls(range(1, 8))]
    assert engine.check(card, "call", at("2026-11-07T10:00:00-05:00"), other_debt, debt_id="D-1").verdict == "allow"


def test_a_cap_of_zero_refuses_the_first_contact_with_nothing_counted(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    rules = repo / "policies" / "contact-rules.yaml"
    cap = "  - id: us-no-texts\n    channels: [sms]\n    max: 0\n    per_days: 1\n    scope: debtor\n"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("exclusions:\n", cap + "    jurisdictions: [US]\nexclusions:\n", 1),
        encoding="utf-8",
    )
    v = ContactEngine(require_policy(repo)).check(US, "sms", at("2026-11-03T12:00:00-05:00"), [])
    assert summary(v) == ("suppress", "allow", None, ["cap/us-no-texts", "horizon"])
    assert v.reasons[0].message == "0 counted contact(s) already in 2026-11-03; at most 0 in 1 day(s)"


@pytest.mark.parametrize(
    ("scope", "verdict"), [("", "reschedule"), ("    scope: debtor\n", "reschedule"), ("    scope: debt\n", "allow")]
)
def test_a_policy_cap_without_a_scope_counts_every_debt_of_the_person(tmp_path: Path, scope: str, verdict: str) -> None:
    # the stricter reading: a call about the customer's other loan fills a cap that names no scope
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    rules = repo / "policies" / "contact-rules.yaml"
    cap = "  - id: us-one-call-a-day\n    channels: [call]\n    max: 1\n    per_days: 1\n" + scope
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("exclusions:\n", cap + "    jurisdictions: [US]\nexclusions:\n", 1),
        encoding="utf-8",
    )
    other_debt = [Contact("A-1", at("2026-11-03T09:00:00-05:00"), "call", "no_answer", debt_id="D-2")]
    v = ContactEngine(require_policy(repo)).check(
        US, "call", at("2026-11-03T15:00:00-05:00"), other_debt, debt_id="D-1"
    )
    assert summary(v)[0] == verdict
    if verdict == "reschedule":
        assert summary(v) == ("reschedule", "allow", "2026-11-04T08:00:00-05:00", ["cap/us-one-call-a-day"])
