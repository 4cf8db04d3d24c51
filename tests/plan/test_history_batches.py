"""A plan run reads its history a batch of lines at a time: the batches change nothing.

The batch size is a parameter of the run (``PlanInputs.history_batch_rows``); here it is
tiny, so that unreadable lines fall on both sides of batch boundaries.
"""

from __future__ import annotations

import csv
import io
import itertools
import sqlite3
from datetime import date
from pathlib import Path

import orjson
import polars as pl
import pytest

from dunning.accounts.history.rows import LINE, HistoryReject
from dunning.accounts.history.staging import (
    BATCH_ROWS,
    HistoryLookup,
    cut_history,
    joined_pieces,
    read_history,
    scan_history,
    stage_history,
    stage_piece,
)
from dunning.accounts.location import materialize
from dunning.accounts.source import CHUNK_ROWS
from dunning.errors import UserError
from dunning.plan.build import PlanInputs, run_plan

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 28)
OUTPUTS = ("plans.jsonl", "actions.csv", "rejects.csv", "summary.json", "history-rejects.csv")
# the example's history with unreadable lines put in: with 3 lines a batch (lines 2–4, 5–7,
# 8–10, …) they are the last line of a batch (4, 10), the first (5, 11) and one inside (15);
# line 8 has a no-break space around its event word: flagged by the columns, read by the row
# reader
INSERTED = {
    4: "CN-0027,2026-11-27T12:00:00+08:00,call,shouted,,,,,",
    5: "US-0058,2026-11-27 12:00,call,no_answer,,,,,",
    8: "US-0056,2026-11-27T10:00:00-05:00,call,\u00a0busy\u00a0,,,,,",
    10: ",2026-11-27T12:00:00+08:00,call,no_answer,,,,,",
    11: "CN-0057,2026-11-27T12:00:00+08:00,fax,no_answer,,,,,",
    15: "US-0049,2026-11-20T10:00:00-05:00,call,promise,,,350.00,USD,",
}
REJECTS = [
    "line,account_id,code,message",
    "4,CN-0027,H003,the event is not a word of the history vocabulary (docs/data.md)",
    "5,US-0058,H002,at is not an ISO 8601 time with a UTC offset (e.g. 2026-11-20T10:15:00-05:00)",
    '10,,H001,"account_id is empty; every event needs account_id, at and event"',
    '11,CN-0057,H004,"the channel is not one of call, sms, email, letter, visit"',
    "15,US-0049,H006,a promise event needs date",
]


def _history(folder: Path) -> Path:
    lines = (ROOT / "examples" / "history.csv").read_text(encoding="utf-8").splitlines()
    for number in sorted(INSERTED):
        lines.insert(number - 1, INSERTED[number])
    path = folder / "history.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _plan(
    folder: Path,
    out: str,
    *,
    jobs: int,
    batch_rows: int = BATCH_ROWS,
    chunk_rows: int = CHUNK_ROWS,
    history: Path | None = None,
) -> Path:
    inputs = PlanInputs(
        ROOT,
        ROOT / "examples" / "accounts.csv",
        AS_OF,
        history or folder / "history.csv",
        chunk_rows=chunk_rows,
        history_batch_rows=batch_rows,
    )
    run_plan(inputs, folder / out, jobs=jobs)
    return folder / out


def _assert_batched_as_whole(batched: Path, whole: Path, rejects: list[str], outputs: tuple[str, ...]) -> None:
    """The batched run's exact rejects, its four held accounts, and ``outputs`` byte for byte
    as the run in one batch wrote them."""
    assert (batched / "history-rejects.csv").read_text(encoding="utf-8").splitlines() == rejects
    held = {
        plan["account_id"]
        for plan in map(orjson.loads, (batched / "plans.jsonl").read_bytes().splitlines())
        if "history/unreadable" in [e["code"] for e in plan["exclusions"]]
    }
    assert held == {"CN-0027", "CN-0057", "US-0049", "US-0058"}
    assert orjson.loads((batched / "summary.json").read_bytes())["history"] == {"rejected": 5, "held": 4}
    for name in outputs:
        assert (batched / name).read_bytes() == (whole / name).read_bytes(), name


@pytest.mark.parametrize("jobs", [1, 2])
def test_tiny_history_batches_plan_what_one_batch_plans(tmp_path: Path, jobs: int) -> None:
    _history(tmp_path)
    whole = _plan(tmp_path, "whole", jobs=1)
    batched = _plan(tmp_path, "batched", jobs=jobs, batch_rows=3, chunk_rows=20)
    _assert_batched_as_whole(batched, whole, REJECTS, OUTPUTS)


