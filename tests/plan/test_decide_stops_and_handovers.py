"""A stop that lets a purpose through, and a hand-over step without a template, at the
edges a whole mutation run of plan/decide.py found unpinned (docs/testing.md, note ⁷).
The first found a bug: with a history on file, a notice the stop lets through was refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType

import pytest

from dunning.accounts.model import Contact
from dunning.compliance import packs
from dunning.plan.decide import Planner
from dunning.policy import require_policy
from dunning.policy.model import Policy

from .plan_support import account

_EST = datetime.fromisoformat("2026-01-01T00:00:00-05:00").tzinfo
# a suppress stop of the law that lets one purpose through (as cn.complaint lets a `reply`
# through, but that one pauses the account, so the plan never places a step under it)
LETTERS_AFTER_COMPLAINT = packs.LawRule(
    id="test.letters-after-complaint",
    pack="test-complaint",
    kind="after_outcome",
    params=MappingProxyType({"days": 30, "allow_purposes": ["notice"]}),
    stricter=MappingProxyType({}),
    channels=("letter",),
    debt_types=("any",),
    per="debtor",
    purposes=(),
    counts=("complaint",),
    effect="suppress",
    citation="test rule 1",
    enforced=("plan", "gate"),
    description="After a complaint, only notices go by letter for 30 days.",
)


def test_a_notice_a_stop_lets_through_is_planned_with_a_history_on_file(
    example_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = dict(packs.all_packs())
    pack = packs.Pack("test-complaint", "Test complaint", (), (LETTERS_AFTER_COMPLAINT,), "test-complaint.yaml")
    monkeypatch.setattr(packs, "all_packs", lambda: MappingProxyType({**shipped, "test-complaint": pack}))
    portfolio = example_copy / "policies" / "portfolio.yaml"
    text = portfolio.read_text(encoding="utf-8")
    portfolio.write_text(text.replace("    packs: [us-regf]\n", "    packs: [us-regf, test-complaint]\n", 1),
                         encoding="utf-8")  # fmt: skip
    policy = require_policy(example_copy)
    # complained on 20 November: on 1 December the reminder's validation notice (purpose
    # notice) goes by letter all the same, and for an account 61 days past due the final
    # letter (a collection letter) is held by the stop. Before, the plan let the notice past
    # the stop and then asked the gate's check without its purpose, which refused it.
    complaint = [Contact("T-0001", datetime(2026, 11, 20, 10, tzinfo=_EST), "call", "complaint")]

    def letters(due: str) -> list[tuple[str, str, tuple[str, ...]]]:
        acct = account(policy, due_date=due, phone="+12125550142", email="")
        plan = Planner(policy, date(2026, 12, 1), 0).plan(acct, complaint)
        return [(a.id, a.status, a.reasons) for a in plan.actions if a.channel == "letter"]

    assert letters("2026-11-30") == [
        ("T-0001-reminder-letter1-20261201", "scheduled", ("step/reminder/letter@1",)),
    ]
    assert letters("2026-10-01") == [
        ("T-0001-late-letter61-20261201", "suppressed", ("step/late/letter@61", "test.letters-after-complaint")),
    ]


def test_a_hand_over_step_without_a_template_is_placed_beside_a_stop(policy: Policy) -> None:
    # the agency hand-over (a channel that needs no template) written without one, for an
    # account that opted out of texts: the stop is for sms alone, the hand-over goes ahead
    recovery = policy.strategies["recovery"]
    steps = tuple(replace(s, template=None) if s.channel == "agency" else s for s in recovery.steps)
    variant = replace(policy, strategies={**policy.strategies, "recovery": replace(recovery, steps=steps)})
    acct = account(variant, due_date="2026-08-01", sms_opt_out="yes")
    plan = Planner(variant, date(2026, 11, 29), 0).plan(acct, [])
    assert [(a.id, a.status, a.template, a.agency) for a in plan.actions if a.channel == "agency"] == [
        ("T-0001-recovery-agency120-20261129", "scheduled", None, "northwind-recovery"),
    ]


def test_a_cap_of_zero_texts_in_china_refuses_the_first_text(policy: Policy) -> None:
    # the first contact skips the gate only where every cap on its own channel allows one:
    # China's call caps all allow some, its texts are capped at 0 here, so the gate refuses
    cap = replace(policy.caps[1], id="no-texts-in-cn", max=0, jurisdictions=("CN",))
    capped = replace(policy, caps=(*policy.caps, cap))
    cn = account(capped, account_id="C-1", jurisdiction="CN", currency="CNY", timezone="Asia/Shanghai",
                 phone="+8613812345678", address="上海市浦东新区世纪大道1号", due_date="2026-10-31",
                 overdue_amount="3000.00")  # fmt: skip
    plan = Planner(capped, date(2026, 12, 1), 0).plan(cn, [])
    assert [(a.id, a.status, a.reasons) for a in plan.actions] == [
        ("C-1-mid-sms31-20261201", "suppressed", ("step/mid/sms@31", "cap/no-texts-in-cn", "horizon")),
    ]


def test_the_second_contact_of_an_account_without_history_meets_the_caps(policy: Policy) -> None:
    # one contact a day: the reminder's notice letter is the account's first contact (no
    # history, nothing planned: the gate's answer is known), the text of the same day is
    # asked of the gate with the letter planned, and refused
    caps = tuple(replace(c, max=1) if c.id == "one-touch-a-day" else c for c in policy.caps)
    capped = replace(policy, caps=caps)
    plan = Planner(capped, date(2026, 12, 1), 0).plan(account(capped, due_date="2026-11-30"), [])
    assert [(a.id, a.status, a.reasons) for a in plan.actions] == [
        ("T-0001-reminder-letter1-20261201", "scheduled", ("step/reminder/letter@1",)),
        ("T-0001-reminder-sms1-20261201", "suppressed", ("step/reminder/sms@1", "cap/one-touch-a-day")),
    ]
