"""China: after a third party answered, after repeated refusals and after a complaint
(``cn.third-party-answered``, ``cn.repeated-refusal``, ``cn.complaint``), day by day — the
plan and ``dunning gate`` answer alike with the same reason codes."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main

# every account is in the champion arm, whose early strategy calls on day 10
IDS = ("T1-third-party", "T2-other-number", "R1-refused", "R2-refusals-apart", "C1-complaint")
COLUMNS = ("account_id", "jurisdiction", "currency", "overdue_amount", "due_date", "phone", "email", "address")
HISTORY = """account_id,at,event,channel,phone
T1-third-party,2026-12-01T10:00:00+08:00,third_party,call,
T1-third-party,2026-12-03T15:00:00+08:00,right_party_contact,call,
T2-other-number,2026-12-01T10:00:00+08:00,third_party,call,+8613900000000
R1-refused,2026-12-01T10:00:00+08:00,refused,call,
R1-refused,2026-12-03T10:00:00+08:00,refused,call,
R2-refusals-apart,2026-11-20T10:00:00+08:00,refused,call,
R2-refusals-apart,2026-11-30T10:00:00+08:00,refused,call,
C1-complaint,2026-12-01T10:00:00+08:00,complaint,call,
"""
CALL = "step/early/call@10"
THIRD = "cn.third-party-answered"
REFUSED = "cn.repeated-refusal"
# day → account → (plan status, its exclusion codes, the day-10 call: status and reasons)
Outcome = tuple[str, list[str], tuple[str, list[str]] | None]
OPEN: Outcome = ("active", [], ("scheduled", [CALL]))
PAUSED: Outcome = ("paused", ["cn.complaint"], None)
EXPECTED: dict[str, dict[str, Outcome]] = {
    "2026-12-01": {
        "T1-third-party": ("active", [THIRD], ("suppressed", [CALL, THIRD])),
        "T2-other-number": OPEN,  # the third party answered another number than the one on file
        "R1-refused": OPEN,  # one refusal: no stop
        "R2-refusals-apart": OPEN,  # two refusals 10 days apart: not 2 in 7 days
        "C1-complaint": PAUSED,
    },
    "2026-12-02": {
        "T1-third-party": ("active", [THIRD], ("suppressed", [CALL, THIRD])),  # no end date
        "T2-other-number": OPEN,
        "R1-refused": OPEN,
        "R2-refusals-apart": OPEN,
        "C1-complaint": PAUSED,
    },
    "2026-12-03": {
        "T1-third-party": OPEN,  # the debtor reached on the number: lifted
        "T2-other-number": OPEN,
        "R1-refused": ("active", [REFUSED], ("suppressed", [CALL, REFUSED])),  # 2nd refusal, day 1 of 7
        "R2-refusals-apart": OPEN,
        "C1-complaint": PAUSED,
    },
    "2026-12-09": {  # day 7 of the refusal stop
        "T1-third-party": OPEN,
        "T2-other-number": OPEN,
        "R1-refused": ("active", [REFUSED], ("suppressed", [CALL, REFUSED])),
        "R2-refusals-apart": OPEN,
        "C1-complaint": PAUSED,
    },
    "2026-12-10": {
        "T1-third-party": OPEN,
        "T2-other-number": OPEN,
        "R1-refused": OPEN,
        "R2-refusals-apart": OPEN,
        "C1-complaint": PAUSED,
    },
    "2026-12-30": {  # day 30 of the complaint's pause
        "T1-third-party": OPEN,
        "T2-other-number": OPEN,
        "R1-refused": OPEN,
        "R2-refusals-apart": OPEN,
        "C1-complaint": PAUSED,
    },
    "2026-12-31": dict.fromkeys(IDS, OPEN),
}
MESSAGES = {
    THIRD: "someone other than the debtor answered on 2026-12-01 (third_party): no call or sms until a "
    "right_party_contact or connected on call or sms",
    REFUSED: "the debtor refused on 2026-12-03 (refused, 2 in 7 day(s)): no call or sms or visit before 2026-12-10",
    "cn.complaint": "the debtor complained on 2026-12-01 (complaint): collection paused before 2026-12-31",
}


def _rows(day: date) -> list[dict[str, str]]:
    """The accounts on ``day``, each 10 days past due (its call step due that day)."""
    due = (day - timedelta(days=10)).isoformat()
    return [
        dict(zip(COLUMNS, (a, "CN", "CNY", "3000.00", due, f"+86138000{i:05d}", f"c{i}@example.com", f"上海市{i}号"),
                 strict=True))
        for i, a in enumerate(IDS)
    ]  # fmt: skip


@pytest.mark.parametrize("day", sorted(EXPECTED))
def test_plan_and_gate_day_by_day(
    example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, day: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("history.csv").write_text(HISTORY, encoding="utf-8")
    rows = _rows(date.fromisoformat(day))
    with Path("accounts.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    args = ["plan", "--accounts", "accounts.csv", "--history", "history.csv", "--as-of", day, "--out", "out", "-q"]
    result = CliRunner().invoke(main, [*args, str(example_root)])
    assert result.exit_code == 0, result.output
    found = {}
    for line in Path("out/plans.jsonl").read_text(encoding="utf-8").splitlines():
        plan = json.loads(line)
        calls = [(a["status"], a["reasons"]) for a in plan["actions"] if a["channel"] == "call"]
        found[plan["account_id"]] = (
            plan["status"],
            [e["code"] for e in plan["exclusions"]],
            calls[0] if calls else None,
        )
    assert found == EXPECTED[day]

    # the gate, asked about a call at noon Beijing time that day with the same history
    events: dict[str, list[dict[str, str]]] = {}
    for event in csv.DictReader(HISTORY.splitlines()):
        events.setdefault(event["account_id"], []).append({k: v for k, v in event.items() if v})
    requests = [
        {"account": row, "history": events.get(row["account_id"], []), "channel": "call", "at": f"{day}T12:00:00+08:00"}
        for row in rows
    ]
    Path("requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in requests), encoding="utf-8")
    result = CliRunner().invoke(main, ["gate", "requests.jsonl", str(example_root)])
    assert result.exit_code == 0, result.output
    for account_id, answer in zip(IDS, map(json.loads, result.output.splitlines()), strict=True):
        _status, codes, call = EXPECTED[day][account_id]
        if codes:
            assert answer["verdict"] == "suppress", account_id
            assert [(r["code"], r["message"]) for r in answer["reasons"]] == [(codes[0], MESSAGES[codes[0]])]
        else:
            assert call is not None and call[0] == "scheduled"
            assert (answer["verdict"], answer["reasons"]) == ("allow", []), account_id


def test_a_reply_to_the_complaint_stays_allowed(example_root: Path, tmp_path: Path) -> None:
    request = {
        "account": _rows(date(2026, 12, 2))[4],
        "history": [
            {"account_id": "C1-complaint", "at": "2026-12-01T10:00:00+08:00", "event": "complaint", "channel": "call"}
        ],
        "channel": "email",
        "at": "2026-12-02T12:00:00+08:00",
        "purpose": "reply",
    }  # fmt: skip
    (tmp_path / "requests.jsonl").write_text(json.dumps(request) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["gate", str(tmp_path / "requests.jsonl"), str(example_root)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"] == "allow"