def test_each_batch_is_staged_as_a_part_sorted_by_account(tmp_path: Path) -> None:
    path = _history(tmp_path)
    staged, checked = stage_history(path, tmp_path / "staged", 3)
    # 19 lines in 7 batches; none is wholly unreadable, so each is a part
    assert [p.name for p in staged.parts] == [f"00000{n}.parquet" for n in range(7)]
    assert checked.lines == 19
    assert checked.rejects == read_history(path).rejects
    assert [r.line for r in checked.rejects] == [4, 5, 10, 11, 15]
    assert checked.held == staged.held == frozenset({"CN-0027", "CN-0057", "US-0049", "US-0058"})
    parts = [pl.read_parquet(p) for p in staged.parts]
    assert [part[LINE].to_list() for part in parts] == [
        [2, 3],
        [6, 7],
        [9, 8],  # CN-0057 before US-0056: sorted by account id within the batch
        [12, 13],
        [14, 16],
        [17, 18, 19],
        [20],
    ]
    assert parts[2].row(1, named=True)["outcome"] == "busy"  # stripped by the row reader
    assert not staged.tracks_sent


def test_a_history_with_only_its_header_stages_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text("account_id,at,event,channel\n", encoding="utf-8")
    staged, checked = stage_history(path, tmp_path / "staged", 3)
    assert (checked.lines, checked.rejects, checked.held) == (0, (), frozenset())
    assert [pl.read_parquet(p).columns for p in staged.parts] == [[LINE, "account_id", "at", "event", "channel"]]


