"""Accounts and history from where they live: standard input, gzip/zstd files, a Parquet
dataset folder, a SQLite table or query — each planned exactly as the CSV is."""

from __future__ import annotations

import csv
import gzip
import sqlite3
from pathlib import Path

import polars as pl
import pytest
import zstandard
from click.testing import CliRunner

from dunning.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = ROOT / "examples" / "accounts.csv"
HISTORY = ROOT / "examples" / "history.csv"


def plan(tmp_path: Path, accounts: str, history: str = str(HISTORY), stdin: bytes | None = None) -> tuple[int, str]:
    out = tmp_path / "out"
    args = ["plan", "--accounts", accounts, "--history", history, "--as-of", "2026-11-28", "--horizon", "7"]
    result = CliRunner().invoke(main, [*args, "--out", str(out), str(ROOT)], input=stdin)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def from_csv(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp = tmp_path_factory.mktemp("csv")
    code, output = plan(tmp, str(ACCOUNTS))
    assert code == 0, output
    return (tmp / "out" / "plans.jsonl").read_bytes()


def database(path: Path) -> Path:
    """The example snapshot and history as two SQLite tables of text columns."""
    with sqlite3.connect(path) as db:
        for table, source in (("accounts", ACCOUNTS), ("history", HISTORY)):
            with source.open(encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.reader(fh))
            columns = ", ".join(f'"{c}" TEXT' for c in rows[0])
            db.execute(f"CREATE TABLE {table} ({columns})")
            marks = ", ".join("?" * len(rows[0]))
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", [[v or None for v in r] for r in rows[1:]])
    return path


@pytest.mark.parametrize(
    "kind", ["gz", "zst", "jsonl.gz", "stdin", "dataset", "sqlite", "sqlite-query", "parquet-history"]
)
def test_every_source_plans_as_the_csv(tmp_path: Path, from_csv: bytes, kind: str) -> None:
    data = ACCOUNTS.read_bytes()
    history, stdin = str(HISTORY), None
    if kind == "gz":
        source = tmp_path / "accounts.csv.gz"
        source.write_bytes(gzip.compress(data, mtime=0))
        (tmp_path / "history.csv.gz").write_bytes(gzip.compress(HISTORY.read_bytes(), mtime=0))
        history = str(tmp_path / "history.csv.gz")
    elif kind == "zst":
        source = tmp_path / "accounts.csv.zst"
        source.write_bytes(zstandard.ZstdCompressor().compress(data))
    elif kind == "jsonl.gz":
        source = tmp_path / "accounts.jsonl.gz"
        frame = pl.read_csv(ACCOUNTS, infer_schema=False)
        source.write_bytes(gzip.compress(frame.write_ndjson().encode("utf-8"), mtime=0))
    elif kind == "stdin":
        source, stdin = "-", data  # type: ignore[assignment]
    elif kind == "parquet-history":  # a Parquet history file (it was read as CSV: no columns)
        source = ACCOUNTS
        pl.read_csv(HISTORY, infer_schema=False).write_parquet(tmp_path / "history.parquet")
        history = str(tmp_path / "history.parquet")
    elif kind == "dataset":
        source = tmp_path / "snapshot"
        frame = pl.read_csv(ACCOUNTS, infer_schema=False)
        frame.write_parquet(source, partition_by="currency")  # snapshot/currency=CNY/….parquet
        assert (source / "currency=CNY").is_dir()
    else:
        db = database(tmp_path / "book.db")
        query = "?query=SELECT%20*%20FROM%20accounts%20ORDER%20BY%20account_id%20DESC" if kind == "sqlite-query" else ""
        source = f"sqlite:///{db}{query}"  # type: ignore[assignment]  # a location, not a path
        history = f"sqlite:///{db}?table=history"
    code, output = plan(tmp_path, str(source), history, stdin)
    assert code == 0, output
    assert "accounts_in 66 == planned 51 + excluded 8 + rejected 7" in output
    assert (tmp_path / "out" / "plans.jsonl").read_bytes() == from_csv
    assert not list(Path(tmp_path).glob("dunning-*"))


def test_rejects_keep_their_position_from_a_database(tmp_path: Path) -> None:
    db = database(tmp_path / "book.db")
    code, _ = plan(tmp_path, f"sqlite:///{db}")
    assert code == 0
    from_db = list(csv.DictReader((tmp_path / "out" / "rejects.csv").open(encoding="utf-8")))
    code, _ = plan(tmp_path, str(ACCOUNTS))
    from_file = list(csv.DictReader((tmp_path / "out" / "rejects.csv").open(encoding="utf-8")))
    # the same rows rejected for the same reasons; a CSV counts its header as line 1, a table's
    # first row is row 1
    assert len(from_db) == 7  # an invalid phone is not a reject (data/phone-invalid)
    assert [(r["account_id"], r["code"]) for r in from_db] == [(r["account_id"], r["code"]) for r in from_file]
    assert [int(r["line"]) + 1 for r in from_db] == [int(r["line"]) for r in from_file]


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ("sqlite:///{db}?table=loans", "the query failed (no such table: loans)"),
        ("sqlite:///{db}?query=DELETE%20FROM%20accounts", "the query must be a SELECT"),
        ("sqlite:///{db}?table=a&query=SELECT%201", "give ?table=NAME or ?query=SELECT … (one of them, once)"),
        ("sqlite:///{tmp}/missing.db", "no such SQLite database"),
        ("{tmp}/accounts.parquet.gz", "a compressed input must be CSV or JSON Lines"),
        ("{tmp}/empty-folder", "a folder given as input must hold Parquet files (a dataset); it has none"),
    ],
)
def test_bad_sources_are_usage_errors(tmp_path: Path, accounts: str, message: str) -> None:
    db = database(tmp_path / "book.db")
    (tmp_path / "empty-folder").mkdir()
    (tmp_path / "accounts.parquet.gz").write_bytes(gzip.compress(b"x"))
    before = (tmp_path / "book.db").read_bytes()
    code, output = plan(tmp_path, accounts.format(db=db, tmp=tmp_path))
    assert code == 2 and message in output, output
    assert "Traceback" not in output
    assert (tmp_path / "book.db").read_bytes() == before  # read-only
