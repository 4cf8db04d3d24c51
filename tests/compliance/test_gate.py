"""``dunning gate``: one JSON answer line per request line, in order; bad lines answered with
an error and the stream goes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import pytest
from click.testing import CliRunner

from dunning.cli import main

from .compliance_support import GATE_ACCOUNT as ACCOUNT
from .compliance_support import GATE_REPO as VALID_REPO
from .compliance_support import REPO


def request(**fields: object) -> str:
    body: dict[str, object] = {"account": ACCOUNT, "channel": "call", "at": "2026-11-02T20:59:00-05:00"}
    body.update(fields)
    return json.dumps(body, ensure_ascii=False)


def run(lines: list[str], tmp_path: Path) -> list[dict[str, object]]:
    requests = tmp_path / "requests.jsonl"
    requests.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["gate", str(requests), str(VALID_REPO)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_answers_in_order_with_exact_shape(tmp_path: Path) -> None:
    answers = run(
        [
            request(),
            request(at="2026-11-02T21:00:00-05:00"),
            request(
                at="2026-11-04T10:00:00-05:00",
                history=[{"at": "2026-11-02T19:00:00-05:00", "channel": "call", "outcome": "conversation"}],
            ),
        ],
        tmp_path,
    )
    assert answers == [
        {"verdict": "allow", "legal_verdict": "allow", "earliest": None, "reasons": []},
        {
            "verdict": "reschedule",
            "legal_verdict": "reschedule",
            "earliest": "2026-11-03T08:00:00-05:00",
            "reasons": [
                {
                    "code": "us-regf.call-hours",
                    "rule": "us-regf.call-hours",
                    "citation": "12 CFR 1006.6(b)(1)(i)",
                    "message": "21:00 in America/New_York is outside the legal hours 08:00–21:00",
                },
                {
                    "code": "timetable/us",
                    "rule": "us",
                    "citation": "policies/timetables.yaml:13:7",
                    "message": "outside the policy's call window for this day",
                },
            ],
        },
        {
            "verdict": "reschedule",
            "legal_verdict": "reschedule",
            "earliest": "2026-11-09T08:00:00-05:00",
            "reasons": [
                {
                    "code": "us-regf.after-conversation",
                    "rule": "us-regf.after-conversation",
                    "citation": "12 CFR 1006.14(b)(2)(i)(B)",
                    "message": "a telephone conversation on 2026-11-02 (day 1 of 7) blocks calls until 2026-11-09",
                }
            ],
        },
    ]


def test_malformed_lines_are_answered_and_the_stream_goes_on(tmp_path: Path) -> None:
    bad_account = {**ACCOUNT, "overdue_amount": "12,x"}
    answers = run(
        [
            "not json",
            "",
            "[1, 2]",
            request(channel="fax"),
            request(at="2026-11-02T10:00:00"),
            request(account=bad_account),
            request(history=[{"at": "2026-11-02T10:00:00-05:00", "channel": "call", "outcome": "shouted"}]),
            request(colour="red"),
            request(),
        ],
        tmp_path,
    )
    assert [a["verdict"] for a in answers] == ["error"] * 8 + ["allow"]
    assert [a["message"] for a in answers[:8]] == [
        "line 1: not valid JSON (column 1)",
        "line 2: empty line, no request",
        "line 3: a request must be a JSON object",
        "line 4: channel must be one of call, sms, email, letter, visit",
        "line 5: `at` '2026-11-02T10:00:00' has no UTC offset; add one, e.g. -05:00 or +08:00",
        "line 6: account rejected (R002): overdue_amount is not a plain decimal number such as 1250.50",
        "line 7: history[0]: the event is not a word of the history vocabulary (docs/data.md) (H003)",
        "line 8: unknown key(s) colour; a request has "
        "account, history, planned, channel, at, debt_id, content, purpose",
    ]


def test_events_with_a_list_or_object_for_a_word_are_answered_not_crashed(tmp_path: Path) -> None:
    # the fast path asked a set whether it held the list and raised TypeError: the whole
    # stream stopped with a traceback
    event = {"at": "2026-11-02T10:00:00-05:00", "channel": "call", "outcome": "busy"}
    answers = run(
        [
            request(history=[{**event, "channel": ["call"]}]),
            request(planned=[event, {**event, "outcome": {"said": "hello"}}]),
            request(),
        ],
        tmp_path,
    )
    assert answers[:2] == [
        {
            "verdict": "error",
            "message": "line 1: history[0]: the channel is not one of call, sms, email, letter, visit (H004)",
        },
        {
            "verdict": "error",
            "message": "line 2: planned[1]: the event is not a word of the history vocabulary (docs/data.md) (H003)",
        },
    ]
    assert answers[2]["verdict"] == "allow"


def test_moments_at_the_ends_of_the_calendar_are_answered_not_crashed(tmp_path: Path) -> None:
    # converting them into the debtor's zone or searching 60 days ahead left Python's
    # date range (OverflowError): the whole stream stopped with a traceback
    event = {"channel": "call", "outcome": "busy"}
    answers = run(
        [
            request(at="0001-01-01T00:00:00+01:00"),
            request(at="9999-12-31T23:59:59-12:00"),
            request(history=[{**event, "at": "9999-12-30T12:00:00-05:00"}]),
            request(planned=[{**event, "at": " 0001-01-01T10:00:00+14:00"}]),
            request(at="0002-01-01T00:00:00+14:00", history=[{**event, "at": "9998-12-31T23:59:59-12:00"}]),
        ],
        tmp_path,
    )
    beyond = "is outside the years 2–9998 the engine can search"
    assert [a["verdict"] for a in answers] == ["error"] * 4 + ["reschedule"]
    assert [a["message"] for a in answers[:4]] == [
        f"line 1: `at` '0001-01-01T00:00:00+01:00' {beyond}",
        f"line 2: `at` '9999-12-31T23:59:59-12:00' {beyond}",
        f"line 3: history[0]: at 9999-12-30T12:00:00-05:00 {beyond}",
        f"line 4: planned[0]: at 0001-01-01T10:00:00+14:00 {beyond}",
    ]


def test_stdin_and_stops(tmp_path: Path) -> None:
    bankrupt = {**ACCOUNT, "bankruptcy": "yes"}
    lines = request(account=bankrupt, channel="letter", at="2026-11-03T10:00:00-05:00") + "\n"
    result = CliRunner().invoke(main, ["gate", "-", str(VALID_REPO)], input=lines)
    assert result.exit_code == 0
    assert json.loads(result.output) == {
        "verdict": "suppress",
        "legal_verdict": "suppress",
        "earliest": None,
        "reasons": [
            {
                "code": "us-regf.bankruptcy",
                "rule": "us-regf.bankruptcy",
                "citation": "11 U.S.C. 362(a)(6)",
                "message": "the debtor is in bankruptcy: no contact",
            }
        ],
    }


def test_unreadable_requests_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["gate", str(tmp_path / "missing.jsonl"), str(VALID_REPO)])
    assert result.exit_code == 2


def test_file_batches_answer_exactly_like_line_by_line(tmp_path: Path) -> None:
    bad_account = {**ACCOUNT, "overdue_amount": "-5"}
    cn = {**ACCOUNT, "account_id": "C-1", "jurisdiction": "CN", "currency": "CNY", "phone": "+8613812345678"}
    lines = [
        request(),
        "{",
        request(account=bad_account),
        request(account=cn, channel="sms", at="2026-11-03T22:00:00+08:00"),
        request(account=cn, history=[{"at": " 2026-11-03T09:00:00+08:00", "channel": "call", "outcome": "connected"}]),
        request(account={**ACCOUNT, "sms_opt_out": "YES"}, channel="sms"),
        request(account={**ACCOUNT, "sms_opt_out": "maybe"}, channel="sms"),
        request(account="A-1"),
        request(account={**ACCOUNT, "overdue_amount": 120.5, "bankruptcy": True, "\ufeffsegment ": "retail"}),
    ]
    text = "\n".join(lines) + "\n"
    (tmp_path / "r.jsonl").write_text(text, encoding="utf-8")
    batched = CliRunner().invoke(main, ["gate", str(tmp_path / "r.jsonl"), str(VALID_REPO)])
    streamed = CliRunner().invoke(main, ["gate", "-", str(VALID_REPO)], input=text)
    assert batched.exit_code == streamed.exit_code == 0
    assert batched.output == streamed.output
    assert [json.loads(x)["verdict"] for x in batched.output.splitlines()] == [
        "allow", "error", "error", "reschedule", "allow", "suppress", "error", "error", "suppress",
    ]  # fmt: skip


def test_parallel_workers_answer_in_input_order(tmp_path: Path) -> None:
    from dunning.compliance.gate import Gate, answer_batches, answer_parallel, chunks
    from dunning.policy import require_policy

    lines = [
        request(at=f"2026-11-02T{hour:02d}:30:00-05:00", account={**ACCOUNT, "account_id": f"A-{hour}"}).encode()
        for hour in range(5, 23)
    ]
    lines.insert(4, b"oops")
    gate = Gate(require_policy(REPO))
    serial = list(answer_batches(gate, lines))
    batches = list(answer_parallel(gate, chunks(lines, 3), 2))
    assert [len(b) for b in batches] == [3] * 6 + [1]
    assert [a for b in batches for a in b] == serial
    assert serial[4] == b'{"verdict":"error","message":"line 5: not valid JSON (column 1)"}'


class _Pipe:
    """A stream whose ``read1`` hands out the given pieces one at a time, as a pipe would."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def read1(self, size: int = -1) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def test_arrivals_batch_the_lines_that_have_arrived() -> None:
    from dunning.compliance.gate import arrivals

    pipe = _Pipe([b"a\nb", b"\n\nc\nd\ne\nf\ng", b"\r\n", b"h"])
    assert list(arrivals(pipe, size=3)) == [
        (1, [b"a\n"]),
        (2, [b"b\n", b"\n", b"c\n"]),  # a blank line is a line: its answer keeps the rest aligned
        (5, [b"d\n", b"e\n", b"f\n"]),
        (8, [b"g\r\n"]),
        (9, [b"h"]),  # the last line has no newline and is still a line
    ]
    # a line longer than one read arrives in pieces and comes out whole
    long = b'{"account": "' + b"x" * 50 + b'"}'
    pipe = _Pipe([long[:20], long[20:40], long[40:] + b"\nnext\n", b"tail"])
    assert list(arrivals(pipe, size=3)) == [(1, [long + b"\n", b"next\n"]), (3, [b"tail"])]
    assert list(arrivals(_Pipe([b"no", b"newline"]))) == [(1, [b"nonewline"])]


