"""`dunning case`: the customer file of an account with a rich history, as the CLI prints it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.plan.casefile import mask_email, mask_phone

HERE = Path(__file__).parent
HISTORY = HERE / "data" / "case-history.csv"
GOLDEN = HERE / "golden"


def case(example_root: Path, fmt: str, account: str = "CN-0057") -> str:
    result = CliRunner().invoke(
        main,
        [
            "case", account, "--accounts", str(example_root / "examples" / "accounts.csv"),
            "--history", str(HISTORY), "--as-of", "2026-11-30", "--format", fmt, str(example_root),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(("fmt", "golden"), [("text", "case-CN-0057.txt"), ("json", "case-CN-0057.json")])
def test_case_file_golden(example_root: Path, fmt: str, golden: str) -> None:
    assert case(example_root, fmt) == (GOLDEN / golden).read_text(encoding="utf-8")


def test_every_history_event_appears_once(example_root: Path) -> None:
    data = json.loads(case(example_root, "json"))
    lines = HISTORY.read_text(encoding="utf-8").splitlines()[1:]
    assert len(data["timeline"]) == len(lines) == 12
    for line, entry in zip(lines, data["timeline"], strict=True):
        account, at, event = line.split(",")[:3]
        assert (account, entry["at"][:16], entry["event"]) == ("CN-0057", at[:16], event)
    notes = [e["note"] for e in data["timeline"] if e["note"]]
    assert notes.count("Agreed a plan") == 1
    text = case(example_root, "text")
    for note in notes:
        assert text.count(note) == 1, note


def test_case_file_reads_the_state(example_root: Path) -> None:
    data = json.loads(case(example_root, "json"))
    assert data["flags"] == [{"flag": "sms_opt_out", "since": "2026-11-26", "source": "history"}]
    assert [(p["status"], p["paid"]) for p in data["promises"]] == [("kept", "1000.00")]
    assert data["arrangement"]["status"] == "active"
    assert data["sent"] == [
        {"action_id": "CN-0057-early-sms8-20261101", "template": "sms-early"},
        {"action_id": "CN-0057-mid-sms31-20261124", "template": "sms-mid"},
    ]
    # an arrangement kept as agreed pauses the cadence: no action is planned, and the file says why
    assert (data["status"], data["next_actions"]) == ("paused", [])
    assert [e["code"] for e in data["exclusions"]][-1] == "arrangement/active"
    counters = {c["channel"]: c["verdict"] for c in data["counters"]}
    assert counters == {"sms": "suppress", "email": "allow", "letter": "allow", "call": "suppress", "visit": "allow"}
    assert data["who"]["phone"] == "+•••••••••0057" and "8613800000057" not in json.dumps(data)


def test_unknown_account_is_a_usage_error(example_root: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["case", "NOPE", "--accounts", str(example_root / "examples" / "accounts.csv"), "--as-of", "2026-11-30",
         str(example_root)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "account 'NOPE' is not in" in result.output


@pytest.mark.parametrize(
    ("value", "masked"),
    [("+8613812345678", "+•••••••••5678"), ("12125550142", "•••••••0142"), ("123", "•••")],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


def test_mask_email() -> None:
    assert (mask_email("debtor@example.com"), mask_email("nodomain")) == ("d•••@example.com", "••••••••")
