"""Channel contracts: emails round-trip through the email parser, PDFs hold the text, SMS
segment counts at the GSM-7/UCS-2 boundaries, the dialer list, the CLI."""

from __future__ import annotations

import base64
import email
import shutil
from email import policy as email_policy
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from dunning.accounts.model import Account
from dunning.policy import require_policy
from dunning.render.account_rows import account_from_row, read_account_rows
from dunning.render.run import render_plans
from dunning.templating.context import build_context
from dunning.templating.sandbox import TemplateSandbox, is_html

FIXTURES = Path(__file__).parent / "fixtures"


def _plans() -> dict[str, dict[str, object]]:
    lines = (FIXTURES / "plan" / "plans.jsonl").read_bytes().splitlines()
    return {p["account_id"]: p for p in map(orjson.loads, lines)}


def _accounts() -> dict[str, Account]:
    rows = read_account_rows(FIXTURES / "accounts.csv", [p for p in _plans()])
    return {row["account_id"]: account_from_row(row) for row in rows.to_dicts()}


@pytest.mark.parametrize(
    ("account_id", "action_id", "to", "subject", "date"),
    [
        (
            "LN-CN-0001",
            "LN-CN-0001-early-email14-20261128",
            "李明 <liming@example.com>",
            "您的账户****0001已逾期15天，我们能帮您什么？",
            "Sat, 28 Nov 2026 08:00:00 +0800",
        ),
        (
            "LN-US-0006",
            "LN-US-0006-reminder-email3-20261128",
            '"Casey <Demo> & Co" <casey@example.com>',
            "A friendly reminder about your loan ****0006",
            "Sat, 28 Nov 2026 08:00:00 -0800",
        ),
    ],
)
def test_email_round_trips(
    plan_dir: Path, example_root: Path, account_id: str, action_id: str, to: str, subject: str, date: str
) -> None:
    render_plans(plan_dir, example_root, workers=1, pdf=False)
    raw = (plan_dir / "messages" / "email" / f"{action_id}.eml").read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # SMTP line endings only
    assert all(byte < 128 for byte in raw)  # UTF-8 travels encoded (RFC 2047 headers, base64/QP bodies)
    message = email.message_from_bytes(raw, policy=email_policy.default)
    assert str(message["To"]) == to
    assert str(message["Subject"]) == subject
    assert str(message["Date"]) == date
    assert str(message["Message-ID"]).endswith(f".{action_id}@example-finance.com>")
    assert "<https://example-finance.com/contact-preferences?m=" in str(message["List-Unsubscribe"])
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    # the parsed parts are exactly what the template renders for this account
    policy = require_policy(example_root)
    plan = _plans()[account_id]
    action = next(a for a in plan["actions"] if a["id"] == action_id)  # type: ignore[attr-defined]
    context = build_context(plan, action, _accounts()[account_id], policy)
    file = policy.templates[action["template"]].files[context["locale"]]
    sandbox = TemplateSandbox(example_root / "templates")
    text = sandbox.render(file, context, block="text").strip("\n") + "\n"
    html = sandbox.render(file, context, block="html", html=is_html("email", "html")).strip("\n") + "\n"
    plain_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert plain_part is not None and html_part is not None
    assert plain_part.get_content().replace("\r\n", "\n") == text
    assert html_part.get_content().replace("\r\n", "\n") == html