def test_stdin_with_workers_answers_each_line_before_the_next_is_sent(tmp_path: Path) -> None:
    import select
    import subprocess
    import sys

    first = request(at="2026-11-02T10:00:00-05:00")
    late = request(at="2026-11-02T21:00:00-05:00")  # 21:00:00 is outside [08:00, 21:00)
    command = [
        sys.executable,
        "-c",
        "from dunning.cli import main; main()",
        "gate",
        "--jobs",
        "2",
        "-",
        str(VALID_REPO),
    ]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0) as gate:
        assert gate.stdin is not None and gate.stdout is not None
        answers = []
        for line in (first, "{", late):
            gate.stdin.write(line.encode() + b"\n")
            gate.stdin.flush()
            # the answer must come while the gate still waits for more input: one that
            # waited for a full batch or for the end of the stream would let this time out
            ready, _, _ = select.select([gate.stdout], [], [], 60)
            if not ready:
                gate.kill()
                raise AssertionError(f"no answer to {line!r} within 60 s while the stream stays open")
            answers.append(json.loads(gate.stdout.readline()))
        gate.stdin.close()
        assert gate.stdout.read() == b""
        assert gate.wait(timeout=60) == 0
    assert [a["verdict"] for a in answers] == ["allow", "error", "reschedule"]
    assert answers[1]["message"] == "line 2: not valid JSON (column 2)"  # the line ends after "{"
    assert answers[2]["reasons"][0]["code"] == "us-regf.call-hours"
    serial = CliRunner().invoke(main, ["gate", "-", str(VALID_REPO)], input=f"{first}\n{{\n{late}\n")
    assert [json.loads(x) for x in serial.output.splitlines()] == answers


