"""CPU of a planning worker's parts, per account, on chunks whose decisions are all known.

usage: PYTHONPATH=GENERATOR python benchmarks/plan_parts.py ACCOUNTS.csv [--as-of DATE] [--chunks N] [--repeat N]

Plans the first N CSV pieces of ACCOUNTS in this process (one polars thread, as a worker),
once to learn their decisions, then REPEAT more times measuring the CPU (user + system) of
each part: parsing the piece (``CsvPiece.read``), screening (``screen_frame``), the whole
chunk but parsing (``plan_chunk``), and inside it the decision key
(``DecisionKey.columns``) and the fill (``ColumnarPlanner._plan_fast``). Prints ms a chunk
and µs an account, and a chunk's system time and minor page faults (the process runs with
the planning workers' allocator options, ``WORKER_MALLOC_CONF``, which decide which freed
pages are fetched from the system again). Run it with ``PYTHONPATH`` at main's
``generator/`` (a ``git archive``) and at this branch's, one after the other: the machine
is shared, compare within one run and state the load. Learning is not in these figures: it
depends on how many decisions a run meets (docs/plan.md, "CPU per account, by part").
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
from datetime import date
from pathlib import Path

from dunning.plan.build import PlanInputs
from dunning.plan.pool import WORKER_MALLOC_CONF

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # as in a worker; read when polars loads
os.environ["_RJEM_MALLOC_CONF"] = WORKER_MALLOC_CONF  # as in a worker (polars appends it to its own)

import polars as pl

from dunning.accounts.history.rows import History
from dunning.accounts.read import screen_frame
from dunning.accounts.source import AccountFile
from dunning.plan.chunk import PlanningState, plan_chunk
from dunning.plan.columnar import _Contacts, _Outcomes

ROOT = Path(__file__).resolve().parents[1]


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def usage() -> tuple[float, float, int]:
    """CPU (user + system), system time and minor page faults of this process so far."""
    got = resource.getrusage(resource.RUSAGE_SELF)
    return got.ru_utime + got.ru_stime, got.ru_stime, got.ru_minflt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("accounts", type=Path)
    parser.add_argument("--as-of", default="2026-11-28")
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    state = PlanningState(PlanInputs(ROOT, args.accounts, date.fromisoformat(args.as_of)))
    columnar = state.columnar
    pieces = []
    for piece in AccountFile(args.accounts).csv_pieces():
        if len(pieces) >= args.chunks:
            break
        pieces.append(piece)
    spent: dict[str, float] = {}
    kernel = [0.0, 0]  # a whole chunk's (but parsing) system time and minor faults
    rows = 0
    with tempfile.TemporaryDirectory(prefix="plan-parts-") as tmp:
        runs = Path(tmp)
        for index, piece in enumerate(pieces):  # learn every decision of these chunks
            frame, clean = piece.read()
            plan_chunk(state, frame, runs / f"learn{index:04d}", replacement_free=clean)
        for turn in range(args.repeat):
            for index, piece in enumerate(pieces):
                at = cpu()
                frame, clean = piece.read()
                spent["parse"] = spent.get("parse", 0.0) + cpu() - at
                at = cpu()
                screened = screen_frame(frame, state.jurisdictions, replacement_free=clean)
                spent["screen"] = spent.get("screen", 0.0) + cpu() - at
                at, system, faults = usage()
                run = runs / f"{turn}-{index:04d}"
                plan_chunk(state, frame, run, replacement_free=clean)
                done, system_done, faults_done = usage()
                spent["chunk but parsing"] = spent.get("chunk but parsing", 0.0) + done - at
                kernel[0] += system_done - system
                kernel[1] += faults_done - faults
                for written in runs.glob(f"{run.name}.*"):  # as the parent deletes each once appended
                    written.unlink()
                good = screened.good.with_columns(pl.lit(False).alias("__slow"))
                at = cpu()
                fast = columnar.keys.columns(good, None, columnar.blind)
                spent["key"] = spent.get("key", 0.0) + cpu() - at
                at = cpu()
                outcomes = getattr(columnar, "_outcomes", None) or _Outcomes()  # main's has none
                columnar._plan_fast(fast, screened.extra_columns, _Contacts(History(), None), outcomes)
                spent["fill"] = spent.get("fill", 0.0) + cpu() - at
                rows += screened.good.height
    chunks = len(pieces) * args.repeat
    print(f"load {os.getloadavg()[0]:.1f}, {chunks} chunks, {rows / chunks:.0f} rows a chunk")
    for part, seconds in spent.items():
        print(f"{part:18} {seconds / chunks * 1000:7.1f} ms a chunk {seconds / rows * 1e6:6.2f} µs an account")
    print(
        f"a chunk but parsing: {kernel[0] / chunks * 1000:.1f} ms of system time, {kernel[1] / chunks:.0f} minor faults"
    )


if __name__ == "__main__":
    main()
