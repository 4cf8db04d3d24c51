"""The columnar history scan gives the row reader's events and rejects, line for line."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

import orjson
import pytest

from dunning.accounts.history import plain, rows
from dunning.accounts.history.plain import plain_header
from dunning.accounts.history.rows import HistoryReject, cleaned, read_event
from dunning.accounts.history.staging import read_history
from dunning.accounts.model import Contact

QUOTED = '\nA9,2026-11-22T08:00:00+01:00,connected,call,,,,,,"a, b"\n'
HEADER = "account_id,at,event,channel,amount,date,instalments,interval_days,action_id,note,reason\n"
LINES = [
    "A1,2026-11-20T10:15:00-05:00,attempted,call,,,,,,",
    "A1,2026-11-20T10:15:00-05:00,attempt,call,,,,,,",  # alias, same time: order by line
    " A2 , 2026-11-21T09:00:00+08:00 ,\tno_answer\t, sms ,,,,,,",  # blanks around values
    "A3,2026-11-21T09:00:00Z,promise,,12.50,2026-12-01,,,,",
    "A3,2026-11-21T09:00:00,promise,,12.50,2026-12-01,,,,",  # no offset: H002
    "A3,2026-13-21T09:00:00+00:00,payment,,1,,,,,",  # month 13: H002
    "A3,2026-11-21 09:00:00+00:00,payment,,1,,,,,",  # a space for T: the row reader decides
    "A3,2026-11-21T09:00:00.123+00:00,payment,,1,,,,,",  # a fraction: the row reader decides
    "A4,2026-11-22T08:00:00+01:00,wrong_words,call,,,,,,",  # H003
    "A4,2026-11-22T08:00:00+01:00,no_answer,,,,,,,",  # H004 (no channel)
    "A4,2026-11-22T08:00:00+01:00,no_answer,fax,,,,,,",  # H004 (not a channel)
    "A5,2026-11-22T08:00:00+01:00,bounced,,,,,,,",  # implied channel
    "A5,2026-11-22T08:00:00+01:00,promise,,5,,,,,",  # H006 (date)
    "A5,2026-11-22T08:00:00+01:00,payment,,-1,,,,,",  # H005 amount
    "A5,2026-11-22T08:00:00+01:00,payment,,.5,,,,,",
    "A5,2026-11-22T08:00:00+01:00,payment,,5.,,,,,",
    "A6,2026-11-22T08:00:00+01:00,promise,,5,2026-02-30,,,,",  # H005 date
    "A6,2026-11-22T08:00:00+01:00,promise,,5,0000-01-01,,,,",  # H005 date
    "A6,2026-11-22T08:00:00+01:00,arrangement,,5,2026-12-01,0,30,,",  # H005 count
    "A6,2026-11-22T08:00:00+01:00,arrangement,,5,2026-12-01,3,30,,",
    "A6,2026-11-22T08:00:00+01:00,sent,letter,,,,,step-1,Zürich 東京",
    "A6,2026-11-22T08:00:00+01:00,arrears_reason,,,,,,,,Illness",
    "A6,2026-11-22T08:00:00+01:00,arrears_reason,,,,,,,,",  # H006 (reason)
    "A7,2026-11-22T08:00:00+01:00,connected,call,,,,,,\u00a0edge\u00a0",  # Python strips it
    ",2026-11-22T08:00:00+01:00,connected,call,,,,,,",  # H001
    "A8,,connected,call,,,,,,",  # H001
    "A8,2026-11-22T08:00:00+01:00,connected",  # fewer fields
    "A8,2026-11-22T08:00:00+01:00,connected,call,,,,,,,extra,more",  # more fields
    "A9,2026-11-22T08:00:00+25:00,connected,call,,,,,,",  # offset out of range
    "A9,2026-11-22T08:00:00+01:00,payment,,١٢,,,,,",  # Arabic-Indic digits: the row reader decides
]


def _reference(path: Path) -> tuple[dict[str, tuple[Contact, ...]], list[HistoryReject]]:
    """What the row reader (csv module, one line at a time) makes of the file."""
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8").removeprefix("\ufeff"), newline=""))
    grouped: dict[str, list[Contact]] = defaultdict(list)
    rejects: list[HistoryReject] = []
    for row in reader:
        found = read_event(cleaned({k: v for k, v in row.items() if k is not None}), reader.line_num)
        if isinstance(found, HistoryReject):
            rejects.append(found)
        else:
            grouped[found.account_id].append(found)
    events = {
        k: tuple(sorted(v, key=lambda c: (c.at, c.channel, c.outcome, c.line))) for k, v in sorted(grouped.items())
    }
    return events, rejects


@pytest.mark.parametrize(
    ("name", "text", "plain"),
    [
        ("history.csv", HEADER + "\n".join(LINES) + "\n", True),
        ("crlf.csv", "\ufeff" + (HEADER + "\n".join(LINES)).replace("\n", "\r\n"), True),
        ("outcome.csv", HEADER.replace(",event,", ",outcome,") + "\n".join(LINES), True),
        (
            "quoted.csv",
            HEADER + "\n".join(LINES) + '\nA9,2026-11-22T08:00:00+01:00,connected,call,,,,,,"a, b"\n',
            False,
        ),
    ],
)
@pytest.mark.parametrize("batch_rows", [1, 4, 1000])
def test_the_scan_reads_what_the_row_reader_reads(
    tmp_path: Path, name: str, text: str, plain: bool, batch_rows: int
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with path.open("rb") as handle:
        assert (plain_header(path, handle) is not None) is plain
    events, rejects = _reference(path)
    found = read_history(path, batch_rows)
    assert found.rejects == tuple(rejects)
    assert dict(found.events) == events
    assert found.held == frozenset(r.account_id for r in rejects if r.account_id)
    assert [r.code for r in rejects].count("H002") == 3  # the check is not vacuous
    assert sum(map(len, events.values())) > 10


def test_a_json_lines_history_without_a_readable_line_holds_its_accounts(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text('{"account_id": "A1", "at": "yesterday", "event": "busy"}\n[1]\n', encoding="utf-8")
    found = read_history(path)
    assert dict(found.events) == {}
    assert found.rejects == (
        HistoryReject(1, "A1", "H002", "at is not an ISO 8601 time with a UTC offset (e.g. 2026-11-20T10:15:00-05:00)"),
        HistoryReject(2, "", "H007", "the line is not a JSON object"),
    )
    assert found.held == frozenset({"A1"})


def _json_reference(data: bytes) -> tuple[dict[str, tuple[Contact, ...]], list[HistoryReject]]:
    """What the row reader makes of a JSON Lines file read whole: its text cut by
    str.splitlines, a line numbered by its place there."""
    grouped: dict[str, list[Contact]] = defaultdict(list)
    rejects: list[HistoryReject] = []
    content = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            row = None
        if not isinstance(row, dict):
            rejects.append(HistoryReject(number, "", "H007", "the line is not a JSON object"))
            continue
        found = read_event(cleaned(row), number)
        if isinstance(found, HistoryReject):
            rejects.append(found)
        else:
            grouped[found.account_id].append(found)
    events = {
        k: tuple(sorted(v, key=lambda c: (c.at, c.channel, c.outcome, c.line))) for k, v in sorted(grouped.items())
    }
    return events, rejects


def _json_lines() -> bytes:
    """LINES as JSON Lines objects of their non-empty values, with the line ends and lines a
    reader cut in blocks could get wrong: CRLF, a lone CR, blank lines, a U+2028 (a line
    boundary to str.splitlines) inside a value, bad bytes, no line end at the end."""
    names = HEADER.strip().split(",")
    records = [
        orjson.dumps({k: v for k, v in zip(names, next(csv.reader([line])), strict=False) if v}) for line in LINES
    ]
    ends = [b"\n", b"\r\n", b"\r", b"\n\n", b"\n \t\n"]
    body = b"".join(r + ends[i % len(ends)] for i, r in enumerate(records))
    odd = [
        b'{"account_id":"B1","at":"2026-11-22T08:00:00Z","event":"busy","channel":"call","note":"a\xe2\x80\xa8b"}\n',
        b'{"account_id":"B2","at":"2026-11-22T08:00:00Z","event":"busy","channel":"call","note":"\xff"}\n',
        b'["not", "an object"]\r\n',
        b'{"account_id":"B3","at":"2026-11-22T08:00:00Z","event":"busy","channel":"sms"}',
    ]
    return b"\xef\xbb\xbf" + body + b"".join(odd)


@pytest.mark.parametrize("block", [1, 2, 7, 1 << 20])
@pytest.mark.parametrize("batch_rows", [1, 4, 1000])
def test_a_json_lines_history_read_in_blocks_and_batches_reads_as_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, batch_rows: int
) -> None:
    data = _json_lines()
    path = tmp_path / "history.jsonl"
    path.write_bytes(data)
    monkeypatch.setattr(rows, "_TEXT_BLOCK", block)
    events, rejects = _json_reference(data)
    found = read_history(path, batch_rows)
    assert found.rejects == tuple(rejects)
    assert dict(found.events) == events
    assert found.held == frozenset(r.account_id for r in rejects if r.account_id)
    codes = [r.code for r in rejects]
    assert (codes.count("H002"), codes.count("H007")) == (3, 4)  # the check is not vacuous
    assert sum(map(len, events.values())) > 10


@pytest.mark.parametrize("batch_rows", [1, 4, 1000])
def test_a_batch_of_printable_ascii_is_read_without_the_strip_and_edge_test(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_rows: int
) -> None:
    # a batch whose bytes are printable ASCII and newlines alone skips the strip and the
    # edge test (nothing to strip, no edge to flag): its lines read as the row reader reads
    # them, and as the full check reads them (forced here by an empty printable set)
    path = tmp_path / "history.csv"
    path.write_text(HEADER + "\n".join(LINES) + "\n", encoding="utf-8")
    events, rejects = _reference(path)
    seen: list[bool] = []
    check = plain._check

    def spy(frame: object, names: list[str], *, printable: bool = False) -> object:
        seen.append(printable)
        return check(frame, names, printable=printable)  # type: ignore[arg-type]

    monkeypatch.setattr(plain, "_check", spy)
    found = read_history(path, batch_rows)
    assert (found.rejects, dict(found.events)) == (tuple(rejects), events)
    # the lines with blanks, a no-break space or non-ASCII text, and every batch that holds
    # one, take the full check; the others (and with batches of 1000 lines, none) do not
    assert seen.count(False) == {1: 5, 4: 4, 1000: 1}[batch_rows]
    assert seen.count(True) == {1: 25, 4: 4, 1000: 0}[batch_rows]
    monkeypatch.setattr(plain, "_PRINTABLE", b"")
    seen.clear()
    assert read_history(path, batch_rows).events == found.events
    assert not any(seen)


@pytest.mark.parametrize("end", ["\n", ""])
@pytest.mark.parametrize(("want", "guess"), [(1, 1), (7, 1), (3000, 1), (3000, 64), (10_000, 1), (10_000, 500)])
def test_lines_are_read_in_blocks_as_iterating_the_file_gives_them(
    tmp_path: Path, want: int, guess: int, end: str
) -> None:
    # 5,000 lines of 1 to 200 bytes (≈ 500 KB): a batch spans several 64 KiB reads when the
    # guess is short, and one read past its last line when it is long
    lines = [f"A{i},{'x' * (i * 7919 % 200)}\n".encode() for i in range(5000)]
    lines[-1] = lines[-1].removesuffix(b"\n") + end.encode()
    path = tmp_path / "h.csv"
    path.write_bytes(b"".join(lines))
    with path.open("rb") as handle:
        batches = []
        while batch := plain._read_lines(handle, want, guess):
            batches.append(batch)
    expected = [b"".join(lines[i : i + want]) for i in range(0, len(lines), want)]
    assert batches == expected
