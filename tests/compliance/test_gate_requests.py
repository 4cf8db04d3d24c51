"""The gate asked in-process (compliance/gate.py): what a request hands the engine, the exact
error for each malformed part, the fast reader of history events against the general one,
the worker plumbing and how many workers a request file gets. Written from the mutation run
of docs/testing.md; `test_gate.py` drives the same through the CLI."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dunning.accounts.model import Account, Contact
from dunning.compliance import gate as gatemod
from dunning.compliance.engine import Verdict
from dunning.compliance.gate import (
    BadRequest,
    Gate,
    _answer_chunk,
    _contact_fast,
    _moment,
    _request,
    _start_worker,
    answer_parallel,
    arrivals,
    chunks,
    gate_jobs,
)
from dunning.policy import require_policy

from .compliance_support import GATE_ACCOUNT as ACCOUNT
from .compliance_support import GATE_REPO as VALID_REPO

AT = "2026-11-02T10:00:00-05:00"


@pytest.fixture(scope="module")
def gate() -> Gate:
    return Gate(require_policy(VALID_REPO))


def line(**fields: object) -> str:
    body: dict[str, object] = {"account": ACCOUNT, "channel": "call", "at": AT}
    body.update(fields)
    return json.dumps(body)


def error(gate: Gate, text: str, number: int = 1) -> str:
    answer = json.loads(gate.answer(text, number))
    assert answer["verdict"] == "error", answer
    return str(answer["message"])


def test_the_gate_keeps_its_policy(gate: Gate) -> None:
    assert gate.policy.root == str(VALID_REPO)
    assert gate.jurisdictions == tuple(gate.policy.jurisdictions)


def test_what_a_request_hands_the_engine(gate: Gate, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[Any, ...]] = []

    def check(account: Account, channel: str, at: datetime, history: Any, **rest: Any) -> Verdict:
        asked.append((account.account_id, channel, at, history, rest))
        return Verdict("allow", "allow", None, ())

    monkeypatch.setattr(gate.engine, "check", check)
    fast = {"at": "2026-11-01T09:00:00-05:00", "channel": "call", "outcome": "busy"}
    slow = {**fast, "note": "left a message"}  # a note: read by the general reader
    other = {**slow, "account_id": "B-2"}  # the general reader keeps an account id given
    planned = {**fast, "at": "2026-11-02T09:00:00-05:00", "channel": "sms", "outcome": "attempted"}
    text = line(history=[fast, slow, other], planned=[planned], debt_id="L-1", content="Hello", purpose="notice")
    assert json.loads(gate.answer(text, 1)) == {
        "verdict": "allow",
        "legal_verdict": "allow",
        "earliest": None,
        "reasons": [],
    }
    at = datetime.fromisoformat("2026-11-01T09:00:00-05:00")
    assert asked == [
        (
            "A-1",
            "call",
            datetime.fromisoformat(AT),
            (
                Contact("A-1", at, "call", "busy"),
                Contact("A-1", at, "call", "busy", note="left a message"),
                Contact("B-2", at, "call", "busy", note="left a message"),
            ),
            {
                "planned": (Contact("A-1", datetime.fromisoformat("2026-11-02T09:00:00-05:00"), "sms", "attempted"),),
                "debt_id": "L-1",
                "content": "Hello",
                "purpose": "notice",
            },
        )
    ]
    asked.clear()
    gate.answer(line(), 2)
    assert asked[0][3:] == ((), {"planned": (), "debt_id": None, "content": None, "purpose": None})


def test_each_malformed_part_gets_its_own_words(gate: Gate) -> None:
    assert error(gate, line(at=5)) == (
        "line 1: `at` must be an ISO 8601 time with a UTC offset, e.g. 2026-11-02T20:59:00-05:00"
    )
    assert error(gate, line(at="tomorrow")) == "line 1: `at` 'tomorrow' is not an ISO 8601 time"
    assert error(gate, line(debt_id=5)) == "line 1: `debt_id` must be a string"
    assert error(gate, line(purpose=["notice"])) == "line 1: `purpose` must be a string"
    assert error(gate, line(content={})) == "line 1: `content` must be a string"
    assert error(gate, line(account="A-1"), 7) == (
        "line 7: `account` must be an object with the account snapshot's columns"
    )
    assert error(gate, line(history="busy")) == "line 1: `history` must be a list of contact events"
    assert error(gate, line(planned=[5])) == "line 1: planned[0] must be an object"
    assert error(gate, line(colour="red", size=2)) == (
        "line 1: unknown key(s) colour, size; a request has account, history, planned, channel, at, debt_id, "
        "content, purpose"
    )
    # an account of a jurisdiction the policy does not serve is refused, as in the snapshot
    assert error(gate, line(account={**ACCOUNT, "jurisdiction": "DE", "currency": "EUR", "phone": ""})) == (
        "line 1: account rejected (R006): jurisdiction DE is not served by the policy"
    )


def test_the_years_the_engine_can_search_are_accepted(gate: Gate) -> None:
    assert _moment("0002-01-01T00:00:00+00:00").year == 2
    assert _moment("9998-12-31T00:00:00+00:00").year == 9998
    for at in ("0002-06-01T10:00:00+00:00", "9998-06-01T10:00:00+00:00"):
        event = {"at": at, "channel": "call", "outcome": "busy"}
        assert _contact_fast(event, "A-1") == Contact("A-1", datetime.fromisoformat(at), "call", "busy")
        # the general reader (a note) takes the same years
        noted = json.loads(gate.answer(line(history=[{**event, "note": "x"}]), 1))
        assert noted["verdict"] != "error", noted


def test_the_fast_reader_builds_what_the_general_one_would() -> None:
    at = datetime.fromisoformat(AT)
    base = {"at": AT, "channel": "call"}
    assert _contact_fast({**base, "event": "busy"}, "A-1") == Contact("A-1", at, "call", "busy")
    assert _contact_fast({**base, "outcome": "busy"}, "A-1") == Contact("A-1", at, "call", "busy")
    # an event word and an outcome word: the general reader decides
    assert _contact_fast({**base, "event": "busy", "outcome": "busy"}, "A-1") is None
    # a fourth key: what it says is kept, what it does not say is empty
    assert _contact_fast({**base, "outcome": "busy", "debt_id": "D-2"}, "A-1") == Contact(
        "A-1", at, "call", "busy", debt_id="D-2"
    )
    assert _contact_fast({**base, "outcome": "busy", "phone": "+12125550100"}, "A-1") == Contact(
        "A-1", at, "call", "busy", phone="+12125550100"
    )
    assert _contact_fast({**base, "outcome": "busy", "account_id": "B-2"}, "A-1") == Contact("B-2", at, "call", "busy")
    assert _contact_fast({**base, "outcome": "busy", "account_id": ""}, "A-1") == Contact("A-1", at, "call", "busy")
    # anything else goes to the general reader: a value that is not text, or has blanks around it
    for extra in (
        {"debt_id": 5},
        {"phone": 5},
        {"account_id": 5},
        {"debt_id": " D-2"},
        {"phone": "+12125550100 "},
        {"account_id": " B-2"},
        {"note": "x"},
    ):
        assert _contact_fast({**base, "outcome": "busy", **extra}, "A-1") is None, extra


def test_a_json_error_after_the_line_counts_the_characters_of_the_line() -> None:
    for text in ('{"é":\n', '{"é":\n'.encode()):
        with pytest.raises(BadRequest, match=r"^not valid JSON \(column 6\)$"):
            _request(text)


class _Pipe:
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def read1(self, size: int = -1) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def test_arrivals_keep_a_line_begun_before_the_last_read() -> None:
    assert list(arrivals(_Pipe([b"a\nb", b"cd"]))) == [(1, [b"a\n"]), (2, [b"bcd"])]
    # a real buffered stream reads in pieces of the size asked
    stream = io.BufferedReader(io.BytesIO(b"one\ntwo\nthree"))
    assert list(arrivals(stream, size=5, read=4)) == [(1, [b"one\n"]), (2, [b"two\n"]), (3, [b"three"])]


def test_the_workers_plumbing(gate: Gate) -> None:
    lines = [line().encode(), b"oops", line(at="2026-11-02T21:30:00-05:00").encode()]
    serial = gate.answer_batch(lines, 1)
    # one worker: the batches are answered in this process, numbered as they come
    assert [a for b in answer_parallel(gate, chunks(lines, 2), 1) for a in b] == serial
    assert gatemod._WORKER is None
    # with workers, forked from this process, which shares its gate with them while they run
    seen = []
    for batch in answer_parallel(gate, chunks(lines, 2), 2):
        seen.append(gatemod._WORKER is gate)
        assert batch
    assert seen == [True, True]
    assert gatemod._WORKER is None
    # what a worker runs
    try:
        gatemod._WORKER = gate
        assert _answer_chunk((1, lines)) == serial
        assert _answer_chunk((2, lines[1:2])) == [b'{"verdict":"error","message":"line 2: not valid JSON (column 1)"}']
        _start_worker(str(VALID_REPO))
        assert isinstance(gatemod._WORKER, Gate) and gatemod._WORKER is not gate
        assert gatemod._WORKER.policy.root == str(VALID_REPO)
    finally:
        gatemod._WORKER = None


def test_how_many_workers_a_request_file_gets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dunning.workers as workers

    monkeypatch.setattr(workers, "cap", lambda: 4)
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"x" * 100)
    # a file counts twice its size: just under the small-work bound is one worker, at it every core
    half = workers.SMALL_WORK // 2
    under, at = tmp_path / "under.jsonl", tmp_path / "at.jsonl"
    under.write_bytes(b"x" * (half - 1))
    at.write_bytes(b"x" * half)
    assert gate_jobs(None, str(small)) == 1
    assert gate_jobs(None, str(under)) == 1
    assert gate_jobs(None, str(at)) == 4
    assert gate_jobs(0, str(at)) == 4
    assert gate_jobs(None, str(tmp_path / "missing.jsonl")) == 1  # reported when opened
    assert gate_jobs(None, "-") == 4  # a stream: every core
    assert gate_jobs(1, "-") == 1
    assert gate_jobs(3, str(small)) == 3
    third = tmp_path / "third.jsonl"
    third.write_bytes(b"x" * (workers.SMALL_WORK // 3 + 1))  # three times this is over the bound, twice is not
    assert gate_jobs(None, str(third)) == 1
