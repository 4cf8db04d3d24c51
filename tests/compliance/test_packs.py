"""The shipped packs are well-formed data, and tightening only ever makes a rule stricter."""

from __future__ import annotations

from datetime import time

import pytest

from dunning.compliance.packs import all_packs, all_rules, clock, default_packs, effective_params
from dunning.policy.model import CHANNELS, CONTACT_CHANNELS

KINDS = {"hours", "frequency", "after_conversation", "daily_cap", "stop", "opt_out", "disclosure", "conduct",
         "validation_period", "notice_first", "default_notice", "after_outcome"}  # fmt: skip


def test_every_rule_is_complete() -> None:
    assert sorted(all_packs()) == ["cn", "uk-conc", "us-ma", "us-regf"]
    for pack in all_packs().values():
        assert pack.rules, pack.id
        for rule in pack.rules:
            assert rule.id.startswith(pack.id + "."), rule.id
            assert rule.kind in KINDS, rule.id
            assert rule.citation and rule.description, rule.id
            # enforcement rules (the default notice's remedy period) scope agency and legal steps
            allowed = CHANNELS if rule.kind == "default_notice" else CONTACT_CHANNELS
            assert set(rule.channels) <= set(allowed), rule.id
            assert set(rule.enforced) <= {"validate", "plan", "gate", "render"}, rule.id
            assert set(rule.stricter) <= set(rule.params), rule.id
    assert len(all_rules()) == sum(len(p.rules) for p in all_packs().values())


def test_every_counting_rule_says_what_it_counts_per_and_only_disclosures_carry_patterns() -> None:
    # the jurisdiction resolver relies on both (its `per or "debt"` and its disclosure
    # branch are otherwise never reached): a new pack rule that breaks them must say so here
    for rule in all_rules().values():
        if rule.kind in ("frequency", "daily_cap", "after_conversation"):
            assert rule.per in ("debt", "debtor", "number"), rule.id
        assert ("patterns" in rule.params) == (rule.kind == "disclosure"), rule.id
        if rule.kind == "disclosure":
            assert rule.params["patterns"], rule.id


def test_default_packs_by_jurisdiction() -> None:
    assert default_packs("US") == ("us-regf",)
    assert default_packs("US-MA") == ("us-ma", "us-regf")
    assert default_packs("CN") == ("cn",)
    assert default_packs("GB") == ("uk-conc",)
    assert default_packs("DE") == ()


@pytest.mark.parametrize(
    ("rule_id", "tighten", "expected"),
    [
        ("us-regf.call-hours", {"start": "09:00"}, {"start": "09:00", "end": "21:00"}),
        ("us-regf.call-hours", {"start": "07:00", "end": "20:30"}, {"start": "08:00", "end": "20:30"}),
        ("us-regf.call-frequency", {"max": 5, "per_days": 6}, {"max": 5, "per_days": 7}),
        ("us-regf.after-conversation", {"days": 10}, {"days": 10}),
        ("cn.connected-calls", {"max": 4, "colour": "red"}, {"max": 3}),
        ("cn.quiet-hours", {"end": "not a time"}, {"end": "22:00"}),
    ],
)
def test_tightening_keeps_the_stricter_value(
    rule_id: str, tighten: dict[str, object], expected: dict[str, object]
) -> None:
    params = effective_params(all_rules()[rule_id], tighten)
    assert {k: params[k] for k in expected} == expected
    assert "colour" not in params


def test_clock() -> None:
    assert clock("08:00") == time(8, 0)
    assert clock("24:00") == time.max
