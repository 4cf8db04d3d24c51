"""CPU of a plan's parts with a contact history, in one process, with and without the history.

usage: PYTHONPATH=GENERATOR python benchmarks/history_parts.py ACCOUNTS.csv [HISTORY.csv] [--as-of D] [--chunk-rows N]

Stages HISTORY as a planning worker does (``stage_history``: read, check, sort, write the
Parquet parts; one polars thread, as in a worker), then plans every chunk of ACCOUNTS in
this process (``plan_chunk``, the decisions learned as a run learns them) and prints the CPU
(user + system) of each part, measured by wrappers around the functions named (a part
nested in another is counted in both: ``learn`` is inside ``plan_fast``, ``caps`` inside
``key columns``). Without HISTORY, the same chunks without one: the ratio of the two runs'
planning CPU, and the staging beside it, is what the history costs a run, before the two
workers share it. It also prints how many (part, account) pairs the staged parts hold: what
a per-account reduction done part by part in the staging would still leave to merge
(docs/performance.md, "Plan with a contact history", 2026-12-07 `hhist5`).

Run it with ``PYTHONPATH`` at main's ``generator/`` (a ``git archive``) and at a branch's,
one after the other, a few times each: the machine is shared, compare within one session
and state the load.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # as in a worker; read when polars loads

import polars as pl

import dunning.accounts.history as history
import dunning.plan.chunk as chunk
import dunning.plan.columnar as columnar
import dunning.plan.key as key
import dunning.plan.key_history as key_history
from dunning.accounts.source import AccountFile
from dunning.plan.build import CHUNK_ROWS, PlanInputs

ROOT = Path(__file__).resolve().parents[1]
SPENT: Counter[str] = Counter()


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured(owner: Any, name: str, label: str) -> None:
    """Wrap ``owner.name`` so that its CPU adds to ``SPENT[label]``."""
    function: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        at = cpu()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[label] += cpu() - at

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("accounts", type=Path)
    parser.add_argument("history", type=Path, nargs="?", default=None)
    parser.add_argument("--as-of", default="2026-11-28")
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS)
    args = parser.parse_args()
    for owner, name, label in (
        (chunk, "_chunk_lines", "chunk lines"),
        (columnar, "event_columns", "event_columns"),
        (columnar, "derived_state", "derived_state"),
        (key.DecisionKey, "columns", "key columns"),
        (key_history.HistoryKey, "caps", "caps"),
        (key_history.HistoryKey, "outcomes", "outcomes"),
        (columnar.ColumnarPlanner, "_plan_fast", "plan_fast"),
        (columnar.ColumnarPlanner, "_learn", "learn"),
        (columnar._Contacts, "of", "event objects"),
        (columnar.ColumnarPlanner, "_plan_slow", "plan_slow"),
        (history, "_read_plain", "staging: read"),
        (history, "_check", "staging: check"),
    ):
        measured(owner, name, label)
    tmp = Path(tempfile.mkdtemp(prefix="history-parts-"))
    try:
        inputs = PlanInputs(
            ROOT, args.accounts, date.fromisoformat(args.as_of), args.history, chunk_rows=args.chunk_rows
        )
        if args.history is not None:
            at = cpu()
            staged, checked = history.stage_history(args.history, tmp / "history")
            print(f"staging: {cpu() - at:.2f} s CPU, {checked.lines} lines, {len(staged.parts)} parts")
            pairs = sum(
                pl.scan_parquet(part).select(pl.col("account_id").n_unique()).collect().item() for part in staged.parts
            )
            print(f"  (part, account) pairs: {pairs}")
            inputs = replace(inputs, staged_history=staged)
        state = chunk.PlanningState(inputs)
        frames = [frame for frame, _rejects in AccountFile(args.accounts, None, inputs.chunk_rows).frames()]
        at = cpu()
        for index, frame in enumerate(frames):
            chunk.plan_chunk(state, frame, tmp / f"{index:06d}")
        print(
            f"planning: {cpu() - at:.2f} s CPU, {len(frames)} chunks, {state.columnar.learned} decisions learned, "
            f"{len(state.columnar.templates)} keys"
        )
        for label, seconds in sorted(SPENT.items(), key=lambda item: -item[1]):
            print(f"  {label:20s} {seconds:6.2f}")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
