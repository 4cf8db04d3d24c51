"""Render's jobs made while the snapshot is read: the same chunks and rows as from one frame of
every row, each chunk handed over as soon as the pieces read so far hold its rows."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from dunning.render.account_rows import CONTEXT_UNUSED, RowReader, account_row_pieces, read_account_rows
from dunning.render.run import _Job, _jobs

EXAMPLES = Path(__file__).parents[2] / "examples"


def _frame(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={name: pl.Utf8 for name in rows[0]})


def _contexts(job: _Job) -> list[dict[str, Any] | None]:
    reader = RowReader(job.columns)
    plan = {"dpd": 5}
    return [reader.row_account(row).account_context(plan, "en-US") if row is not None else None for row in job.rows]


def test_jobs_from_pieces_are_the_jobs_from_one_frame() -> None:
    pieces = [
        _frame([{"account_id": "A3", "jurisdiction": "US", "name": "C", "branch": "x"},
                {"account_id": "A1", "jurisdiction": "US", "name": "A", "branch": None}]),
        _frame([{"account_id": "A2", "jurisdiction": "CN", "name": "B", "region": "east"}]),  # another layout
        _frame([{"account_id": "A6", "jurisdiction": "US", "name": "F", "branch": "y"}]),
    ]  # fmt: skip
    ids = ["A1", "A2", "A3", "A4", "A5", "A6"]  # A4, A5: not in the snapshot
    offsets = array("q", [10 * n for n in range(len(ids))])
    whole = pl.concat(pieces, how="diagonal_relaxed").sort("account_id")
    for size in (1, 2, 4, 500):
        streamed = list(_jobs(ids, offsets, iter(pieces), size))
        framed = list(_jobs(ids, offsets, whole, size))
        assert [job.offsets for job in streamed] == [job.offsets for job in framed]
        assert [_contexts(job) for job in streamed] == [_contexts(job) for job in framed]
        assert [row is None for job in streamed for row in job.rows] == [False, False, False, True, True, False]


def test_a_chunk_is_handed_over_when_its_rows_are_read() -> None:
    read: list[int] = []

    def pieces() -> Iterator[pl.DataFrame]:
        for n, names in enumerate((["A1", "A2"], ["A3", "A4"], ["A5"])):
            read.append(n)
            yield _frame([{"account_id": name, "jurisdiction": "US"} for name in names])

    jobs = _jobs(["A1", "A2", "A3", "A4", "A5"], array("q", range(5)), pieces(), 2)
    assert next(jobs).offsets == [0, 1] and read == [0]  # the first piece holds the first chunk
    assert next(jobs).offsets == [2, 3] and read == [0, 1]
    assert next(jobs).offsets == [4] and read == [0, 1, 2]


def test_pieces_keep_the_first_row_of_an_id_and_make_the_rows_of_one_frame(tmp_path: Path) -> None:
    snapshot = tmp_path / "accounts.csv"
    header, *body = (EXAMPLES / "accounts.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    # ≈ 1,300 rows (pieces of at least 64 KiB: several), each example row under new ids
    rows = [line.replace(line.split(",", 1)[0], f"{line.split(',', 1)[0]}-{n}", 1) for n in range(20) for line in body]
    first, later = rows[5], rows[5].replace(",", ",Other name,", 1)  # the same id, another name
    rows = [*rows[:900], later, *rows[900:], rows[40], rows[40]]  # in a later piece, and twice at the end
    snapshot.write_text(header + "".join(rows), encoding="utf-8")
    ids = list({line.split(",", 1)[0] for line in rows})
    pieces = list(account_row_pieces(snapshot, ids, chunk_rows=8, drop=CONTEXT_UNUSED))
    assert len(pieces) > 2
    together = pl.concat(pieces).sort("account_id")
    assert together["account_id"].is_unique().all() and together.height == len(ids)
    one = read_account_rows(snapshot, ids, chunk_rows=100_000, drop=CONTEXT_UNUSED)
    assert together.equals(one)
    kept = together.filter(pl.col("account_id") == first.split(",", 1)[0])
    assert kept["customer_id"].to_list() == [first.split(",")[1]]  # the first row, not the later one
