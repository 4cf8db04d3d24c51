"""A bad contact point degrades a channel, not the account (issue "Close the loop")."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner

from dunning.cli import main


def _snapshot(example_root: Path, tmp_path: Path, **blank: str) -> Path:
    """The example snapshot with the given accounts' phone replaced (``""``: blanked)."""
    source = example_root / "examples" / "accounts.csv"
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["account_id"] in blank:
            row["phone"] = blank[row["account_id"]]
    path = tmp_path / "accounts.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _plans(example_root: Path, accounts: Path, out: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    args = ["plan", "--accounts", str(accounts), "--as-of", "2026-11-30", "--horizon", "7", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--quiet", str(example_root)])
    assert result.exit_code == 0, result.output
    plans = {p["account_id"]: p for p in map(orjson.loads, (out / "plans.jsonl").read_bytes().splitlines())}
    return plans, orjson.loads((out / "summary.json").read_bytes())


def test_a_missing_phone_gets_no_calls_and_an_invalid_one_keeps_the_account(example_root: Path, tmp_path: Path) -> None:
    accounts = _snapshot(example_root, tmp_path, **{"CN-0057": "", "US-0056": "+1 212 555"})
    plans, summary = _plans(example_root, accounts, tmp_path / "out")
    blank = plans["CN-0057"]
    # three calls were scheduled to nobody before; now each is suppressed with the reason
    assert [(a["channel"], a["status"], a["reasons"][-1]) for a in blank["actions"]] == [
        ("call", "suppressed", "data/phone-missing")
    ] * 3
    assert blank["status"] == "active" and blank["exclusions"] == []
    # an invalid phone is named on the plan; the account is planned, not rejected (was R009)
    invalid = plans["US-0056"]
    assert invalid["exclusions"] == [
        {"code": "data/phone-invalid", "reason": "the phone on file is not usable: no call or sms"}
    ]
    assert {(a["channel"], a["status"]) for a in invalid["actions"]} == {("call", "suppressed")}
    assert "BAD-0006" in plans  # the example's invalid phone (+1555) is planned too
    assert summary["data_quality"] == {"data/phone-invalid": 2, "data/phone-missing": 1}
    assert summary["accounts_in"] == summary["planned"] + summary["excluded"] + summary["rejected"]