def test_the_gate_builds_the_same_contact_as_the_dataclass() -> None:
    import dataclasses
    from datetime import datetime

    from dunning.accounts.model import Contact
    from dunning.compliance.gate import _contact_fast

    at = "2026-11-02T10:00:00-05:00"
    event = {"at": at, "channel": "call", "outcome": "busy", "debt_id": "D-2", "phone": "+12125550100"}
    values = ("A-1", datetime.fromisoformat(at), "call", "busy", "D-2", "+12125550100")
    built = _contact_fast(event, "A-1")
    assert built == Contact(*values)
    # every field: the builder sets the six it reads and each other one to its default
    assert built is not None and dataclasses.astuple(built) == dataclasses.astuple(Contact(*values))
    assert not hasattr(Contact, "__post_init__")


@pytest.mark.parametrize(
    ("line", "column"),
    [
        (b"{\n", 2),  # cut short: the column after the request's last character
        (b"{", 2),
        (b'{"a":\r\n', 6),
        ('{"é": x}\n'.encode(), 7),  # columns count characters, not bytes
        (b"not json\n", 1),
    ],
)
def test_a_json_error_names_the_column_in_the_request_line(line: bytes, column: int) -> None:
    from dunning.compliance.gate import BadRequest, _request

    with pytest.raises(BadRequest, match=rf"^not valid JSON \(column {column}\)$"):
        _request(line)


