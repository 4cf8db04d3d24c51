"""Impact: both fixture revisions planned on a small portfolio, every count checked by hand.

As of Monday 2026-11-30. Every account below lands in the champion arm of `soft-start` in both
revisions (hash buckets < 7000, checked), so the experiment's share change moves nobody.

- A1 US, dpd 5: early in both; the day-5 call is planned in both (head's call window ends
  at 19:00 instead of 20:00, so the message is re-rendered: the call script reads the same).
- A2 CN, dpd 33: base mid (31-60) → head early (1-35): a tier move; base offers the
  payment plan (tiers mid, late), head offers nothing: offer changed. No step due on day 33.
- A3 US, dpd 14, has email: base sends the day-14 email; head removed that step, but its
  call now repeats every 3 days from day 5 (5, 8, 11, 14): still contacted, one email on
  2026-11-30 removed and one call added.
- A4 CN, dpd 1, segment staff: base excludes staff; head has no such exclusion and sends the
  day-1 text: no longer excluded, newly contacted, one sms added.
- A5 CN, dpd 1: the day-1 text in both; its zh-CN wording changed: message changed.
- A6 US, dpd 200: base recovery (91+) → head write-off (181+): a tier move; no step due.
- A7 GB: neither policy serves GB: a rejected row, not compared.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from dunning import workers
from dunning.plan.arms import bucket
from dunning.review import impact as impact_module
from dunning.review.impact import measure_impact
from dunning.review.revision import open_revision
from dunning.review.semantic import semantic_diff

_ITEMIZED = "Example Bank,2026-09-01,100.00,0,0,0,0"  # the Regulation F itemization a US account carries
ACCOUNTS = f"""account_id,jurisdiction,currency,overdue_amount,due_date,email,segment,timezone,creditor,\
itemization_date,itemization_amount,interest_since_itemization,fees_since_itemization,payments_since_itemization,\
credits_since_itemization,phone
A1,US,USD,250.00,2026-11-25,,,America/New_York,{_ITEMIZED},+12125550100
A2,CN,CNY,1200.00,2026-10-28,,,Asia/Shanghai,,,,,,,,+8613800000000
A3,US,USD,300.00,2026-11-16,a3@example.com,,America/Chicago,{_ITEMIZED},+12125550100
A4,CN,CNY,800.00,2026-11-29,,staff,Asia/Shanghai,,,,,,,,+8613800000000
A5,CN,CNY,900.00,2026-11-29,,,Asia/Shanghai,,,,,,,,+8613800000000
A6,US,USD,5000.00,2026-05-14,,,America/New_York,{_ITEMIZED},+12125550100
A7,GB,GBP,100.00,2026-11-01,,,Europe/London,,,,,,,,+447700900123
"""
AS_OF = date(2026, 11, 30)


def test_impact_counts_on_a_small_portfolio(policy_git: Path, tmp_path: Path) -> None:
    assert all(bucket("soft-start", f"A{i}") < 7000 for i in range(1, 7))
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(ACCOUNTS, encoding="utf-8")
    with open_revision(policy_git, "base") as base, open_revision(policy_git, "main") as head:
        impact = measure_impact(base, head, semantic_diff(base, head), accounts, AS_OF, examples=3)
    data = impact.to_json()
    assert (data["accounts_in"], data["rejected_rows"], data["accounts_compared"]) == (7, 1, 6)
    assert {k: v for k, v in data["categories"].items() if v["accounts"]} == {
        "tier-moves": {"accounts": 2, "examples": ["A2", "A6"]},
        "newly-contacted": {"accounts": 1, "examples": ["A4"]},
        "no-longer-excluded": {"accounts": 1, "examples": ["A4"]},
        "offers-changed": {"accounts": 1, "examples": ["A2"]},
        "messages-changed": {"accounts": 1, "examples": ["A5"]},
    }
    assert data["tier_matrix"] == {
        "labels": ["early", "mid", "recovery", "write-off"],
        "counts": [[4, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]],
    }
    assert data["actions"] == [
        {"channel": "call", "day": "2026-11-30", "added": 1, "removed": 0},
        {"channel": "email", "day": "2026-11-30", "added": 0, "removed": 1},
        {"channel": "sms", "day": "2026-11-30", "added": 1, "removed": 0},
    ]
    assert data["messages_by_template"] == {"sms-early": 1}
    assert data["render_failures"] == 0
    assert (impact.metrics()["actions-added"], impact.metrics()["actions-removed"]) == (2, 1)


def test_text_only_change_reuses_the_base_plans(policy_git: Path, tmp_path: Path) -> None:
    # Only template wording differs: plans are identical; the head fixture texts A4 and A5 on day 1.
    sms = policy_git / "templates" / "sms" / "sms-early.zh-CN.j2"
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(ACCOUNTS, encoding="utf-8")
    sms.write_text(sms.read_text(encoding="utf-8").replace("及时", "尽快"), encoding="utf-8")
    with open_revision(policy_git, "main") as base, open_revision(policy_git, None) as head:
        changes = semantic_diff(base, head)
        assert [c.kind for c in changes] == ["template.wording"]
        impact = measure_impact(base, head, changes, accounts, AS_OF)
    counts = {k: v["accounts"] for k, v in impact.to_json()["categories"].items() if v["accounts"]}
    assert counts == {"messages-changed": 2}
    assert impact.examples["messages-changed"] == ["A4", "A5"]


def test_cli_impact_markdown_and_fail_on_a_share(policy_git: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dunning.cli import main

    accounts = tmp_path / "accounts.csv"
    accounts.write_text(ACCOUNTS, encoding="utf-8")
    args = ["diff", "--base", "base", "--head", "main", "--accounts", str(accounts), "--as-of", "2026-11-30"]
    result = CliRunner().invoke(main, [*args, "--fail-on", "tier-moves>30%", str(policy_git)])
    assert result.exit_code == 1, result.stderr
    out = result.stdout.splitlines()
    assert "❌ **Fails**: `tier-moves>30%` (measured 33.33%)" in out
    assert "#### Impact on 6 accounts (as of 2026-11-30)" in out
    assert "| change tier | 2 | 33.3% | `A2`, `A6` |" in out
    assert "| `mid` | 1 | · | · | · |" in out
    result = CliRunner().invoke(main, [*args, "--fail-on", "tier-moves>40%", str(policy_git)])
    assert result.exit_code == 0
    result = CliRunner().invoke(main, [*args[:-2], "--as-of", "30/11/2026", str(policy_git)])
    assert result.exit_code == 2
    assert "--as-of '30/11/2026' is not a date" in result.stderr


def test_a_repeated_account_id_is_rejected_not_counted_twice(policy_git: Path, tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.csv"
    # A3's id again on a later line (as `dunning plan` does, R011: the later line is rejected).
    accounts.write_text(ACCOUNTS + "A3,US,USD,300.00,2026-11-16,a3@example.com,,America/Chicago\n", encoding="utf-8")
    with open_revision(policy_git, "base") as base, open_revision(policy_git, "main") as head:
        impact = measure_impact(base, head, semantic_diff(base, head), accounts, AS_OF)
    data = impact.to_json()
    assert (data["accounts_in"], data["rejected_rows"], data["accounts_compared"]) == (8, 2, 6)
    assert data["actions"][1] == {"channel": "email", "day": "2026-11-30", "added": 0, "removed": 1}
    lines = impact.to_markdown()
    assert lines[2:4] == ["2 snapshot row(s) were rejected as bad data and are not compared.", ""]
    assert (
        "Zero accounts: no longer contacted, newly excluded, newly paused, no longer paused, "
        "newly rejected (jurisdiction no longer served), no longer rejected (jurisdiction now served)."
    ) in lines


def test_cadence_only_change_replans_only_the_tiers_that_run_it(
    example_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A change confined to one strategy: accounts of other tiers keep their base plan. The
    # shortcut must give exactly what planning every account again gives.
    from .review_support import commit_all, git

    git(example_copy, "init", "-q", "-b", "main")
    commit_all(example_copy, "example")
    strategies = example_copy / "policies" / "strategies.yaml"
    text = strategies.read_text(encoding="utf-8")
    strategies.write_text(
        text.replace(
            "channel: call\n        template: call-mid\n        every: 3",
            "channel: call\n        template: call-mid\n        every: 2",
        ),
        encoding="utf-8",
    )
    rows = ["account_id,jurisdiction,currency,overdue_amount,due_date,email,address,timezone,phone"]
    for i in range(160):
        cn = i % 2 == 0
        due = date(2026, 11, 30) - timedelta(days=1 + i % 80)
        rows.append(
            f"B{i:03d},{'CN' if cn else 'US'},{'CNY' if cn else 'USD'},{700 + 37 * i}.00,{due.isoformat()},"
            f"b{i}@example.com,Street {i},{'Asia/Shanghai' if cn else 'America/New_York'},"
            f"{'+8613800000000' if cn else '+12125550100'}"
        )
    accounts = tmp_path / "portfolio.csv"
    accounts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with open_revision(example_copy, "HEAD") as base, open_revision(example_copy, None) as head:
        changes = semantic_diff(base, head)
        assert [c.kind for c in changes] == ["step.changed"]
        assert impact_module.replan_tiers(changes, base.policy) == frozenset({"mid"})
        scoped = measure_impact(base, head, changes, accounts, AS_OF).to_json()
        monkeypatch.setattr(impact_module, "replan_tiers", lambda *_: None)
        full = measure_impact(base, head, changes, accounts, AS_OF).to_json()
    assert scoped == full
    assert scoped["actions"]  # the change does move calls on this portfolio


def test_shared_decisions_give_what_planning_every_account_gives(
    example_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Accounts with the same decision key share one plan (ids, balances and offer amounts
    # filled in per account); a change to tiers, windows, offers and wording on a portfolio
    # with many accounts per key must measure exactly what the full planner measures.
    from .review_support import commit_all, git

    git(example_copy, "init", "-q", "-b", "main")
    commit_all(example_copy, "example")
    edits = {
        "policies/tiers.yaml": ("dpd: {min: 8, max: 30}", "dpd: {min: 8, max: 35}"),
        "policies/offers.yaml": ("instalments: 6", "instalments: 8"),
        "templates/sms/sms-early.en-US.j2": ("Need help?", "Any questions?"),
    }
    for rel, (old, new) in edits.items():
        path = example_copy / rel
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    rows = ["account_id,name,jurisdiction,currency,overdue_amount,due_date,email,address,timezone"]
    for i in range(240):
        cn = i % 3 == 0
        due = date(2026, 11, 30) - timedelta(days=1 + (i * 3) % 70)
        rows.append(
            f"C{i:03d},Name {i},{'CN' if cn else 'US'},{'CNY' if cn else 'USD'},{650 + 13 * i}.{i % 100:02d},"
            f"{due.isoformat()},c{i}@example.com,Street {i},{'Asia/Shanghai' if cn else 'America/Chicago'}"
        )
    accounts = tmp_path / "portfolio.csv"
    accounts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with open_revision(example_copy, "HEAD") as base, open_revision(example_copy, None) as head:
        changes = semantic_diff(base, head)
        shared = measure_impact(base, head, changes, accounts, AS_OF).to_json()
        monkeypatch.setattr(impact_module, "REUSE_DECISIONS", False)
        full = measure_impact(base, head, changes, accounts, AS_OF).to_json()
    assert shared == full
    moved = {k: v["accounts"] for k, v in shared["categories"].items() if v["accounts"]}
    assert moved["tier-moves"] > 0 and moved["offers-changed"] > 0 and moved["messages-changed"] > 0


def test_two_workers_give_what_one_process_gives(
    policy_git: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = tmp_path / "accounts.csv"
    # a chunk per two rows, A3 repeated in a later chunk: the workers' results merge in order
    accounts.write_text(ACCOUNTS + "A3,US,USD,300.00,2026-11-16,a3@example.com,,America/Chicago\n", encoding="utf-8")
    monkeypatch.setattr(impact_module, "CHUNK_ROWS", 2)
    monkeypatch.setattr(workers, "cap", lambda: 2)  # two workers, whatever the machine
    with open_revision(policy_git, "base") as base, open_revision(policy_git, "main") as head:
        changes = semantic_diff(base, head)
        alone = measure_impact(base, head, changes, accounts, AS_OF, examples=3, jobs=1).to_json()
        pooled = measure_impact(base, head, changes, accounts, AS_OF, examples=3, jobs=2).to_json()
    assert pooled == alone
    assert (alone["accounts_in"], alone["rejected_rows"], alone["accounts_compared"]) == (8, 2, 6)


def test_an_account_held_for_an_unreadable_history_line_is_contacted_by_neither_side(
    policy_git: Path, tmp_path: Path
) -> None:
    # plan holds an account whose history has an unreadable line (its caps cannot be trusted);
    # the impact of a change must read it the same way, not count it as newly contacted
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(ACCOUNTS, encoding="utf-8")
    history = tmp_path / "history.csv"
    history.write_text("account_id,at,event,channel\nA4,2026-11-20T10:00:00+08:00,shouted,call\n", encoding="utf-8")
    with open_revision(policy_git, "base") as base, open_revision(policy_git, "main") as head:
        impact = measure_impact(base, head, semantic_diff(base, head), accounts, AS_OF, history=history, examples=3)
    data = impact.to_json()
    assert {k: v for k, v in data["categories"].items() if v["accounts"]} == {
        "tier-moves": {"accounts": 2, "examples": ["A2", "A6"]},
        # no longer excluded as staff by the head, but held: paused, not newly contacted
        "newly-paused": {"accounts": 1, "examples": ["A4"]},
        "no-longer-excluded": {"accounts": 1, "examples": ["A4"]},
        "offers-changed": {"accounts": 1, "examples": ["A2"]},
        "messages-changed": {"accounts": 1, "examples": ["A5"]},
    }
