"""The reason for arrears in the plan: ``when: {arrears_reasons: …}`` and the reasons that
mark the customer vulnerable (FCA FG21/1), day by day, as ``dunning plan`` and ``dunning
explain`` show them.

The example policy pauses vulnerable customers (``exclusion/vulnerable-customer``); the
test adds ``policies/reasons.yaml``: a word of its own that marks (``medical_bills``), a
built-in word it no longer lets mark (``income_drop``), and an exclusion that pauses
accounts whose current reason is ``fraud_claim``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main

REASONS_YAML = """\
arrears_reasons:
  medical_bills:
    label: {en-US: Medical bills, zh-CN: 医疗费用}
    marks_vulnerable: true
  income_drop:
    marks_vulnerable: false

exclusions:
  - id: fraud-review
    when: {arrears_reasons: [fraud_claim]}
    effect: pause
    reason: Fraud claimed — the fraud team reviews before any contact.
"""
HEADER = (
    "account_id,jurisdiction,currency,overdue_amount,due_date,timezone,phone,email,address,creditor,"
    "itemization_date,itemization_amount,interest_since_itemization,fees_since_itemization,"
    "payments_since_itemization,credits_since_itemization,arrears_reason"
)
# account -> the snapshot's arrears_reason
SNAPSHOT = {
    "R01-snapshot-illness": "illness",
    "R02-learns-illness": "",
    "R03-fraud-then-forgot": "",
    "R04-snapshot-fraud": "FRAUD_CLAIM",
    "R05-own-word": "",
    "R06-income-drop": "",
    "R07-illness-then-forgot": "illness",
    "R08-no-reason": "",
    "R09-snapshot-forgot": "forgot",
    "R10-unknown-word": "",
    "R11-snapshot-free-text": "Husband in hospital",
    "R12-unknown-then-forgot": "",
}
HISTORY = """\
account_id,at,event,channel,reason
R02-learns-illness,2026-12-02T11:00:00-05:00,arrears_reason,call,illness
R03-fraud-then-forgot,2026-12-02T11:00:00-05:00,arrears_reason,call,fraud_claim
R03-fraud-then-forgot,2026-12-03T09:30:00-05:00,arrears_reason,call,forgot
R04-snapshot-fraud,2026-12-02T11:00:00-05:00,arrears_reason,call,forgot
R05-own-word,2026-12-03T11:00:00-05:00,arrears_reason,call,Medical_Bills
R06-income-drop,2026-12-02T11:00:00-05:00,arrears_reason,call,income_drop
R07-illness-then-forgot,2026-12-02T11:00:00-05:00,arrears_reason,call,forgot
R10-unknown-word,2026-12-03T08:00:00-05:00,arrears_reason,call,cashflow
R12-unknown-then-forgot,2026-12-02T10:00:00-05:00,arrears_reason,call,cashflow
R12-unknown-then-forgot,2026-12-03T09:00:00-05:00,arrears_reason,call,forgot
"""
VULNERABLE = "exclusion/vulnerable-customer"
FRAUD = "exclusion/fraud-review"
UNKNOWN = "data/arrears-reason-unknown"
# day -> account -> (status, exclusion codes)
EXPECTED = {
    "2026-12-01": {
        "R01-snapshot-illness": ("paused", [VULNERABLE]),
        "R02-learns-illness": ("active", []),
        "R03-fraud-then-forgot": ("active", []),
        "R04-snapshot-fraud": ("paused", [FRAUD]),
        "R05-own-word": ("active", []),
        "R06-income-drop": ("active", []),
        "R07-illness-then-forgot": ("paused", [VULNERABLE]),
        "R08-no-reason": ("active", []),
        "R09-snapshot-forgot": ("active", []),
        "R10-unknown-word": ("active", []),
        "R11-snapshot-free-text": ("paused", [UNKNOWN]),
        "R12-unknown-then-forgot": ("active", []),  # a later word corrects the unknown one
    },
    "2026-12-02": {
        "R01-snapshot-illness": ("paused", [VULNERABLE]),
        "R02-learns-illness": ("paused", [VULNERABLE]),
        "R03-fraud-then-forgot": ("paused", [FRAUD]),
        "R04-snapshot-fraud": ("active", []),
        "R05-own-word": ("active", []),
        "R06-income-drop": ("active", []),
        "R07-illness-then-forgot": ("paused", [VULNERABLE]),
        "R08-no-reason": ("active", []),
        "R09-snapshot-forgot": ("active", []),
        "R10-unknown-word": ("active", []),
        "R11-snapshot-free-text": ("paused", [UNKNOWN]),
        "R12-unknown-then-forgot": ("paused", [UNKNOWN]),  # a later word corrects the unknown one
    },
    "2026-12-03": {
        "R01-snapshot-illness": ("paused", [VULNERABLE]),
        "R02-learns-illness": ("paused", [VULNERABLE]),
        "R03-fraud-then-forgot": ("active", []),
        "R04-snapshot-fraud": ("active", []),
        "R05-own-word": ("paused", [VULNERABLE]),
        "R06-income-drop": ("active", []),
        "R07-illness-then-forgot": ("paused", [VULNERABLE]),
        "R08-no-reason": ("active", []),
        "R09-snapshot-forgot": ("active", []),
        "R10-unknown-word": ("paused", [UNKNOWN]),
        "R11-snapshot-free-text": ("paused", [UNKNOWN]),
        "R12-unknown-then-forgot": ("active", []),  # a later word corrects the unknown one
    },
}


@pytest.fixture
def repo(example_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (example_copy / "policies" / "reasons.yaml").write_text(REASONS_YAML, encoding="utf-8")
    lines = [HEADER]
    for i, (account_id, reason) in enumerate(SNAPSHOT.items()):
        lines.append(
            f"{account_id},US,USD,300.00,2026-11-23,America/New_York,+1212555{100 + i:04d},r{i}@example.com,"
            f"{i} Main St,Example Bank,2026-10-23,300.00,0.00,0.00,0.00,0.00,{reason}"
        )
    (example_copy / "accounts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (example_copy / "history.csv").write_text(HISTORY, encoding="utf-8")
    monkeypatch.chdir(example_copy)
    return example_copy


def _plan(day: str, *extra: str) -> dict[str, tuple[str, list[str]]]:
    args = ["plan", "--accounts", "accounts.csv", "--as-of", day, "--out", f"out-{day}", "--quiet", *extra, "."]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    plans = map(json.loads, Path(f"out-{day}/plans.jsonl").read_text(encoding="utf-8").splitlines())
    return {p["account_id"]: (p["status"], [e["code"] for e in p["exclusions"]]) for p in plans}


@pytest.mark.parametrize("day", sorted(EXPECTED))
def test_reasons_decide_each_day(repo: Path, day: str) -> None:
    assert _plan(day, "--history", "history.csv") == EXPECTED[day]
    summary = json.loads(Path(f"out-{day}/summary.json").read_text(encoding="utf-8"))
    unknown = sum(UNKNOWN in codes for _status, codes in EXPECTED[day].values())
    expected_unknown = {"2026-12-01": 1, "2026-12-02": 2, "2026-12-03": 2}[day]
    assert summary["data_quality"].get(UNKNOWN, 0) == unknown == expected_unknown


def test_without_history_the_snapshot_reason_decides_and_is_part_of_the_decision_key(repo: Path) -> None:
    # R01 and R09 differ only in their snapshot reason: a shared decision would plan them alike
    found = _plan("2026-12-01")
    assert found["R01-snapshot-illness"] == ("paused", [VULNERABLE])
    assert found["R09-snapshot-forgot"] == ("active", [])
    assert found["R04-snapshot-fraud"] == ("paused", [FRAUD])
    assert found["R02-learns-illness"] == ("active", [])
    assert found["R11-snapshot-free-text"] == ("paused", [UNKNOWN])
    outputs = "".join(p.read_text(encoding="utf-8") for p in Path("out-2026-12-01").iterdir() if p.is_file())
    assert "hospital" not in outputs.lower()


@pytest.mark.parametrize(
    ("account_id", "day", "state"),
    [
        ("R02-learns-illness", "2026-12-01", "0 event(s) on file up to 2026-12-01"),
        ("R02-learns-illness", "2026-12-03", "1 event(s) on file up to 2026-12-03; flags vulnerable (arrears_reason, "
         "since 2026-12-02); reason for arrears illness (history, since 2026-12-02)"),
        ("R05-own-word", "2026-12-03", "1 event(s) on file up to 2026-12-03; flags vulnerable (arrears_reason, "
         "since 2026-12-03); reason for arrears medical_bills (history, since 2026-12-03)"),
        # the snapshot's illness marked: a later reason does not lift it
        ("R07-illness-then-forgot", "2026-12-03", "1 event(s) on file up to 2026-12-03; flags vulnerable "
         "(arrears_reason); reason for arrears forgot (history, since 2026-12-02)"),
        # a word outside the vocabulary is account-supplied text: not repeated
        ("R10-unknown-word", "2026-12-03", "1 event(s) on file up to 2026-12-03; reason for arrears outside the "
         "vocabulary (history, since 2026-12-03)"),
        # the policy says income_drop does not mark
        ("R06-income-drop", "2026-12-03", "1 event(s) on file up to 2026-12-03; reason for arrears income_drop "
         "(history, since 2026-12-02)"),
    ],
)  # fmt: skip
def test_explain_names_the_flag_source_and_the_reason(repo: Path, account_id: str, day: str, state: str) -> None:
    args = ["explain", account_id, "--accounts", "accounts.csv", "--history", "history.csv", "--as-of", day, "."]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if line.startswith("- state: ")] == [f"- state: {state}"]


def test_the_gate_answers_as_the_plan_decides(repo: Path) -> None:
    # a call at 10:00 on day 3 with the same rows and history: denied exactly where the plan paused
    with Path("accounts.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with Path("history.csv").open(encoding="utf-8", newline="") as fh:
        events = list(csv.DictReader(fh))
    requests = [
        json.dumps(
            {
                "account": {k: v for k, v in row.items() if v},
                "history": [e for e in events if e["account_id"] == row["account_id"]],
                "channel": "call",
                "at": "2026-12-03T10:00:00-05:00",
            }
        )
        for row in rows
    ]
    Path("requests.jsonl").write_text("\n".join(requests) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["gate", "requests.jsonl", "."])
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.output.splitlines()]
    found = {
        row["account_id"]: (a["verdict"], [r["code"] for r in a["reasons"]])
        for row, a in zip(rows, answers, strict=True)
    }
    assert found == {
        account_id: ("allow", []) if status == "active" else ("suppress", codes)
        for account_id, (status, codes) in EXPECTED["2026-12-03"].items()
    }


@pytest.mark.parametrize(
    ("account_id", "reason", "vulnerable"),
    [
        ("R02-learns-illness", "illness", {"flag": "vulnerable", "since": "2026-12-02", "source": "arrears_reason"}),
        ("R07-illness-then-forgot", "forgot", {"flag": "vulnerable", "since": None, "source": "arrears_reason"}),
        ("R04-snapshot-fraud", "forgot", None),
        ("R09-snapshot-forgot", "forgot", None),
        ("R08-no-reason", None, None),
    ],
)  # fmt: skip
def test_the_case_file_shows_the_current_reason_and_the_flag_it_set(
    repo: Path, account_id: str, reason: str | None, vulnerable: dict[str, object] | None
) -> None:
    args = ["case", account_id, "--accounts", "accounts.csv", "--history", "history.csv", "--as-of", "2026-12-03"]
    result = CliRunner().invoke(main, [*args, "--format", "json", "."])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["debt"]["arrears_reason"] == reason
    assert data["flags"] == ([vulnerable] if vulnerable else [])
    text = CliRunner().invoke(main, [*args, "--format", "text", "."]).output
    assert (f"arrears_reason: {reason}" in text) is (reason is not None)
