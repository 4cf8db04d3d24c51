"""Resolving a jurisdiction code (``JurisdictionResolver.jurisdiction``,
:mod:`dunning.compliance.jurisdictions`): which packs apply, each frequency rule in the one
counter shape with its exact numbers, the stops, opt-out and disclosure rules, the policy's
timetable, holidays and caps — pinned where mutation testing found them loose."""

from __future__ import annotations

import shutil
from pathlib import Path

from dunning.compliance import packs as law
from dunning.compliance.engine import ContactEngine
from dunning.compliance.jurisdictions import _Counter
from dunning.policy import require_policy

from .compliance_support import REPO, account


def _rule(rule_id: str) -> law.LawRule:
    pack = law.get_pack(rule_id.split(".", 1)[0])
    assert pack is not None
    found = pack.rule(rule_id)
    assert found is not None
    return found


def _law_counter(rule_id: str, kind: str, max_: int, per_days: int, per: str, **more: object) -> _Counter:
    rule = _rule(rule_id)
    return _Counter(
        reason_code=rule_id,
        rule=rule_id,
        citation=rule.citation,
        kind=kind,
        channels=rule.channels,
        max=max_,
        per_days=per_days,
        per=per,
        counts=frozenset(rule.counts),
        legal=True,
        describe=rule.description,
        **more,  # type: ignore[arg-type]
    )


def test_a_subdivision_gets_its_countrys_packs_and_its_own_counters_in_pack_order(engine: ContactEngine) -> None:
    j = engine.jurisdiction("US-MA")
    assert (j.code, j.default_zone, j.packs) == ("US-MA", "America/New_York", ("us-regf", "us-ma"))
    assert j.counters == (
        _law_counter(
            "us-regf.call-frequency", "window", 7, 7, "debt", fixed_zone=None, one_debt_products=("student_loan",)
        ),
        # the conversation cool-down has no `max`: 0, and its `days` are its run
        _law_counter("us-regf.after-conversation", "after", 0, 7, "debt", fixed_zone=None),
        _law_counter("us-ma.call-frequency", "window", 2, 7, "debt", fixed_zone=None),
    )
    assert [(h.rule.id, str(h.start), str(h.end), h.fixed_zone) for h in j.hours] == [
        ("us-regf.call-hours", "08:00:00", "21:00:00", None)
    ]
    assert [r.id for r in j.law_stops] == [
        "us-regf.cease-contact",
        "us-regf.dispute",
        "us-regf.bankruptcy",
        "us-regf.deceased",
    ]
    assert j.opt_out_rule is not None and j.opt_out_rule.id == "us-regf.opt-out"
    assert [(r.id, [p.pattern for p in patterns]) for r, patterns in j.disclosures] == [
        ("us-regf.opt-out-notice", [r"(?i)\bstop\b", r"(?i)\bopt[ -]?out\b", "(?i)unsubscribe", "退订"]),
        ("us-regf.mini-miranda", ["(?i)debt collector", "债务催收"]),
    ]
    assert (j.timetable is not None and j.timetable.id, j.calendar, j.caps) == ("us", ("US", "MA"), ())


def test_china_daily_caps_count_one_day_in_shanghai(engine: ContactEngine) -> None:
    j = engine.jurisdiction("CN")
    assert j.counters == (
        _law_counter("cn.connected-calls", "window", 3, 1, "debtor", fixed_zone="Asia/Shanghai"),
        _law_counter("cn.unanswered-attempts", "window", 6, 1, "number", fixed_zone="Asia/Shanghai"),
    )
    assert [(h.rule.id, h.fixed_zone) for h in j.hours] == [("cn.quiet-hours", "Asia/Shanghai")]
    assert (j.law_stops, j.opt_out_rule, j.disclosures, j.calendar) == ((), None, (), ("CN", None))
    # the after-outcome rules stay in `rules`, read by the stops
    assert [r.id for r, _ in j.rules if r.kind == "after_outcome"] == [
        "cn.third-party-answered",
        "cn.repeated-refusal",
        "cn.complaint",
    ]


def test_a_policy_cap_of_a_country_holds_for_its_subdivisions(engine: ContactEngine) -> None:
    cap = _Counter(
        reason_code="cap/gb-one-call-a-day",
        rule="gb-one-call-a-day",
        citation="policies/contact-rules.yaml:2:5",
        kind="window",
        channels=("call",),
        max=1,
        per_days=1,
        per="debtor",
        counts=None,
        fixed_zone=None,
        legal=False,
        describe="One call attempt a day for GB accounts.",
    )
    for code in ("GB", "GB-SCT"):
        j = engine.jurisdiction(code)
        assert j.counters == (cap,), code
        assert [c.id for c in j.caps] == ["gb-one-call-a-day"]
    scotland = engine.jurisdiction("GB-SCT")
    assert [r.id for r in scotland.law_stops] == ["uk-conc.scotland-moratorium", "uk-conc.dispute"]
    assert scotland.calendar == ("GB", "SCT")
    # a cap for GB is not one for the US
    assert engine.jurisdiction("US").caps == ()


