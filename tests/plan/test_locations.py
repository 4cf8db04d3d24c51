"""Every known location of the customer counts in the plan (Reg F comment 6(b)(1)(i)-2)."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from dunning.cli import main

COMPLIANCE_REPO = Path(__file__).resolve().parents[1] / "compliance" / "repo"

ITEMIZATION = "Example Bank,2026-10-01,1300.00,0.00,0.00,0.00,0.00"
HEADER = (
    "account_id,jurisdiction,currency,overdue_amount,due_date,timezone,phone,address,"
    "creditor,itemization_date,itemization_amount,interest_since_itemization,fees_since_itemization,"
    "payments_since_itemization,credits_since_itemization"
)


def test_a_call_window_holds_in_every_zone_the_account_points_to(example_root: Path, tmp_path: Path) -> None:
    # dpd 32 on Monday 2026-11-30: the mid tier's call; the US timetable calls 09:00-20:00
    rows = [
        # a stated Denver zone and a New York phone (the bench's A000000003): 20:00 New York is
        # 18:00 Mountain
        f"L-1,US,USD,1300.00,2026-10-29,America/Denver,+12125550156,,{ITEMIZATION}",
        # a New York phone and a Los Angeles address without a ZIP: 09:00 in Los Angeles is
        # 12:00 in New York, 20:00 in New York 17:00 in Los Angeles
        f'L-2,US,USD,1300.00,2026-10-29,,+12125550156,"1 Main St, Los Angeles, CA",{ITEMIZATION}',
        # Denver alone, with a Denver phone (a missing phone would remove the call)
        f"L-3,US,USD,1300.00,2026-10-29,America/Denver,+13035550156,,{ITEMIZATION}",
    ]
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["plan", "--accounts", str(accounts), "--as-of", "2026-11-30", "--out", str(out), "--quiet"]
    result = CliRunner().invoke(main, [*args, str(example_root)])
    assert result.exit_code == 0, result.output
    with (out / "actions.csv").open(encoding="utf-8", newline="") as fh:
        windows = [(r["account_id"], r["channel"], r["not_before"], r["not_after"]) for r in csv.DictReader(fh)]
    assert windows == [
        ("L-1", "call", "2026-11-30T09:00:00-07:00", "2026-11-30T18:00:00-07:00"),
        ("L-2", "call", "2026-11-30T09:00:00-08:00", "2026-11-30T17:00:00-08:00"),
        ("L-3", "call", "2026-11-30T09:00:00-07:00", "2026-11-30T20:00:00-07:00"),
    ]


def test_gb_without_a_nation_is_not_called_on_any_nations_bank_holiday(tmp_path: Path) -> None:
    # Easter Monday is a bank holiday in England, Wales and Northern Ireland, not in Scotland;
    # an account of no known nation keeps every nation's (the stricter reading)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "account_id,jurisdiction,currency,overdue_amount,due_date,timezone,phone\n"
        "G-1,GB,GBP,100.00,2026-04-05,Europe/London,+447911123456\n"
        "G-2,GB-SCT,GBP,100.00,2026-04-05,Europe/London,+447911123457\n"
        "G-3,GB-ENG,GBP,100.00,2026-04-05,Europe/London,+447911123458\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["plan", "--accounts", str(accounts), "--as-of", "2026-04-06", "--out", str(out), "--quiet"]
    result = CliRunner().invoke(main, [*args, str(COMPLIANCE_REPO)])
    assert result.exit_code == 0, result.output
    with (out / "actions.csv").open(encoding="utf-8", newline="") as fh:
        got = [(r["account_id"], r["status"], r["not_before"], r["reasons"]) for r in csv.DictReader(fh)]
    assert got == [
        ("G-1", "suppressed", "", "step/early/call@1;holiday"),
        ("G-2", "scheduled", "2026-04-06T08:00:00+01:00", "step/early/call@1"),
        ("G-3", "suppressed", "", "step/early/call@1;holiday"),
    ]
