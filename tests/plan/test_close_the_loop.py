"""Close the loop: what happened yesterday decides today's plan, and the gate agrees.

Day 1 plans eleven US accounts (8 days past due: a text each). The history then records
one outcome per account; the day-2 plan (10 days past due: the call step) must show the
exact decision and reason for each, and ``dunning gate`` must answer a call the same way.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main

IDS = (
    "D01-dispute", "D02-cease", "D03-optout-sms", "D04-wrong-number", "D05-third-party-x",
    "D06-promise-kept", "D07-promise-short", "D08-arrangement-broken", "D09-placed",
    "D10-paid-in-full", "D11-untouched",
)  # fmt: skip
COLUMNS = ("account_id", "jurisdiction", "currency", "overdue_amount", "due_date", "timezone", "phone", "email",
           "address", "last_payment_date", "creditor", "itemization_date", "itemization_amount",
           "interest_since_itemization", "fees_since_itemization", "payments_since_itemization",
           "credits_since_itemization")  # fmt: skip
# the Regulation F itemization every US account carries (its validation notice needs it)
ITEMIZATION = ("Example Bank", "2026-10-23", "300.00", "0.00", "0.00", "0.00", "0.00")
HISTORY = """account_id,at,event,channel,phone,amount,date,instalments,interval_days
D01-dispute,2026-12-01T11:00:00-05:00,dispute,call,,,,,
D02-cease,2026-12-01T11:00:00-05:00,cease,letter,,,,,
D03-optout-sms,2026-12-01T11:00:00-05:00,opt_out,sms,,,,,
D04-wrong-number,2026-12-01T11:00:00-05:00,wrong_number,call,+12125550103,,,,
D05-third-party-x,2026-12-01T11:00:00-05:00,third_party,call,,,,,
D06-promise-kept,2026-12-01T11:00:00-05:00,promise,call,,100.00,2026-12-02,,
D06-promise-kept,2026-12-01T15:00:00-05:00,payment,,,100.00,2026-12-02,,
D07-promise-short,2026-12-01T11:00:00-05:00,promise,call,,100.00,2026-11-26,,
D07-promise-short,2026-12-01T15:00:00-05:00,payment,,,50.00,2026-11-27,,
D08-arrangement-broken,2026-12-01T11:00:00-05:00,arrangement,call,,50.00,2026-11-20,3,7
D09-placed,2026-12-01T11:00:00-05:00,placed_with_agency,,,,,,
D10-paid-in-full,2026-12-01T11:00:00-05:00,payment,,,300.00,2026-12-02,,
"""
# account → (status, exclusion codes, the call's status and reasons; None: no call planned)
EXPECTED = {
    "D01-dispute": ("paused", ["us-regf.dispute"], None),
    "D02-cease": ("excluded", ["us-regf.cease-contact"], None),
    "D03-optout-sms": ("active", ["opt-out/sms"], ("scheduled", ["step/early/call@10"])),
    "D04-wrong-number": (
        "active",
        ["data/phone-wrong-number"],
        ("suppressed", ["step/early/call@10", "data/phone-wrong-number"]),
    ),
    # someone else answered: a call like any other (it counts), nothing stops the next one
    "D05-third-party-x": ("active", [], ("scheduled", ["step/early/call@10"])),
    # the promise (made in a conversation) was kept by amount: no promise code; the
    # conversation itself blocks calls for 7 days (Regulation F)
    "D06-promise-kept": ("active", [], ("suppressed", ["step/early/call@10", "us-regf.after-conversation"])),
    # 50 of 100 paid by the date + 3 days' grace: broken by amount
    "D07-promise-short": (
        "active",
        [],
        ("suppressed", ["step/early/call@10", "promise/broken", "us-regf.after-conversation"]),
    ),
    "D08-arrangement-broken": ("active", [], ("scheduled", ["step/early/call@10", "arrangement/broken"])),
    "D09-placed": ("paused", ["flag/placed_with_agency"], None),
    "D10-paid-in-full": ("excluded", ["balance/settled"], None),
    "D11-untouched": ("active", [], ("scheduled", ["step/early/call@10"])),
}


def _snapshot(path: Path, paid: tuple[str, ...] = ()) -> list[dict[str, str]]:
    rows = [
        dict(
            zip(
                COLUMNS,
                (
                    account_id,
                    "US",
                    "USD",
                    "0.00" if account_id in paid else "300.00",
                    "2026-11-23",
                    "America/New_York",
                    f"+1212555{100 + i:04d}",
                    f"d{i}@example.com",
                    f"{i} Main St",
                    "2026-12-02" if account_id in paid else "",
                    *ITEMIZATION,
                ),
                strict=True,
            )
        )
        for i, account_id in enumerate(IDS)
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def _plan(example_root: Path, *args: str) -> dict[str, dict[str, object]]:
    out = args[args.index("--out") + 1]
    result = CliRunner().invoke(main, ["plan", *args, "--quiet", str(example_root)])
    assert result.exit_code == 0, result.output
    lines = (Path(out) / "plans.jsonl").read_text(encoding="utf-8").splitlines()
    return {p["account_id"]: p for p in map(json.loads, lines)}


def test_day_two_follows_what_happened_on_day_one_and_the_gate_agrees(
    example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _snapshot(Path("day1.csv"))
    day1 = _plan(example_root, "--accounts", "day1.csv", "--as-of", "2026-12-01", "--out", "day1")
    assert {a: [(x["channel"], x["status"]) for x in p["actions"]] for a, p in day1.items()} == {  # type: ignore[attr-defined]
        a: [("sms", "scheduled")] for a in IDS
    }
    Path("history.csv").write_text(HISTORY, encoding="utf-8")
    rows = _snapshot(Path("day2.csv"), paid=("D10-paid-in-full",))
    args = ("--accounts", "day2.csv", "--history", "history.csv", "--as-of", "2026-12-03", "--out", "day2")
    day2 = _plan(example_root, *args)
    found = {}
    for account_id, plan in day2.items():
        calls = [(a["status"], a["reasons"]) for a in plan["actions"] if a["channel"] == "call"]  # type: ignore[attr-defined]
        codes = [e["code"] for e in plan["exclusions"]]  # type: ignore[attr-defined]
        found[account_id] = (plan["status"], codes, calls[0] if calls else None)
    assert found == EXPECTED
    assert json.loads(Path("day2/summary.json").read_text(encoding="utf-8"))["history"] == {"rejected": 0, "held": 0}

    # the gate, asked about a call at 10:00 on day 2 with the same history, answers alike
    events: dict[str, list[dict[str, str]]] = {}
    with Path("history.csv").open(encoding="utf-8", newline="") as fh:
        for event in csv.DictReader(fh):
            events.setdefault(event["account_id"], []).append({k: v for k, v in event.items() if v})
    requests = [
        json.dumps(
            {
                "account": row,
                "history": events.get(row["account_id"], []),
                "channel": "call",
                "at": "2026-12-03T10:00:00-05:00",
            }
        )
        for row in rows
    ]
    Path("requests.jsonl").write_text("\n".join(requests) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["gate", "requests.jsonl", str(example_root)])
    assert result.exit_code == 0, result.output
    answers = dict(zip(IDS, map(json.loads, result.output.splitlines()), strict=True))
    for account_id, (_status, codes, call) in EXPECTED.items():
        answer = answers[account_id]
        gate_codes = [r["code"] for r in answer["reasons"]]
        if call is not None and call[0] == "scheduled":
            assert answer["verdict"] == "allow", account_id
            continue
        assert answer["verdict"] != "allow", account_id
        # the code that stopped the plan's call is among the gate's reasons
        deciding = call[1][-1] if call is not None else codes[0]
        assert deciding in gate_codes, (account_id, gate_codes)
