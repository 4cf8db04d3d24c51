"""Planning accounts read from PostgreSQL against the same accounts read from Parquet.

Times ``dunning plan --accounts SOURCE --as-of 2026-11-28 --out DIR`` end to end in a
subprocess for a Parquet file and for a PostgreSQL table holding the same rows (text
columns, as the CSV has them), checks that both plans are byte-identical, and prints the
ratio. The table is loaded first (untimed) from the shared bench portfolio
(``../shared/bench/make_accounts.py``) into the server of ``--server`` (a libpq URI without
password; libpq takes it from PGPASSWORD or ~/.pgpass). The load average is printed with
the figures: on a shared machine the ratio of one run is the fair comparison.

Usage::

    .venv/bin/python benchmarks/source_bench.py --server postgresql://postgres@127.0.0.1:55432/postgres \\
        [--accounts 1000000] [--repeat 1]

It is a benchmark, not a test: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "bench" / "make_accounts.py"


def plan(source: str, out: Path) -> float:
    """Wall seconds of one ``dunning plan`` of ``source`` into ``out``."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from dunning.cli import main; main()", "plan", "--accounts", source,
         "--as-of", "2026-11-28", "--out", str(out), "--quiet", str(ROOT)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "generator")},
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    import adbc_driver_postgresql.dbapi as postgres
    import polars as pl

    with tempfile.TemporaryDirectory(prefix="source-bench-") as tmp:
        work = Path(tmp)
        csv = work / "accounts.csv"
        subprocess.run([sys.executable, str(GENERATOR), str(args.accounts), str(csv), "7"], check=True)
        frame = pl.read_csv(csv, infer_schema=False)
        frame.write_parquet(work / "accounts.parquet")
        with postgres.connect(args.server) as connection, connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS source_bench")
            cursor.adbc_ingest("source_bench", frame.to_arrow(), mode="create")
            connection.commit()
        del frame
        sources = {"parquet": str(work / "accounts.parquet"), "postgresql": f"{args.server}?table=source_bench"}
        for run in range(args.repeat):
            times = {name: plan(source, work / name) for name, source in sources.items()}
            same = (work / "parquet" / "plans.jsonl").read_bytes() == (work / "postgresql" / "plans.jsonl").read_bytes()
            print(
                f"run {run + 1}: {args.accounts} accounts, parquet {times['parquet']:.1f} s, "
                f"postgresql {times['postgresql']:.1f} s, ratio {times['postgresql'] / times['parquet']:.2f}x, "
                f"plans identical: {same}, load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        with postgres.connect(args.server) as connection, connection.cursor() as cursor:
            cursor.execute("DROP TABLE source_bench")
            connection.commit()


if __name__ == "__main__":
    main()
