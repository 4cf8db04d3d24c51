"""Render's CPU a call with and without the calls filled on columns, one process, alternated.

usage: python benchmarks/call_columns.py ACCOUNTS [--as-of DAY] [--rounds R] [--out DIR]

``dunning build --jobs 1 --no-pdf`` of ACCOUNTS (run from the repository: its policy) in this
process, R times each way, alternated: with the calls whose plan line's one message is a call
filled per decision key on columns (:mod:`dunning.render.columns`, the default) and with
every call (and text) rendered in Python (``ChunkMessages.columns`` removed). Reported from render's own
profile (``DUNNING_RENDER_PROFILE``): the CPU of the shared part (plan lines decoded, rows
read) and of the call channel (the columns included), a call, best of the rounds; and how
many calls the columns filled. The two builds' messages must be the same bytes (checked).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # as a planning worker counts

from dunning.build import BuildRequest, run_build
from dunning.render import columns
from dunning.render.fused import ChunkMessages

ROOT = Path(__file__).resolve().parents[1]


def _build(accounts: Path, day: date, out: Path, on: bool, filled: list[int]) -> dict[str, Any]:
    profile = out.with_suffix(".json")
    os.environ["DUNNING_RENDER_PROFILE"] = str(profile)
    start, lines = ChunkMessages.start, columns.MessageColumns.lines

    def started(self: ChunkMessages, *args: Any, **kwargs: Any) -> None:
        start(self, *args, **kwargs)
        if not on:
            self.columns = None

    def counted(self: columns.MessageColumns, *args: Any) -> Any:
        found = lines(self, *args)
        filled[0] += found["call"].height if "call" in found else 0
        return found

    ChunkMessages.start = started  # type: ignore[method-assign]
    columns.MessageColumns.lines = counted  # type: ignore[method-assign]
    try:
        shutil.rmtree(out, ignore_errors=True)
        request = BuildRequest(ROOT, accounts, day, out, jobs=1, pdf=False, handbook=False)
        run_build(request)
    finally:
        ChunkMessages.start = start  # type: ignore[method-assign]
        columns.MessageColumns.lines = lines  # type: ignore[method-assign]
    figures: dict[str, Any] = json.loads(profile.read_text())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("accounts", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 28))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/call-columns"))
    args = parser.parse_args()
    best: dict[bool, tuple[float, float]] = {}
    filled = [0]
    for round_ in range(args.rounds):
        for on in (False, True) if round_ % 2 == 0 else (True, False):
            filled[0] = 0
            figures = _build(args.accounts.resolve(), args.as_of, args.out / ("on" if on else "off"), on, filled)
            calls = figures["call"]["messages"]
            shared, call = figures["accounts"]["cpu_s"] / calls * 1e6, figures["call"]["cpu_s"] / calls * 1e6
            print(
                f"{time.strftime('%H:%M:%S')} columns {'on ' if on else 'off'}: shared {shared:.2f} + call {call:.2f}"
                f" µs a call ({calls} calls, {filled[0]} filled on columns; load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
            was = best.get(on, (float("inf"), float("inf")))
            best[on] = (min(was[0], shared), min(was[1], call))
    mismatch = filecmp.dircmp(args.out / "on" / "messages", args.out / "off" / "messages")
    if mismatch.diff_files or mismatch.left_only or mismatch.right_only:
        raise SystemExit(f"the two builds' messages differ: {mismatch.diff_files or mismatch.left_only}")
    for on in (False, True):
        shared, call = best[on]
        print(f"best, columns {'on ' if on else 'off'}: {shared:.2f} + {call:.2f} = {shared + call:.2f} µs a call")


if __name__ == "__main__":
    main()
