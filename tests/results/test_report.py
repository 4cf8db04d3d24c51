"""`dunning report` on a portfolio whose every count and rate was worked out by hand.

The portfolio (tests/results/data): nine CN accounts planned on 2026-11-01 with the bundled
policy — R1, R2 in `reminder` (3 and 5 days past due), E1, E2, E3, E5 in `early` (10 days;
E1–E3 fall in the experiment's champion arm, E5 in the challenger: sha256 buckets 7435, 3250,
7554 and 8948 of 10,000, the champion taking 0–7999), M1, M2 in `mid` (40 days), L1 in `late`
(70 days). Promise grace is 3 days (policies/portfolio.yaml); call attempts cost 1.50 CNY,
SMS 0.05 and email 0.01 (policies/costs.yaml). The period is 2026-11-01 to 2026-11-30.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dunning.cli import main

DATA = Path(__file__).parent / "data"


def report(args: list[str], example_root: Path, history: Path = DATA / "history.csv") -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        main,
        [
            "report",
            "--history",
            str(history),
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--accounts",
            str(DATA / "start.csv"),
            "--format",
            "json",
            *args,
            str(example_root),
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_arms_of_the_portfolio_follow_the_documented_hash() -> None:
    # the docstring's arms, from the rule in docs/report.md and plan/arms.py, computed apart
    buckets = {
        a: int.from_bytes(hashlib.sha256(f"early-empathy:{a}".encode()).digest()[:8], "big") % 10_000
        for a in ("E1", "E2", "E3", "E5")
    }
    assert buckets == {"E1": 7435, "E2": 3250, "E3": 7554, "E5": 8948}


def test_report_by_tier_every_count_and_rate(example_root: Path) -> None:
    got = report(["--accounts-end", str(DATA / "end.csv"), "--by", "tier"], example_root)
    assert (got["from"], got["to"], got["by"]) == ("2026-11-01", "2026-11-30", ["tier"])
    assert (got["accounts_start"], got["accounts_rejected"], got["history_unreadable"]) == (9, 0, 2)
    groups = {g["key"]["tier"]: g for g in got["groups"]}
    assert list(groups) == ["early", "late", "mid", "reminder"]
    assert groups["reminder"] == {
        "key": {"tier": "reminder"},
        "accounts": 2,
        "attempts": 3,  # R1 sent sms; R2 no_answer, right_party_contact
        "delivered": 2,  # R1 delivered; R2 right_party_contact
        "right_party_contacts": 1,
        "promises": 1,
        "promises_due": 1,  # R2: 200 by 11-10, keep-by 11-13
        "promises_kept": 1,  # 150 on 11-12 + 50 on 11-13
        "payments": 3,
        "paid": {"CNY": "500.00"},
        "cured": 2,  # R1 left the book, R2 owes 0
        "rolled": 0,
        "cost": {"CNY": "3.05"},  # 0.05 + 1.50 + 1.50
        "accounts_attempted": 2,
        "accounts_reached": 2,
        "accounts_right_party": 1,
        "accounts_promised": 1,
        "overdue_start": {"CNY": "500.00"},
        "rates": {
            "contact_rate": "1.0000",
            "right_party_contact_rate": "0.5000",
            "promise_rate": "1.0000",
            "kept_rate": "1.0000",
            "cure_rate": "1.0000",
            "roll_rate": "0.0000",
            "liquidation_rate": {"CNY": "1.0000"},
            "cost_per_unit_collected": {"CNY": "0.0061"},
        },
    }
    early = groups["early"]
    assert {k: early[k] for k in early if k not in ("key", "rates")} == {
        "accounts": 4,
        "attempts": 5,  # E1 attempt, voicemail; E3 wrong_number, sent email; E5 refused
        "delivered": 1,  # E5 refused (a person answered); the bounced email is not delivered
        "right_party_contacts": 0,
        "promises": 1,  # E1 on 11-20 (E2's promise was made in October)
        "promises_due": 2,  # E1 (keep-by 11-28), E2 (keep-by 11-02)
        "promises_kept": 1,  # E2: 100 paid 10-31; E1 broken by amount: 100 of 500
        "payments": 2,  # E1 100, E5 1000 (E2's payment was in October)
        "paid": {"CNY": "1100.00"},
        "cured": 1,  # E5 left the book
        "rolled": 2,  # E1 and E2 are in `mid` on 11-30; E3's new due date keeps it `early`
        "cost": {"CNY": "6.01"},  # four calls and one email
        "accounts_attempted": 3,
        "accounts_reached": 1,
        "accounts_right_party": 2,  # E1 (a promise), E5 (a refusal)
        "accounts_promised": 1,
        "overdue_start": {"CNY": "4000.00"},
    }
    assert early["rates"] == {
        "contact_rate": "0.3333",
        "right_party_contact_rate": "0.6667",
        "promise_rate": "0.5000",
        "kept_rate": "0.5000",
        "cure_rate": "0.2500",
        "roll_rate": "0.5000",
        "liquidation_rate": {"CNY": "0.2750"},
        "cost_per_unit_collected": {"CNY": "0.0055"},
    }
    mid = groups["mid"]
    assert (mid["accounts"], mid["attempts"], mid["delivered"], mid["right_party_contacts"]) == (2, 2, 2, 1)
    assert (mid["promises"], mid["promises_due"], mid["promises_kept"]) == (2, 0, 0)  # both keep-by in December
    assert (mid["payments"], mid["paid"], mid["cured"], mid["rolled"]) == (1, {"CNY": "400.00"}, 1, 1)
    assert mid["rates"]["kept_rate"] is None
    assert mid["rates"]["liquidation_rate"] == {"CNY": "0.1667"}
    late = groups["late"]  # L1: its events are before or after the period, or unreadable
    assert (late["accounts"], late["attempts"], late["paid"], late["cost"], late["rolled"]) == (1, 0, {}, {}, 1)
    assert late["rates"]["contact_rate"] is None
    assert late["rates"]["liquidation_rate"] == {"CNY": "0.0000"}


def test_experiment_compares_challenger_with_champion(example_root: Path) -> None:
    got = report(["--accounts-end", str(DATA / "end.csv")], example_root)
    (experiment,) = got["experiments"]
    assert experiment["id"] == "early-empathy"
    assert experiment["arms"] == [
        {"arm": "champion", "accounts": 3, "cured": 0, "promises_due": 2, "promises_kept": 1},
        {"arm": "challenger", "accounts": 1, "cured": 1, "promises_due": 0, "promises_kept": 0},
    ]
    cure, kept = experiment["comparisons"]
    assert (cure["metric"], cure["champion_rate"], cure["challenger_rate"], cure["difference"]) == (
        "cure_rate",
        "0.0000",
        "1.0000",
        "1.0000",
    )
    assert cure["interval"] == ["0.0280", "1.0000"]  # Newcombe: 1/1 - 0/3; the docs quote it
    assert (cure["enough"], cure["shown"]) == (False, False)
    assert (
        cure["sentence"] == "cure rate: not enough accounts yet (1 in challenger, 3 in champion; at least 100 per arm)"
    )
    assert (kept["metric"], kept["champion_rate"], kept["challenger_rate"], kept["interval"]) == (
        "kept_rate",
        "0.5000",
        None,
        None,
    )
    assert (
        kept["sentence"] == "kept rate: not enough promises yet (0 in challenger, 2 in champion; at least 100 per arm)"
    )


def test_without_an_end_snapshot_cures_and_rolls_are_unknown(example_root: Path) -> None:
    got = report([], example_root)
    reminder = next(g for g in got["groups"] if g["key"] == {"tier": "reminder"})
    assert (reminder["cured"], reminder["rolled"]) == (None, None)
    assert (reminder["rates"]["cure_rate"], reminder["rates"]["roll_rate"]) == (None, None)
    assert [c["metric"] for c in got["experiments"][0]["comparisons"]] == ["kept_rate"]


def test_report_by_channel_counts_each_accounts_events_in_their_channel(example_root: Path) -> None:
    got = report(["--accounts-end", str(DATA / "end.csv"), "--by", "channel"], example_root)
    groups = {g["key"]["channel"]: g for g in got["groups"]}
    assert list(groups) == ["call", "email", "sms", None]  # payments carry no channel
    call = groups["call"]
    assert {k: call[k] for k in call if k not in ("key", "rates")} == {
        "accounts": 7,  # R2, E1, E2 (its due promise was by call), E3, E5, M1, M2
        "attempts": 8,
        "delivered": 4,
        "right_party_contacts": 2,
        "promises": 4,
        "promises_due": 3,
        "promises_kept": 2,
        "payments": 0,
        "paid": {},
        "cured": 3,  # R2, E5, M2
        "rolled": 3,  # E1, E2, M1
        "cost": {"CNY": "12.00"},
        "accounts_attempted": 6,
        "accounts_reached": 4,
        "accounts_right_party": 5,
        "accounts_promised": 4,
        "overdue_start": {"CNY": "6600.00"},
    }
    assert (groups["sms"]["accounts"], groups["sms"]["cost"]) == (1, {"CNY": "0.05"})
    assert (groups[None]["accounts"], groups[None]["payments"], groups[None]["paid"]) == (5, 6, {"CNY": "2000.00"})


def test_report_by_arrears_reason_takes_what_was_learnt_before_the_start(example_root: Path) -> None:
    got = report(["--by", "arrears_reason"], example_root)
    sizes = {g["key"]["arrears_reason"]: g["accounts"] for g in got["groups"]}
    # E2: the snapshot says income_drop, a conversation on 10-25 said illness (learnt before the
    # start, so it counts); E1's reason learnt on 11-20 is after the start and does not move it
    assert sizes == {"forgot": 1, "illness": 2, "income_drop": 1, "unemployment": 1, "unknown": 4}


def test_markdown_and_html_carry_the_same_numbers(example_root: Path) -> None:
    args = ["--accounts-end", str(DATA / "end.csv")]
    common = ["report", "--history", str(DATA / "history.csv"), "--from", "2026-11-01", "--to", "2026-11-30"]
    common += ["--accounts", str(DATA / "start.csv"), *args]
    md = CliRunner().invoke(main, [*common, "--format", "markdown", str(example_root)])
    assert md.exit_code == 0, md.output
    assert (
        "| reminder | 2 | 3 | 2 | 1 | 1 | 1 | 1 | 3 | 2 | 0 | 500.00 CNY | 3.05 CNY | 100.0 % | 50.0 % | 100.0 % "
        "| 100.0 % | 100.0 % | 0.0 % | 100.0 % CNY |" in md.output
    )
    assert "2 history line(s) were unreadable and not counted." in md.output
    page = CliRunner().invoke(main, [*common, "--format", "html", str(example_root)])
    assert page.exit_code == 0
    assert page.output.startswith("<!DOCTYPE html>")
    assert "<td>reminder</td><td>2</td><td>3</td>" in page.output
    assert "http" not in page.output.lower()  # a standalone page: no external resource


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "tier,colour"], "--by: unknown group key(s) colour"),
        (["--to", "2026-10-01"], "--to 2026-10-01 is before --from 2026-11-01"),
    ],
)
def test_bad_options_are_usage_errors(example_root: Path, args: list[str], message: str) -> None:
    base = ["report", "--history", str(DATA / "history.csv"), "--from", "2026-11-01", "--to", "2026-11-30"]
    result = CliRunner().invoke(main, [*base, "--accounts", str(DATA / "start.csv"), *args, str(example_root)])
    assert result.exit_code == 2
    assert message in result.output


def test_report_by_template_reads_the_action_id_and_the_arms_replacement(example_copy: Path, tmp_path: Path) -> None:
    # the challenger arm swaps the early call script; an event's own template field wins
    experiments = example_copy / "policies" / "experiments.yaml"
    experiments.write_text(
        experiments.read_text(encoding="utf-8").replace(
            "        strategy: early-empathetic\n",
            "        strategy: early-empathetic\n        templates:\n          call-early: call-mid\n",
        ),
        encoding="utf-8",
    )
    history = tmp_path / "history.csv"
    history.write_text(
        "account_id,at,event,channel,action_id,template\n"
        "E1,2026-11-08T10:00:00+08:00,sent,sms,E1-early-sms8-20261030,\n"
        "E1,2026-11-08T10:01:00+08:00,delivered,sms,E1-early-sms8-20261030,\n"
        "E1,2026-11-10T10:00:00+08:00,no_answer,call,E1-early-call10-20261101,\n"
        "E5,2026-11-09T10:00:00+08:00,no_answer,call,E5-early-empathetic-call9-20261031,\n"
        "E5,2026-11-09T11:00:00+08:00,right_party_contact,call,E5-early-empathetic-call9-20261031,\n"
        "E3,2026-11-08T10:00:00+08:00,sent,sms,,sms-early\n"
        "M1,2026-11-10T10:00:00+08:00,attempt,call,M1-early-call10-20261101,letter-notice\n",
        encoding="utf-8",
    )
    got = {
        g["key"]["template"]: (g["accounts"], g["attempts"], g["delivered"], g["right_party_contacts"], g["cost"])
        for g in report(["--by", "template"], example_copy, history)["groups"]
    }
    assert got == {
        "call-early": (1, 1, 0, 0, {"CNY": "1.50"}),  # E1, champion
        "call-mid": (1, 2, 1, 1, {"CNY": "3.00"}),  # E5, the challenger's replacement
        "letter-notice": (1, 1, 0, 0, {"CNY": "1.50"}),  # M1's own template field
        "sms-early": (2, 2, 1, 0, {"CNY": "0.10"}),  # E1 from its action id, E3 from its field
    }


def _with_reasons(tmp_path: Path, start_reason: str, history_reason: str) -> tuple[Path, Path]:
    """The portfolio with R2's snapshot reason and a conversation with M2 on 10-28 (before the
    start) set to the given words."""
    start = tmp_path / "start.csv"
    lines = (DATA / "start.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + start_reason + "\n"  # R2, line 3
    start.write_text("".join(lines), encoding="utf-8")
    history = tmp_path / "history.csv"
    text = (DATA / "history.csv").read_text(encoding="utf-8")
    history.write_text(
        text + f"M2,2026-10-28T10:00:00+08:00,arrears_reason,call,,,,,{history_reason}\n", encoding="utf-8"
    )
    return start, history


def _by_reason(example: Path, start: Path, history: Path, *by: str) -> Result:
    args = ["report", "--history", str(history), "--from", "2026-11-01", "--to", "2026-11-30"]
    return CliRunner().invoke(
        main, [*args, "--accounts", str(start), "--by", ",".join(by), "--format", "json", str(example)]
    )


def test_a_reason_outside_the_vocabulary_is_refused_with_where_it_stands(example_root: Path, tmp_path: Path) -> None:
    start, history = _with_reasons(tmp_path, "Lost_Job", "ilness")
    n_lines = len(history.read_text(encoding="utf-8").splitlines())
    result = _by_reason(example_root, start, history, "tier", "arrears_reason")
    assert result.exit_code == 2
    assert result.output == (
        f"error: {start} line 3; {history} line {n_lines}: the reason for arrears is not a word of the vocabulary "
        "nor of the policy's arrears_reasons: (data/arrears-reason-unknown, 2 start account(s)); the report does not "
        "group by a word it cannot place\n"
        "  hint: correct the word, or declare it in the policy's arrears_reasons: section (docs/data.md)\n"
    )
    assert "lost_job" not in result.output.lower() and "ilness" not in result.output  # account-supplied text
    # grouped by anything else, the word is not read: the report runs
    assert _by_reason(example_root, start, history, "tier").exit_code == 0


def test_a_reason_the_policy_declares_is_a_group_of_its_own(example_copy: Path, tmp_path: Path) -> None:
    (example_copy / "policies" / "reasons.yaml").write_text(
        "arrears_reasons:\n  medical_bills:\n    label: {en-US: Medical bills, zh-CN: 医疗费用}\n", encoding="utf-8"
    )
    start, history = _with_reasons(tmp_path, "Medical_Bills", "medical_bills")
    result = _by_reason(example_copy, start, history, "arrears_reason")
    assert result.exit_code == 0, result.output
    sizes = {g["key"]["arrears_reason"]: g["accounts"] for g in json.loads(result.output)["groups"]}
    # R2 (snapshot) and M2 (learnt on 10-28) leave `unknown` for the policy's word
    assert sizes == {"forgot": 1, "illness": 2, "income_drop": 1, "medical_bills": 2, "unemployment": 1, "unknown": 2}