def test_a_reject_keeps_its_line_when_its_batch_has_no_readable_line(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text(
        "account_id,at,event,channel\n"
        "A1,2026-11-27T12:00:00Z,busy,call\n"
        "A2,yesterday,busy,call\n"
        "A3,2026-11-27T12:00:00Z,shouted,call\n"
        "A4,2026-11-27T12:00:00Z,busy,call\n",
        encoding="utf-8",
    )
    staged, checked = stage_history(path, tmp_path / "staged", 1)
    assert [r[:3] for r in checked.rejects] == [(3, "A2", "H002"), (4, "A3", "H003")]
    assert isinstance(checked.rejects[0], HistoryReject)
    assert [pl.read_parquet(p)[LINE].to_list() for p in staged.parts] == [[2], [5]]


def test_a_column_a_batch_leaves_empty_is_staged_as_nulls_and_read_as_empty_text(tmp_path: Path) -> None:
    # polars writes a column of nulls several times faster than one of empty strings; the
    # lookup reads them back as the empty text the scan holds (staged text is never null)
    path = tmp_path / "history.csv"
    path.write_text(
        "account_id,at,event,channel,phone,note\n"
        "A2,2026-11-27T12:00:00Z,busy,call,+15550100,\n"
        "A1,2026-11-27T13:00:00Z,busy,call,,\n"
        "A1,2026-11-27T14:00:00Z,busy,call,,\n"
        "A3,2026-11-27T15:00:00Z,busy,call,,\n",
        encoding="utf-8",
    )
    staged, _checked = stage_history(path, tmp_path / "staged", 2)
    parts = [pl.read_parquet(p) for p in staged.parts]
    assert [part["phone"].to_list() for part in parts] == [["", "+15550100"], [None, None]]
    assert [part["note"].to_list() for part in parts] == [[None, None], [None, None]]
    assert [part["account_id"].to_list() for part in parts] == [["A1", "A2"], ["A1", "A3"]]
    lines = HistoryLookup.of(staged).lines.collect().sort(LINE)
    assert lines.equals(scan_history(path).frame.sort(LINE))
    assert lines["phone"].to_list() == ["+15550100", "", "", ""]
    assert lines["note"].to_list() == ["", "", "", ""]
    chunk = HistoryLookup.of(staged).lines.filter(pl.col("account_id") == "A1").collect()
    assert chunk[LINE].to_list() == [3, 4]
    assert chunk["phone"].to_list() == ["", ""]


# ---------------------------------------------------------------- pieces, staged apart
# With workers, a plain CSV history is cut at line ends into pieces staged by a process
# each (two a worker: four at --jobs 2, so the tests above at --jobs 2 cut their 19 lines
# into pieces of ≈ 5). Joined in file order, the pieces are the file staged whole.
@pytest.mark.parametrize("pieces", [1, 2, 4, 7, 40])
@pytest.mark.parametrize("batch_rows", [1, 3, 1000])
@pytest.mark.parametrize("form", ["lf", "bom-crlf"])
def test_pieces_staged_apart_join_into_the_file_staged_whole(
    tmp_path: Path, pieces: int, batch_rows: int, form: str
) -> None:
    path = _history(tmp_path)
    if form == "bom-crlf":
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    found = cut_history(path, pieces)
    assert found is not None
    cut = list(found)
    # 40 asked of 19 lines: a piece a line (no piece is empty)
    assert len(cut) == min(pieces, 19)
    # each piece starts where the lines before it end, and numbers its lines on from theirs
    assert cut[0].first_line == 2 and cut[-1].lines is None
    for before, after in itertools.pairwise(cut):
        assert before.lines is not None and before.lines >= 1
        assert after.first_line == before.first_line + before.lines
    (tmp_path / "staged").mkdir()
    staged_pieces = [stage_piece(piece, tmp_path / "staged", batch_rows) for piece in cut]
    staged, checked = joined_pieces([p for p in staged_pieces if p is not None])
    assert len(staged_pieces) == len(cut) and None not in staged_pieces
    whole = scan_history(path)
    assert [r[:3] for r in checked.rejects] == [
        (4, "CN-0027", "H003"),
        (5, "US-0058", "H002"),
        (10, "", "H001"),
        (11, "CN-0057", "H004"),
        (15, "US-0049", "H006"),
    ]
    assert checked.rejects == whole.rejects
    assert (checked.lines, checked.held, staged.held) == (19, whole.held, whole.held)
    assert staged.tracks_sent is whole.tracks_sent is False
    lines = HistoryLookup.of(staged).lines.collect().sort(LINE)
    assert lines.equals(whole.frame)
    assert lines.height == 14


def test_a_quote_in_a_later_piece_has_the_row_reader_read_the_file_whole(tmp_path: Path) -> None:
    path = _history(tmp_path)
    # the last line quoted: plain up to there, so only the last piece finds out
    path.write_text(path.read_text(encoding="utf-8") + 'US-0056,2026-11-27T11:00:00-05:00,"call",busy,,,,,\n')
    found = cut_history(path, 4)
    assert found is not None
    cut = list(found)
    assert len(cut) == 4
    (tmp_path / "staged").mkdir()
    assert stage_piece(cut[0], tmp_path / "staged", 3) is not None
    assert stage_piece(cut[-1], tmp_path / "staged", 3) is None
    whole = _plan(tmp_path, "whole", jobs=1)
    pieces = _plan(tmp_path, "pieces", jobs=2, batch_rows=3, chunk_rows=20)
    _assert_batched_as_whole(pieces, whole, REJECTS, OUTPUTS)
    assert b"US-0056" in (whole / "plans.jsonl").read_bytes()


@pytest.mark.parametrize("text", ["", "\ufeff", "account_id,at,event\n", '"account_id",at,event\nA1,x,y\n'])
def test_a_history_without_a_plain_header_is_not_cut(tmp_path: Path, text: str) -> None:
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    cut = cut_history(path, 4)
    if text.startswith("account_id"):  # a header alone: one piece, its first batch empty
        assert cut is not None and [(p.first_line, p.lines) for p in cut] == [(2, None)]
    else:
        assert cut is None


def test_a_history_missing_a_column_stops_a_run_with_workers_as_one_without(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text("account_id,event\nA1,busy\n", encoding="utf-8")
    messages = []
    for jobs in (1, 2):
        with pytest.raises(UserError) as caught:
            _plan(tmp_path, f"out{jobs}", jobs=jobs, history=path)
        messages.append((caught.value.message, caught.value.hint))
    assert messages[0] == messages[1]
    assert messages[0][0] == f"{path}: history column(s) missing: at"


# ---------------------------------------------------------------- every source, in batches
# A history that is not plain CSV — JSON Lines (what a database, a Parquet dataset or a JSON
# stdin arrives as) or CSV with quotes — is read by the row reader a batch at a time too.
# JSON Lines has no header: a line's number there is the CSV's less one.
SOURCES = ("quoted.csv", "history.jsonl", "stdin", "sqlite", "dataset", "history.parquet")


def _records(folder: Path) -> list[dict[str, str]]:
    """The history with the unreadable lines, as records of their non-empty values."""
    with _history(folder).open(encoding="utf-8", newline="") as fh:
        return [{k: v for k, v in row.items() if v} for row in csv.DictReader(fh)]


def _source(folder: Path, kind: str) -> Path:
    """The history of :func:`_history` from ``kind``, as the command line gets it (a file)."""
    records = _records(folder)
    jsonl = b"".join(orjson.dumps(r) + b"\n" for r in records)
    scratch = folder / f"scratch-{kind}"
    scratch.mkdir()
    if kind == "quoted.csv":
        path = folder / "quoted.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerow(HEADER)
            writer.writerows([r.get(c, "") for c in HEADER] for r in records)
        return path
    if kind == "history.jsonl":
        (folder / kind).write_bytes(jsonl)
        return folder / kind
    if kind == "stdin":
        return materialize("-", "history", scratch, io.BytesIO(jsonl))
    if kind == "sqlite":
        with sqlite3.connect(folder / "history.db") as db:
            db.execute(f"CREATE TABLE history ({', '.join(f'{c} TEXT' for c in HEADER)})")
            db.executemany(
                f"INSERT INTO history VALUES ({', '.join('?' * len(HEADER))})",
                [[r.get(c) for c in HEADER] for r in records],
            )
        return materialize(f"sqlite:///{folder / 'history.db'}", "history", scratch)
    frame = pl.DataFrame([[r.get(c) for c in HEADER] for r in records], schema=HEADER, orient="row")
    if kind == "history.parquet":
        frame.write_parquet(folder / kind)
        return materialize(str(folder / kind), "history", scratch)
    dataset = folder / "dataset"
    dataset.mkdir()
    frame.write_parquet(dataset / "part-0.parquet")
    return materialize(str(dataset), "history", scratch)


HEADER = ["account_id", "at", "channel", "outcome", "debt_id", "phone", "amount", "currency", "date"]


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("kind", SOURCES)
def test_every_source_is_read_in_batches_with_the_same_rejects(tmp_path: Path, kind: str, jobs: int) -> None:
    path = _source(tmp_path, kind)
    shift = 0 if kind.endswith(".csv") else 1  # JSON Lines: no header line
    expected = [REJECTS[0]] + [_shifted(line, shift) for line in REJECTS[1:]]

    whole = _plan(tmp_path, "whole", jobs=jobs, history=path)
    batched = _plan(tmp_path, "batched", jobs=jobs, batch_rows=3, chunk_rows=20, history=path)
    # summary.json names the input file, which differs by source
    _assert_batched_as_whole(batched, whole, expected, tuple(n for n in OUTPUTS if n != "summary.json"))
    # and the plans are those of the plain CSV history
    csv_run = _plan(tmp_path, "csv", jobs=1)
    for name in ("plans.jsonl", "actions.csv"):
        assert (batched / name).read_bytes() == (csv_run / name).read_bytes(), name


def _shifted(reject: str, shift: int) -> str:
    line, rest = reject.split(",", 1)
    return f"{int(line) - shift},{rest}"


def test_a_json_lines_history_is_staged_a_batch_at_a_time(tmp_path: Path) -> None:
    path = _source(tmp_path, "history.jsonl")
    staged, checked = stage_history(path, tmp_path / "staged", 3)
    # 19 lines, 7 batches; each batch a part, with the columns its lines name
    assert [pl.read_parquet(p)[LINE].to_list() for p in staged.parts] == [
        [1, 2],
        [5, 6],
        [8, 7],
        [11, 12],
        [13, 15],
        [16, 17, 18],
        [19],
    ]
    assert staged.columns[0] == (LINE, "account_id", "at", "channel", "outcome")
    assert staged.columns[3] == (LINE, "account_id", "at", "channel", "outcome", "amount", "currency", "date")
    assert len(set(staged.columns)) == 2
    assert [r[:3] for r in checked.rejects] == [
        (3, "CN-0027", "H003"),
        (4, "US-0058", "H002"),
        (9, "", "H001"),
        (10, "CN-0057", "H004"),
        (14, "US-0049", "H006"),
    ]
    # the workers read the parts as one frame: a column a part lacks is empty text
    lines = HistoryLookup.of(staged).lines.collect().sort(LINE)
    whole = scan_history(path).frame
    assert lines.columns == whole.columns == [LINE, *(c for c in HEADER if c not in ("debt_id", "phone"))]
    assert lines.equals(whole)
    assert lines.filter(pl.col(LINE) == 1).row(0, named=True)["amount"] == ""


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_chunk_with_many_history_lines_is_planned_in_slices_to_the_same_bytes(tmp_path: Path, jobs: int) -> None:
    # 19 lines, 14 readable, on a chunk of the example's accounts: two lines a slice cut it
    # into seven slices of rows, each planned with its own accounts' lines
    _history(tmp_path)
    whole = _plan(tmp_path, "whole", jobs=1)
    history = tmp_path / "history.csv"
    inputs = PlanInputs(ROOT, ROOT / "examples" / "accounts.csv", AS_OF, history, history_slice_lines=2)
    run_plan(inputs, tmp_path / "sliced", jobs=jobs)
    for name in OUTPUTS:
        assert (tmp_path / "sliced" / name).read_bytes() == (whole / name).read_bytes(), name
    assert b'"history/unreadable"' in (whole / "plans.jsonl").read_bytes()