# Every US text must end with the opt-out instruction (render refuses one without it), so
# each case is filler + that instruction, sized to land exactly on the boundary.
OPT_OUT = "Reply STOP to opt out."
N = len(OPT_OUT)
SMS_CASES = [
    # (text, encoding, length, segments)
    ("a" * (160 - N) + OPT_OUT, "GSM-7", 160, 1),
    ("a" * (161 - N) + OPT_OUT, "GSM-7", 161, 2),
    ("€" * ((160 - N) // 2) + OPT_OUT, "GSM-7", 160, 1),  # extension characters take two septets
    ("a" + "€" * ((160 - N) // 2) + OPT_OUT, "GSM-7", 161, 2),
    ("a" * (152 - N) + "€" + OPT_OUT, "GSM-7", 154, 1),
    ("好" * (70 - N) + OPT_OUT, "UCS-2", 70, 1),
    ("好" * (71 - N) + OPT_OUT, "UCS-2", 71, 2),
    ("好" * (134 - N) + OPT_OUT, "UCS-2", 134, 2),
    ("好" * (135 - N) + OPT_OUT, "UCS-2", 135, 3),
]


def test_sms_segments_at_boundaries(plan_dir: Path, example_copy: Path) -> None:
    # one SMS per case; the text comes from a pass-through column so each length is exact
    (example_copy / "templates" / "sms" / "sms-reminder.en-US.j2").write_text(
        "{{ account.extra.body }}", encoding="utf-8"
    )
    header = "account_id,name,locale,jurisdiction,timezone,phone,currency,overdue_amount,due_date,body\n"
    rows, lines = [], []
    template_line = orjson.loads((FIXTURES / "plan" / "plans.jsonl").read_bytes().splitlines()[5])
    for n, (text, _, _, _) in enumerate(SMS_CASES):
        account_id = f"SMS-{n:02d}"
        rows.append(f'{account_id},N,en-US,US,America/Chicago,+13125550100,USD,10.00,2026-11-25,"{text}"\n')
        plan = dict(template_line, account_id=account_id)
        action = dict(template_line["actions"][1], id=f"{account_id}-reminder-sms1-20261128")
        plan["actions"] = [action]
        lines.append(orjson.dumps(plan))
    (plan_dir / "plans.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (plan_dir.parent / "accounts.csv").write_text(header + "".join(rows), encoding="utf-8")
    result = render_plans(plan_dir, example_copy, workers=1, pdf=False)
    records = [orjson.loads(x) for x in (plan_dir / "messages" / "sms.jsonl").read_bytes().splitlines()]
    got = [(r["text"], r["encoding"], r["length"], r["segments"]) for r in records]
    assert got == SMS_CASES
    assert result.failed == 0


def test_texts_over_the_policy_segment_limit_are_rejected(plan_dir: Path, example_copy: Path) -> None:
    template = example_copy / "templates" / "sms" / "sms-reminder.en-US.j2"
    template.write_text("{{ '好' * 180 }}{{ compliance.opt_out }}", encoding="utf-8")
    render_plans(plan_dir, example_copy, workers=1, pdf=False)
    rejects = (plan_dir / "messages" / "render-rejects.csv").read_text(encoding="utf-8")
    assert (
        "LN-US-0006-reminder-sms1-20261128,LN-US-0006,sms/sms-reminder.en-US.j2,,"
        '"the text is 4 segments (UCS-2, 202 characters, 4 segments); the policy allows 3"'
    ) in rejects


def test_messages_without_required_disclosures_are_rejected(plan_dir: Path, example_copy: Path) -> None:
    # a branch that drops the opt-out (US) or the 【signature】 (CN) for one account is caught per message
    us = example_copy / "templates" / "sms" / "sms-reminder.en-US.j2"
    us.write_text("Hi {{ account.name }}.{% if account.segment != 'broken' %} {{ compliance.opt_out }}{% endif %}")
    cn = example_copy / "templates" / "sms" / "sms-early.zh-CN.j2"
    cn.write_text("{{ account.name }}您好。{{ compliance.opt_out }}", encoding="utf-8")
    render_plans(plan_dir, example_copy, workers=1, pdf=False)
    rejects = (plan_dir / "messages" / "render-rejects.csv").read_text(encoding="utf-8").splitlines()
    assert (
        "LN-US-0006-reminder-sms1-20261128,LN-US-0006,sms/sms-reminder.en-US.j2,,"
        "the message lacks the required opt-out instruction"
    ) in rejects
    assert (
        "LN-CN-0001-early-sms8-20261128,LN-CN-0001,sms/sms-early.zh-CN.j2,,"
        "a CN text must carry the 【示例金融】 signature"
    ) in rejects


def test_calls_csv_is_one_campaign_list_with_the_script_inline(plan_dir: Path, example_root: Path) -> None:
    render_plans(plan_dir, example_root, workers=1, pdf=False)
    import csv

    with (plan_dir / "messages" / "calls.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # one row per planned (scheduled or deferred) call whose account is in the snapshot
    planned = [
        action["id"]
        for plan in _plans().values()
        if plan["account_id"] in _accounts()
        for action in plan["actions"]  # type: ignore[attr-defined]
        if action["channel"] == "call" and action["status"] in ("scheduled", "deferred")
    ]
    assert (
        [row["action_id"] for row in rows]
        == planned
        == [
            "LN-CN-0001-early-call10-20261128",
            "LN-US-0002-mid-call32-20261130",
        ]
    )
    us = rows[1]
    assert (us["window_start_local"], us["window_start_utc"]) == ("2026-11-30T09:00:00-06:00", "2026-11-30T15:00:00Z")
    assert us["script"].startswith("OPENING\nHello, may I speak with Alex Sample?")
    assert "$720.50" in us["script"] and us["priority"] == "3"
    assert not (plan_dir / "messages" / "calls").exists()  # no file per call
    records = [orjson.loads(line) for line in (plan_dir / "messages" / "calls.jsonl").read_bytes().splitlines()]
    assert records == rows  # the same records, the same keys and order


def test_cli_render_exit_codes(plan_dir: Path, example_root: Path) -> None:
    from dunning.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["render", "--plans", str(plan_dir), "--no-pdf", "--workers", "1", str(example_root)])
    assert result.exit_code == 1  # one action's account is missing from the snapshot
    assert "rendered 15 messages (agency 2, call 2, email 3, legal_review 1, letter 3, sms 3, visit 1)" in result.output
    assert "1 message(s) failed to render" in result.output
    missing = runner.invoke(main, ["render", "--plans", str(plan_dir / "nope"), str(example_root)])
    assert missing.exit_code == 2
    assert "no plans here" in missing.output and "Traceback" not in missing.output


_HEADER_TEXT = st.text(
    alphabet=st.sampled_from([*"ab ,.\t\r\n\x00\x1f\x7f", "\xa0", "\u3000", "\u2028", "\x85", "\u200b", "你", "é"]),
    max_size=16,
)


@given(_HEADER_TEXT)
def test_a_header_value_is_cleaned_to_one_line_of_single_spaces(value: str) -> None:
    from dunning.render.email import _CONTROL, clean

    # the printable values returned as they are clean exactly as the whole cleaning would
    assert clean(value) == " ".join(_CONTROL.sub(" ", value).split())


@given(st.text(max_size=300))
def test_a_base64_body_is_what_encodebytes_writes_with_crlf(text: str) -> None:
    from dunning.render.email import _body

    body = text + "\u00e9\n"  # not ASCII: base64
    expected = base64.encodebytes(body.replace("\n", "\r\n").encode("utf-8")).decode("ascii").replace("\n", "\r\n")
    assert _body(body) == ("base64", expected)


@given(st.lists(st.sampled_from(["a", "\n", "x" * 400, "y" * 899, "z" * 901]), max_size=8))
def test_an_ascii_body_is_7bit_unless_a_line_is_over_900_characters(pieces: list[str]) -> None:
    from dunning.render.email import _body

    text = "".join(pieces)
    lines = text.split("\n")
    if max(map(len, lines)) <= 900:  # the rule as written before the whole-length shortcut
        assert _body(text) == ("7bit", "\r\n".join(lines))
    else:
        expected = base64.encodebytes(text.replace("\n", "\r\n").encode("ascii")).decode("ascii")
        assert _body(text) == ("base64", expected.replace("\n", "\r\n"))


def test_email_headers_cannot_be_injected() -> None:
    from datetime import UTC, datetime

    from dunning.render.email import email_bytes

    context: dict[str, Any] = {
        "account": {
            "id": "X1",
            "name": "Eve\r\nBcc: v@example.org",
            "email": "eve@example.com",
            "jurisdiction": "US",
        },
        "action": {
            "id": "X1-a-email1-20261128",
            "channel": "email",
            "not_before": datetime(2026, 11, 28, 9, tzinfo=UTC),
        },
        "company": {"name": "Co", "email": "c@example.com", "unsubscribe_url": "https://example.com/u"},
        "compliance": {"opt_out": ""},
        "locale": "en-US",
    }
    raw = email_bytes(context, {"subject": "Hi\nBcc: x@example.org", "text": "t", "html": "<p>t</p>"}, "t.j2")
    message = email.message_from_bytes(raw, policy=email_policy.default)
    assert message["Bcc"] is None
    assert str(message["Subject"]) == "Hi Bcc: x@example.org"
    assert str(message["To"]) == '"Eve Bcc: v@example.org" <eve@example.com>'
    with pytest.raises(Exception, match="no usable email address"):
        email_bytes({**context, "account": {**context["account"], "email": "a@b.c>\r\nX: y"}}, {}, "t.j2")


@pytest.mark.parametrize(
    "display",
    ["Mary Smith", "Zoë Garcia", "王芳", 'O\'Brien, "J"', "", "   ", "\x01\x02", "a\r\nb", "Ünïcode, with comma"],
)
def test_mailbox_is_what_formataddr_writes(display: str) -> None:
    # the display name is encoded once per distinct name (cached): the bytes must stay formataddr's
    from email.utils import formataddr

    from dunning.render.email import clean, mailbox

    expected = formataddr((clean(display), "u1@example.com"), charset="utf-8")
    assert mailbox(display, "u1@example.com") == expected


@pytest.mark.parametrize(
    "subject",
    [
        "您的账户****0001已逾期15天，我们能帮您什么？",
        "Your loan ****0031 is 14 days past due — how can we help?",
        "€" * 40 + " 😀 " + "x" * 30,
        "短",
    ],
)
def test_encoded_subject_round_trips_with_short_lines(subject: str) -> None:
    from email.parser import HeaderParser

    from dunning.render.email import _header

    raw = _header("Subject", subject)
    lines = raw.split("\r\n")
    assert lines[-1] == "" and all(len(line) <= 78 for line in lines)
    assert all(line.startswith(" ") for line in lines[1:-1])  # folded continuation lines
    parsed = HeaderParser(policy=email_policy.default).parsestr(raw.replace("\r\n", "\n") + "\n")
    assert str(parsed["Subject"]) == subject


@pytest.mark.parametrize("chunk_rows", [2, 20_000])
def test_account_rows_are_the_wanted_first_rows_sorted_by_id(tmp_path: Path, chunk_rows: int) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(
        "\ufeffaccount_id ,jurisdiction,currency,overdue_amount,due_date,name,region\n"
        "C-3,CN,CNY,10.00,2026-11-01, 王芳 ,east\n"
        "A-1,US,USD,5.00,2026-11-01,Ann,\n"
        "B-2,US,USD,7.00,2026-11-01,Bo,west\n"
        " A-1 ,US,USD,9.00,2026-11-01,Ann again,\n"  # plan rejected this repeat (R013)
        "D-4,US,USD,1.00,2026-11-01,Dee,\n".encode()
    )
    rows = read_account_rows(path, ["C-3", "A-1", "D-4", "Z-9"], chunk_rows=chunk_rows)
    assert rows.columns == [
        "account_id", "jurisdiction", "currency", "overdue_amount", "due_date", "name", "region"
    ]  # fmt: skip
    assert rows.rows() == [
        ("A-1", "US", "USD", "5.00", "2026-11-01", "Ann", ""),
        ("C-3", "CN", "CNY", "10.00", "2026-11-01", "王芳", "east"),
        ("D-4", "US", "USD", "1.00", "2026-11-01", "Dee", ""),
    ]
    assert account_from_row(rows.row(1, named=True)).extra == {"region": "east"}


def test_email_format_mbox_holds_the_same_messages(plan_dir: Path, example_root: Path, tmp_path: Path) -> None:
    import mailbox

    from dunning.cli import main

    eml_dir = tmp_path / "eml"
    shutil.copytree(plan_dir.parent, eml_dir)
    render_plans(eml_dir / "plan", example_root, workers=1, pdf=False)
    emls = sorted((eml_dir / "plan" / "messages" / "email").glob("*.eml"))
    result = CliRunner().invoke(
        main,
        ["render", "--plans", str(plan_dir), "--no-pdf", "--jobs", "1", "--email-format", "mbox", str(example_root)],
    )
    assert result.exit_code == 1, result.output  # the account missing from the snapshot, as with eml
    assert "email 3" in result.output
    folder = plan_dir / "messages" / "email"
    assert sorted(p.name for p in folder.iterdir()) == ["2026-11-28.mbox"]  # one mbox per send date
    box = mailbox.mbox(folder / "2026-11-28.mbox", create=False)
    messages = list(box)
    assert len(messages) == len(emls) == 3
    # the same bytes as the .eml files, in mbox's LF line ends, separated by From_ lines
    # carrying each message's own date in UTC (never the clock)
    for key, eml in zip(box.keys(), emls, strict=True):
        assert box.get_bytes(key).replace(b"\n", b"\r\n") == eml.read_bytes()
    raw = (folder / "2026-11-28.mbox").read_bytes()
    assert raw.startswith(b"From MAILER-DAEMON Sat Nov 28 00:00:00 2026\n")
    assert [m.get_from() for m in messages] == [
        "MAILER-DAEMON Sat Nov 28 00:00:00 2026",
        "MAILER-DAEMON Sat Nov 28 14:00:00 2026",
        "MAILER-DAEMON Sat Nov 28 16:00:00 2026",
    ]


def _stderr_on_a_terminal(argv: list[str]) -> bytes:
    """Run the CLI with stderr on a pseudo-terminal (as a person at a terminal sees it)."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from dunning.cli import main; main()", *argv],
        stdout=subprocess.DEVNULL, stderr=terminal, env=env,
    )  # fmt: skip
    os.close(terminal)
    chunks = []
    while True:
        try:
            data = os.read(controller, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        chunks.append(data)
    process.wait()
    os.close(controller)
    return b"".join(chunks)


def test_progress_on_a_terminal_only(plan_dir: Path, example_root: Path) -> None:
    argv = ["render", "--plans", str(plan_dir), "--jobs", "1", str(example_root)]
    shown = _stderr_on_a_terminal(argv)
    # count of accounts with something to render, then the print batches (2), with rate/ETA
    assert b"/6 [" in shown and b" accounts" in shown
    assert b"/2 [" in shown and b" print batches" in shown
    assert (
        _stderr_on_a_terminal([*argv, "--quiet"])
        == b"error: 1 message(s) failed to render; see "
        + str(plan_dir / "messages" / "render-rejects.csv").encode()
        + b"\r\n"
    )
    from dunning.cli import main

    piped = CliRunner().invoke(main, argv)  # not a terminal: no bar
    assert piped.exit_code == 1 and "accounts/s" not in piped.output and "print batches" not in piped.output


def _words_a_character_at_a_time(value: str) -> list[str]:
    # the encoded words as render wrote them until 2026-12-07: one character at a time
    from dunning.render.email import _q

    words: list[str] = []
    if sum(char.isascii() for char in value) * 3 >= len(value) * 2:
        payload = ""
        for char in value:
            piece = _q(char)
            if len(payload) + len(piece) > 52:
                words.append(f"=?utf-8?q?{payload}?=")
                payload = ""
            payload += piece
        return [*words, f"=?utf-8?q?{payload}?="]
    chunk = bytearray()
    for char in value:
        data = char.encode("utf-8")
        if (len(chunk) + len(data) + 2) // 3 * 4 > 52:
            words.append(f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=")
            chunk.clear()
        chunk += data
    return [*words, f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?="]


_SUBJECT_PIECES = ["a", " ", "=", "?", "_", "é", "€", "—", "\x85", "你", "😀", "****1234", "您的账户"]


@given(st.lists(st.sampled_from(_SUBJECT_PIECES), max_size=90))
def test_encoded_words_are_the_words_a_character_at_a_time_wrote(pieces: list[str]) -> None:
    from dunning.render.email import _encoded_words

    value = "".join(pieces)
    assert _encoded_words(value) == _words_a_character_at_a_time(value)
