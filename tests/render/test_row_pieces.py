"""The snapshot read piece by piece: the first row of each id, the rows of one frame."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dunning.render.account_rows import CONTEXT_UNUSED, account_row_pieces, read_account_rows

EXAMPLES = Path(__file__).parents[2] / "examples"


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
