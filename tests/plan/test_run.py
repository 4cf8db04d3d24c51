"""The plan run end to end: outputs, order, determinism, formats, atomicity, bad input."""

from __future__ import annotations

import csv
import hashlib
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from click.testing import CliRunner

from dunning.accounts.record import RowReject
from dunning.accounts.source import AccountFile
from dunning.cli import main
from dunning.errors import UserError
from dunning.plan import decide
from dunning.plan.build import ChunkResult, PlanInputs, Summary, _RunSink, run_plan, write_plans
from dunning.workers import Workers

AS_OF = date(2026, 11, 28)
OUTPUTS = ("plans.jsonl", "actions.csv", "rejects.csv", "summary.json")


def _run(root: Path, accounts: Path, out: Path, jobs: int = 1, **kw: object) -> None:
    history = root / "examples" / "history.csv"
    run_plan(PlanInputs(root, accounts, AS_OF, history, **kw), out, jobs=jobs)  # type: ignore[arg-type]


def _runs_appended(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each plan run from now on appended every run as it came (True) or merged."""
    seen: list[bool] = []
    finish = _RunSink.finish

    def spy(self: _RunSink, results: list[ChunkResult]) -> tuple[Summary, list[RowReject]]:
        seen.append(self.in_order)
        return finish(self, results)

    monkeypatch.setattr(_RunSink, "finish", spy)
    return seen


def test_sample_portfolio_every_row_accounted(example_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(example_root, example_root / "examples" / "accounts.csv", out)
    summary = orjson.loads((out / "summary.json").read_bytes())
    assert summary["accounts_in"] == 66
    assert (summary["planned"], summary["excluded"], summary["rejected"]) == (51, 8, 7)
    rejects = list(csv.DictReader((out / "rejects.csv").open(encoding="utf-8")))
    assert [(r["line"], r["account_id"], r["code"]) for r in rejects] == [
        ("60", "BAD-0001", "R002"),
        ("61", "BAD-0002", "R003"),
        ("62", "BAD-0003", "R005"),
        ("63", "BAD-0004", "R006"),
        ("64", "BAD-0005", "R008"),
        ("66", "US-0002", "R011"),
        ("67", "BAD-0007", "R001"),
    ]
    plans = [orjson.loads(line) for line in (out / "plans.jsonl").read_bytes().splitlines()]
    ids = [p["account_id"] for p in plans]
    assert ids == sorted(ids) and len(ids) == 59
    assert list(plans[0]) == [
        "account_id", "as_of", "dpd", "tier", "arm", "status", "jurisdiction", "locale", "timezone",
        "currency", "overdue_amount", "exclusions", "actions", "offers",
    ]  # fmt: skip
    assert {p["tier"] for p in plans} == {None, "reminder", "early", "mid", "late", "recovery"}


def test_two_runs_are_byte_identical_and_unsorted_input_is_sorted(example_root: Path, tmp_path: Path) -> None:
    source = example_root / "examples" / "accounts.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    shuffled = tmp_path / "shuffled.csv"
    # the 58 good rows reversed; the bad rows (with the duplicate of US-0002) stay last
    shuffled.write_text(lines[0] + "".join(reversed(lines[1:59])) + "".join(lines[59:]), encoding="utf-8")
    _run(example_root, source, tmp_path / "a")
    _run(example_root, source, tmp_path / "b")
    _run(example_root, shuffled, tmp_path / "c")
    for name in OUTPUTS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    for name in ("plans.jsonl", "actions.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "c" / name).read_bytes(), name


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize(("order", "appended"), [("as-is", False), ("sorted", True), ("shuffled", False)])
def test_small_chunks_merge_to_the_same_bytes(
    example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str, appended: bool, jobs: int
) -> None:
    # 7-row chunks (JSON Lines: a CSV piece is at least 64 KiB, the whole example): runs of a
    # sorted snapshot are appended while the chunks come in; any other order starts the
    # outputs over and goes through the k-way merge (which also finds the duplicate id
    # across chunks); all give the one-chunk bytes, with one worker or two
    lines = (example_root / "examples" / "accounts.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    body = lines[1:]
    if order == "sorted":  # the duplicate of US-0002 dropped: ids strictly increase
        body = sorted({line.split(",", 1)[0]: line for line in reversed(body)}.values())
    elif order == "shuffled":
        body = body[30:] + body[:30]
    (tmp_path / "accounts.csv").write_text(lines[0] + "".join(body), encoding="utf-8")
    source = tmp_path / "accounts.jsonl"
    pl.read_csv(tmp_path / "accounts.csv", infer_schema=False).write_ndjson(source)
    assert sum(1 for _ in AccountFile(source, chunk_rows=7).frames()) == -(-len(body) // 7)
    seen = _runs_appended(monkeypatch)
    _run(example_root, source, tmp_path / "whole")
    _run(example_root, source, tmp_path / "chunked", jobs=jobs, chunk_rows=7)
    assert seen == [True, appended]
    for name in OUTPUTS:
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "chunked" / name).read_bytes(), name


@pytest.mark.parametrize("hashed", [True, False])
@pytest.mark.parametrize("order", ["sorted", "shuffled"])
def test_the_appended_outputs_are_hashed_as_written_when_asked(
    example_root: Path, tmp_path: Path, order: str, hashed: bool
) -> None:
    # `dunning build` asks (its manifest takes these digests); appended runs only: merged
    # outputs are written anew and read back by the manifest
    lines = (example_root / "examples" / "accounts.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    body = sorted({line.split(",", 1)[0]: line for line in reversed(lines[1:])}.values())
    if order == "shuffled":
        body = body[30:] + body[:30]
    (tmp_path / "accounts.csv").write_text(lines[0] + "".join(body), encoding="utf-8")
    source = tmp_path / "accounts.jsonl"
    pl.read_csv(tmp_path / "accounts.csv", infer_schema=False).write_ndjson(source)
    out = tmp_path / "out"
    out.mkdir()
    inputs = PlanInputs(example_root, source, AS_OF, chunk_rows=7)
    summary = write_plans(inputs, out, jobs=2, hashed=hashed)
    if hashed and order == "sorted":
        assert summary.hashes == {
            name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in ("plans.jsonl", "actions.csv")
        }
    else:
        assert summary.hashes == {}
    assert "hashes" not in orjson.loads((out / "summary.json").read_bytes())


@pytest.mark.parametrize(("order", "appended"), [("file", False), ("sorted", True), ("sorted+duplicate", False)])
def test_csv_pieces_through_the_workers_give_the_one_process_bytes(
    example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str, appended: bool
) -> None:
    # the production path: a CSV cut into pieces that two workers read from the file and
    # number from their own start; rejects, duplicates and the merge need the pieces' line
    # offsets. Twenty copies of the example (ids suffixed) are ≈ 360 KiB: six pieces.
    lines = (example_root / "examples" / "accounts.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    body = [line.replace(",", f"-{k:02d},", 1) for k in range(20) for line in lines[1:]]
    if order.startswith("sorted"):  # ids strictly increasing (the in-file duplicates dropped)
        body = sorted({line.split(",", 1)[0]: line for line in reversed(body)}.values())
    first = next(n for n, line in enumerate(body) if line.startswith("CN-"))  # a row that is planned
    if order != "sorted":  # one more duplicate, pieces after its first line: for the sorted
        body.append(body[first])  # file, four pieces are appended before the last is out of order
    source = tmp_path / "accounts.csv"
    source.write_text(lines[0] + "".join(body), encoding="utf-8")
    assert len(list(AccountFile(source, chunk_rows=100).csv_pieces())) == 6
    seen = _runs_appended(monkeypatch)
    _run(example_root, source, tmp_path / "one", jobs=1, chunk_rows=100_000)
    _run(example_root, source, tmp_path / "two", jobs=2, chunk_rows=100)
    assert seen == [True, appended]
    for name in OUTPUTS:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    rejects = (tmp_path / "two" / "rejects.csv").read_text(encoding="utf-8").splitlines()
    if order != "sorted":
        duplicate = body[first].split(",", 1)[0]
        assert rejects[-1] == f"{len(body) + 1},{duplicate},R011,account_id already appeared on line {first + 2}"


def test_worker_processes_give_the_same_bytes(example_root: Path, tmp_path: Path) -> None:
    source = example_root / "examples" / "accounts.csv"
    _run(example_root, source, tmp_path / "one", jobs=1)
    _run(example_root, source, tmp_path / "two", jobs=2)
    for name in OUTPUTS:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_csv_jsonl_parquet_give_identical_plans(example_root: Path, tmp_path: Path) -> None:
    source = example_root / "examples" / "accounts.csv"
    frame = pl.read_csv(source, infer_schema=False)
    frame.write_ndjson(tmp_path / "accounts.jsonl")
    frame.write_parquet(tmp_path / "accounts.parquet")
    for name in ("accounts.jsonl", "accounts.parquet"):
        _run(example_root, tmp_path / name, tmp_path / name.replace(".", "-"))
    _run(example_root, source, tmp_path / "csv")
    for name in ("plans.jsonl", "actions.csv"):
        expected = (tmp_path / "csv" / name).read_bytes()
        assert (tmp_path / "accounts-jsonl" / name).read_bytes() == expected
        assert (tmp_path / "accounts-parquet" / name).read_bytes() == expected


def test_failed_run_leaves_previous_output(example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    _run(example_root, example_root / "examples" / "accounts.csv", out)
    before = {name: (out / name).read_bytes() for name in OUTPUTS}
    original = decide.Planner.plan

    def failing(self: decide.Planner, account, history=(), trace=None, *, held=False):  # type: ignore[no-untyped-def]
        if account.account_id == "US-0030":
            raise RuntimeError("disk on fire")
        return original(self, account, history, trace, held=held)

    monkeypatch.setattr(decide.Planner, "plan", failing)
    with pytest.raises(RuntimeError):
        _run(example_root, example_root / "examples" / "accounts.csv", out, horizon=3)
    assert {name: (out / name).read_bytes() for name in OUTPUTS} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary directories left


CORRUPT = (
    b"\xef\xbb\xbfaccount_id,jurisdiction,currency,overdue_amount,due_date,timezone,phone,dispute,name,creditor,"
    b"itemization_date,itemization_amount,interest_since_itemization,fees_since_itemization,"
    b"payments_since_itemization,credits_since_itemization\n"
    b"K1,US,USD,10.00,2026-11-01,,,no,ok,Example Bank,2026-10-01,10.00,0,0,0,0\n"
    b"K2,US,USD,ten,2026-11-01,,,no,bad amount\n"
    b"K3,US,USD,-1.00,2026-11-01,,,no,negative\n"
    b"K4,US,USD,1.001,2026-11-01,,,no,too many places\n"
    b"K5,US,USD,10.00,2026-13-01,,,no,bad date\n"
    b"K6,ZZ,USD,10.00,2026-11-01,,,no,bad jurisdiction\n"
    b"K7,US,USX,10.00,2026-11-01,,,no,bad currency\n"
    b"K8,US,USD,10.00,2026-11-01,Europe/Nowhere,,no,bad zone\n"
    b"K9,US,USD,10.00,2026-11-01,,+1202,no,bad phone,Example Bank,2026-10-01,10.00,0,0,0,0\n"
    b"K10,US,USD,10.00,2026-11-01,,,perhaps,bad flag\n"
    b"K11,US,USD,10.00,2026-11-01,,,no,Zo\xe9 latin-1\n"
    b"K1,US,USD,10.00,2026-11-01,,,no,duplicate,Example Bank,2026-10-01,10.00,0,0,0,0\n"
    b",US,USD,10.00,2026-11-01,,,no,no id\n"
    b"K12,US,USD,10.00\n"
    b"K13,CN,CNY,88.80,2026-10-01,Asia/Shanghai,+8613812345678,YES,fine\n"
    b"K14,US,USD,10.00,2026-11-01,,,no,Zo\xef\xbf\xbd replaced before it reached us\n"
)


# jobs=2: the worker path, which parses the piece as strict UTF-8 first and skips the
# per-cell search for U+FFFD only when the bytes hold none (here they hold both kinds)
@pytest.mark.parametrize("jobs", [1, 2])
def test_corrupted_corpus_every_row_accounted(example_root: Path, tmp_path: Path, jobs: int) -> None:
    accounts = tmp_path / "corrupt.csv"
    accounts.write_bytes(CORRUPT)
    out = tmp_path / "out"
    _run(example_root, accounts, out, jobs=jobs)
    summary = orjson.loads((out / "summary.json").read_bytes())
    assert (summary["accounts_in"], summary["planned"], summary["excluded"], summary["rejected"]) == (16, 3, 0, 13)
    rejects = [tuple(r) for r in csv.reader((out / "rejects.csv").open(encoding="utf-8"))][1:]
    assert [(r[0], r[1], r[2]) for r in rejects] == [
        ("3", "K2", "R002"),
        ("4", "K3", "R003"),
        ("5", "K4", "R004"),
        ("6", "K5", "R005"),
        ("7", "K6", "R006"),
        ("8", "K7", "R007"),
        ("9", "K8", "R008"),
        ("11", "K10", "R010"),
        ("12", "K11", "R012"),
        ("13", "K1", "R011"),
        ("14", "", "R001"),
        ("15", "K12", "R001"),
        ("17", "K14", "R012"),
    ]
    assert rejects[9][3] == "account_id already appeared on line 2"
    plans = [orjson.loads(line) for line in (out / "plans.jsonl").read_bytes().splitlines()]
    assert [(p["account_id"], p["status"]) for p in plans] == [
        ("K1", "active"),
        ("K13", "paused"),
        ("K9", "active"),
    ]  # a dispute pauses collection; an invalid phone removes calls and texts, not the account


def test_missing_column_is_a_usage_error_before_any_work(example_root: Path, tmp_path: Path) -> None:
    accounts = tmp_path / "a.csv"
    accounts.write_text("account_id,jurisdiction,currency\nA,US,USD\n", encoding="utf-8")
    with pytest.raises(UserError, match="required column"):
        _run(example_root, accounts, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(
        main,
        ["plan", "--accounts", str(accounts), "--as-of", "2026-11-28", "--out", str(tmp_path / "o"), str(example_root)],
    )
    assert result.exit_code == 2
    assert "required column(s) missing: overdue_amount, due_date" in result.output
    assert "Traceback" not in result.output


def test_cli_plan_prints_the_balance_line_and_explain_words(example_root: Path, tmp_path: Path) -> None:
    accounts = str(example_root / "examples" / "accounts.csv")
    history = str(example_root / "examples" / "history.csv")
    args = ["--accounts", accounts, "--history", history, "--as-of", "2026-11-28"]
    result = CliRunner().invoke(main, ["plan", *args, "--out", str(tmp_path / "o"), "--quiet", str(example_root)])
    assert result.exit_code == 0, result.output
    assert result.output == "accounts_in 66 == planned 51 + excluded 8 + rejected 7\n"
    explained = CliRunner().invoke(main, ["explain", "US-0056", *args, str(example_root)])
    assert explained.exit_code == 0, explained.output
    assert "- tier/mid: the first tier (file order) whose bounds hold — dpd 31–60" in explained.output
    assert "- step/mid/call@32 due 2026-11-28: suppressed (us-regf.after-conversation)" in explained.output
    bad_date = CliRunner().invoke(main, ["plan", "--accounts", accounts, "--as-of", "2026-11-31", str(example_root)])
    assert bad_date.exit_code == 2
    assert "is not a date" in bad_date.output
    shutil.rmtree(tmp_path / "o")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_snapshot_whose_rows_are_all_rejected_is_planned_not_a_crash(
    example_root: Path, tmp_path: Path, jobs: int
) -> None:
    # no row left for the decision keys: the key and offer columns of an empty chunk
    accounts = tmp_path / "bad.csv"
    accounts.write_bytes(b"account_id,jurisdiction,currency,overdue_amount,due_date\nK1,US,USD,ten,2026-11-01\n")
    out = tmp_path / "out"
    _run(example_root, accounts, out, jobs=jobs)
    summary = orjson.loads((out / "summary.json").read_bytes())
    assert (summary["accounts_in"], summary["planned"], summary["rejected"]) == (1, 0, 1)
    assert (out / "plans.jsonl").read_bytes() == b""
    assert (out / "rejects.csv").read_text(encoding="utf-8").splitlines() == [
        "line,account_id,code,message",
        "2,K1,R002,overdue_amount is not a plain decimal number such as 1250.50",
    ]


def test_planning_workers_get_their_allocator_options_whatever_polars_set_here(
    example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # polars, imported here, has set jemalloc's options for this process (freed pages kept
    # 0.5 s, then 1 s more resident) in _RJEM_MALLOC_CONF, and appends that variable to its own
    # in every process it starts in: the planning workers must be given their own value, not
    # inherit polars' (in `dunning build` they did until 2026-12-07: ≈ 300 MiB at 1M, ≈ 240 since)
    from dunning.plan import build
    from dunning.plan.pool import WORKER_MALLOC_CONF

    monkeypatch.setenv("_RJEM_MALLOC_CONF", "dirty_decay_ms:500,muzzy_decay_ms:1000")
    given: list[dict[str, str]] = []

    class Spy(Workers):
        def __init__(self, jobs: int, **kw: Any) -> None:
            given.append(dict(kw.get("env") or {}))
            super().__init__(jobs, **kw)

    monkeypatch.setattr(build, "Workers", Spy)
    _run(example_root, example_root / "examples" / "accounts.csv", tmp_path / "two", jobs=2)
    assert [env.get("_RJEM_MALLOC_CONF") for env in given if "_RJEM_MALLOC_CONF" in env] == [WORKER_MALLOC_CONF]
    # freed pages back within 0.2 s, and one arena for a worker's threads (polars' compute and
    # async threads would otherwise fault in afresh what the Python thread just freed)
    assert WORKER_MALLOC_CONF == "dirty_decay_ms:200,muzzy_decay_ms:0,narenas:1"
