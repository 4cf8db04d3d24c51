"""``dunning explain`` lists the account's history events (issue 15), not just a count."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dunning.cli import main

HISTORY = Path(__file__).parent / "data" / "case-history.csv"


def _explain(example_root: Path, history: Path, as_of: str, account: str = "CN-0057") -> list[str]:
    accounts = str(example_root / "examples" / "accounts.csv")
    args = ["explain", account, "--accounts", accounts, "--history", str(history), "--as-of", as_of]
    result = CliRunner().invoke(main, [*args, str(example_root)])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_explain_lists_the_events_read_in_the_customers_local_time(example_root: Path) -> None:
    lines = _explain(example_root, HISTORY, "2026-11-20")
    assert lines[:11] == [
        "account CN-0057 (line 58), as of 2026-11-20, CN, zh-CN, time zone Asia/Shanghai",
        "history: 8 event(s) on file up to 2026-11-20 (4 later, not read)",
        "  2026-11-01T09:05+08:00 sms sent [CN-0057-early-sms8-20261101 sms-early]",
        "  2026-11-01T09:06+08:00 sms delivered [CN-0057-early-sms8-20261101 sms-early]",
        "  2026-11-03T10:00+08:00 call no_answer [CN-0057-early-call10-20261103 call-early]",
        "  2026-11-07T10:00+08:00 call right_party_contact [CN-0057-early-call10-20261107 call-early]"
        " — Lost her job in October; asked for time",
        "  2026-11-07T10:10+08:00 call promise 1000.00 CNY for 2026-11-15 — Promised 1,000 from severance pay",
        "  2026-11-14T16:00+08:00 - payment 1000.00 CNY for 2026-11-14",
        "  2026-11-20T11:00+08:00 call right_party_contact — Agreed a plan",
        "  2026-11-20T11:15+08:00 call arrangement 500.00 CNY for 2026-11-25",
        "- days past due: 27 (due 2026-10-24, as of 2026-11-20)",
    ]


def test_a_note_is_collector_text_printed_clean_and_a_utc_time_is_shown_local(
    example_root: Path, tmp_path: Path
) -> None:
    history = tmp_path / "history.csv"
    history.write_text(
        "account_id,at,event,channel,note\n"
        'CN-0057,2026-11-27T01:00:00+00:00,no_answer,call,"Rang \x1b[2Jtwice\nno \u202eanswer\x07"\n'
        "CN-0057,2026-11-28T02:30:00Z,refused,call,\n",
        encoding="utf-8",
    )
    lines = _explain(example_root, history, "2026-11-30")
    assert lines[1:4] == [
        "history: 2 event(s) on file up to 2026-11-30",
        "  2026-11-27T09:00+08:00 call no_answer — Rang [2Jtwice no answer",
        "  2026-11-28T10:30+08:00 call refused",
    ]


def test_an_account_without_history_says_so(example_root: Path) -> None:
    lines = _explain(example_root, HISTORY, "2026-11-30", account="CN-0001")
    assert lines[1:3] == [
        "history: 0 event(s) on file up to 2026-11-30",
        "- days past due: 3 (due 2026-11-27, as of 2026-11-30)",
    ]