def test_every_known_location_counts_at_the_gate(tmp_path: Path) -> None:
    # Reg F comment 6(b)(1)(i)-2. A stated Denver zone with a New York phone (the bench's
    # A000000003): 19:30 Mountain is 21:30 in New York. An address in California without a
    # ZIP and a New York phone: 10:30 Eastern is 07:30 in Los Angeles.
    denver = {**ACCOUNT, "timezone": "America/Denver"}
    los_angeles = {**ACCOUNT, "address": "12 Main St, Los Angeles, CA"}
    answers = run(
        [
            request(account=denver, at="2026-11-02T19:30:00-07:00"),
            request(account=denver, at="2026-11-02T18:59:00-07:00"),
            request(account=los_angeles, at="2026-11-02T10:30:00-05:00"),
        ],
        tmp_path,
    )
    # the gate's policy (tests/compliance/gate_repo) has call windows of its own: the law's
    # verdict and reason are what this test is about
    hours = {"code": "us-regf.call-hours", "rule": "us-regf.call-hours", "citation": "12 CFR 1006.6(b)(1)(i)"}
    assert answers[0]["legal_verdict"] == "reschedule"
    assert cast("list[dict[str, str]]", answers[0]["reasons"])[0] == {
        **hours,
        "message": "21:30 in America/New_York is outside the legal hours 08:00–21:00",
    }
    assert answers[1]["legal_verdict"] == "allow"
    assert answers[2]["legal_verdict"] == "reschedule"
    assert cast("list[dict[str, str]]", answers[2]["reasons"])[0] == {
        **hours,
        "message": "07:30 in America/Los_Angeles is outside the legal hours 08:00–21:00",
    }


def test_gb_accounts_of_no_known_nation_keep_every_nations_bank_holidays(tmp_path: Path) -> None:
    gb = {**ACCOUNT, "jurisdiction": "GB", "currency": "GBP", "phone": "+447911123456"}
    scotland = {**gb, "jurisdiction": "GB-SCT"}
    easter_monday = "2026-04-06T10:00:00+01:00"
    answers = run([request(account=gb, at=easter_monday), request(account=scotland, at=easter_monday)], tmp_path)
    assert answers[0] == {
        "verdict": "reschedule",
        "legal_verdict": "allow",
        "earliest": "2026-04-07T08:00:00+01:00",
        "reasons": [
            {
                "code": "holiday",
                "rule": "gb",
                "citation": "policies/timetables.yaml:24:5",
                "message": "public holiday (Easter Monday (ENG, NIR, WLS)); "
                "the timetable gives no `holidays:` window for call",
            }
        ],
    }
    assert answers[1]["verdict"] == "allow"
