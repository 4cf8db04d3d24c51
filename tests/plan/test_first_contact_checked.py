"""An account without a history: its first contact is checked on the day it falls on.

The plan skips the check of a first contact no cap can refuse, but the stops it already
holds are the as-of day's. A CN account of the example, 30.00 CNY overdue and due
2026-08-03, is in the `mid` tier on 2026-10-01 (day 59); its call falls in China's National
Day holidays and moves to 2026-10-08, day 66, when the account is in `late`, where the
example's `small-balance` exclusion holds. The plan used to keep that call deferred to the
8th, a moment the gate refuses.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(example_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with (ROOT / "examples" / "accounts.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or ())
        row = next(r for r in reader if r["account_id"] == "CN-0001")
    row |= {"overdue_amount": "30.00", "due_date": "2026-08-03"}
    with (example_copy / "accounts.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\n")
        writer.writeheader()
        writer.writerow(row)
    monkeypatch.chdir(example_copy)
    return example_copy


def test_a_call_moved_into_a_tier_with_an_exclusion_is_suppressed_as_the_gate_refuses_it(repo: Path) -> None:
    args = ["plan", "--accounts", "accounts.csv", "--as-of", "2026-10-01", "--horizon", "7", "--out", "out", "--quiet"]
    result = CliRunner().invoke(main, [*args, "."])
    assert result.exit_code == 0, result.output
    with Path("out/actions.csv").open(encoding="utf-8", newline="") as fh:
        actions = [(a["action_id"], a["status"], a["not_before"], a["tier"], a["reasons"]) for a in csv.DictReader(fh)]
    assert actions == [
        (
            "CN-0001-mid-call32-20261001",
            "suppressed",
            "",
            "mid",
            "step/mid/call@32;holiday;exclusion/small-balance",
        )
    ]
    # the gate, asked for the call at the first moment the timetable allows, refuses it so
    with Path("accounts.csv").open(encoding="utf-8", newline="") as fh:
        account = {k: v for k, v in next(csv.DictReader(fh)).items() if v}
    request = {"account": account, "history": [], "channel": "call", "at": "2026-10-08T09:00:00+08:00"}
    Path("requests.jsonl").write_text(json.dumps(request) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["gate", "requests.jsonl", "."])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert (answer["verdict"], [r["code"] for r in answer["reasons"]]) == ("suppress", ["exclusion/small-balance"])