def test_a_code_no_policy_entry_and_no_pack_names_has_nothing_and_utc(engine: ContactEngine) -> None:
    j = engine.jurisdiction("FR")
    assert (j.packs, j.rules, j.hours, j.counters, j.law_stops, j.timetable, j.calendar, j.default_zone) == (
        (),
        (),
        (),
        (),
        (),
        None,
        None,
        "UTC",
    )


def test_the_counters_of_a_channel_are_those_that_count_it(engine: ContactEngine) -> None:
    j = engine.jurisdiction("US-MA")
    assert [c.rule for c in engine.counters_for(j, "call")] == [
        "us-regf.call-frequency",
        "us-regf.after-conversation",
        "us-ma.call-frequency",
    ]
    assert [c.rule for c in engine.counters_for(j, "sms")] == ["us-ma.call-frequency"]
    assert engine.counters_for(j, "email") == ()
    # asked again (cached per code and channel), the same
    assert [c.rule for c in engine.counters_for(j, "sms")] == ["us-ma.call-frequency"]
    assert engine.counters_for(engine.jurisdiction("US"), "sms") == ()


def test_the_resolved_jurisdiction_is_kept_per_code(engine: ContactEngine) -> None:
    assert engine.jurisdiction("US") is engine.jurisdiction("US")
    assert engine.jurisdiction("US-MA") is not engine.jurisdiction("US")


def test_an_accounts_zones_start_with_its_jurisdictions_zone(engine: ContactEngine) -> None:
    # no phone, address or stated zone: the jurisdiction's zone alone
    assert engine.timezones(account(jurisdiction="GB", currency="GBP", phone="")) == ("Europe/London",)
    assert engine.timezones(account(jurisdiction="CN", currency="CNY", phone="")) == ("Asia/Shanghai",)


def test_a_tightening_of_the_policy_changes_the_counters_numbers(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    portfolio = repo / "policies" / "portfolio.yaml"
    text = portfolio.read_text(encoding="utf-8")
    tighten = "    tighten:\n      us-regf.call-frequency: {max: 5}\n      us-regf.after-conversation: {days: 10}\n"
    portfolio.write_text(
        text.replace("    packs: [us-regf]\n", "    packs: [us-regf]\n" + tighten, 1), encoding="utf-8"
    )
    j = ContactEngine(require_policy(repo)).jurisdiction("US")
    assert [(c.rule, c.max, c.per_days) for c in j.counters] == [
        ("us-regf.call-frequency", 5, 7),
        ("us-regf.after-conversation", 0, 10),
    ]


def _repo_with(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the test policy with one text of ``policies/<file>`` replaced."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    path = repo / "policies" / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return repo


def test_a_cap_without_jurisdictions_holds_everywhere_and_counts_only_its_outcomes(tmp_path: Path) -> None:
    texts = (
        "  - id: two-texts-a-week\n"
        "    description: Two delivered texts a week, wherever.\n"
        "    channels: [sms]\n"
        "    max: 2\n"
        "    per_days: 7\n"
        "    outcomes: [delivered, attempt, delivered]\n"
    )
    repo = _repo_with(tmp_path, "contact-rules.yaml", "exclusions:\n", texts + "exclusions:\n")
    engine = ContactEngine(require_policy(repo))
    cap = _Counter(
        reason_code="cap/two-texts-a-week",
        rule="two-texts-a-week",
        citation="policies/contact-rules.yaml:9:5",
        kind="window",
        channels=("sms",),
        max=2,
        per_days=7,
        per="debtor",  # no scope: every debt of the person (the stricter reading)
        # the alias `attempt` is the vocabulary's `attempted`; only these outcomes count
        counts=frozenset({"delivered", "attempted"}),
        fixed_zone=None,
        legal=False,
        describe="Two delivered texts a week, wherever.",
    )
    for code in ("US", "US-MA", "CN", "FR"):
        j = engine.jurisdiction(code)
        assert [c.id for c in j.caps] == ["two-texts-a-week"], code
        assert j.counters[-1] == cap, code
    # a country's cap and the cap for everyone, in file order
    assert [c.rule for c in engine.jurisdiction("GB-SCT").counters] == ["gb-one-call-a-day", "two-texts-a-week"]


def test_an_unknown_pack_the_policy_names_does_not_hide_the_packs_after_it(tmp_path: Path) -> None:
    # validate reports the typo (L005); the plan still applies every pack that exists
    repo = _repo_with(tmp_path, "portfolio.yaml", "    packs: [us-regf]\n", "    packs: [us-refg, us-regf]\n")
    j = ContactEngine(require_policy(repo)).jurisdiction("US")
    assert j.packs == ("us-refg", "us-regf")
    assert [c.rule for c in j.counters] == ["us-regf.call-frequency", "us-regf.after-conversation"]
    assert [r.id for r in j.law_stops] == [
        "us-regf.cease-contact",
        "us-regf.dispute",
        "us-regf.bankruptcy",
        "us-regf.deceased",
    ]
