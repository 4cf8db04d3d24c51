"""Render's CPU a call (or an email) with and without its filling per decision key, one process, alternated.

usage: python benchmarks/call_columns.py ACCOUNTS [--channel call|email] [--as-of DAY] [--rounds R]
       [--out DIR] [--no-files]

``dunning build --jobs 1 --no-pdf`` of ACCOUNTS (run from the repository: its policy) in this
process, R times each way, alternated: with the messages whose plan line's one message is a
call (or an ``.eml`` email) filled per decision key (:mod:`dunning.render.columns`: calls on
columns, emails by string joins; the default) and with every one rendered in Python
(``ChunkMessages.columns`` or ``.emails`` removed; without the columns, texts too). Reported from render's own profile
(``DUNNING_RENDER_PROFILE``): the CPU of the shared part (plan lines decoded, rows read) a
message of the channel, and of the channel (its per-key part included), best of the rounds;
and how many were filled per key. ``--no-files``: the messages' files are hashed but not
written (an email's create and write are this machine's file system's, ≈ 20-300 µs, and swamp
the rest; the two builds are then not compared). Else the two builds' messages must be the
same bytes (checked).
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
from dunning.render import batch, columns
from dunning.render.files import sha256_bytes
from dunning.render.fused import ChunkMessages

ROOT = Path(__file__).resolve().parents[1]
# per channel: the follower's attribute that fills it, the method that does, its count of a result
FILLERS: dict[str, tuple[str, type, str]] = {
    "call": ("columns", columns.MessageColumns, "lines"),
    "email": ("emails", columns.EmailColumns, "messages"),
}


def _count(found: Any) -> int:
    # MessageColumns.lines: each channel's lines (the calls' counted); EmailColumns.messages: positions
    if isinstance(found, dict):
        return int(found["call"].height) if "call" in found else 0
    return len(found)


def _hashed(root: Path, relative: str, data: bytes) -> tuple[str, str]:
    return relative, sha256_bytes(data)


def _build(accounts: Path, day: date, out: Path, on: bool, channel: str, files: bool, filled: list[int]) -> Any:
    profile = out.with_suffix(".json")
    os.environ["DUNNING_RENDER_PROFILE"] = str(profile)
    attribute, kind, method = FILLERS[channel]
    start, fill, write = ChunkMessages.start, getattr(kind, method), batch.write_bytes

    def started(self: ChunkMessages, *args: Any, **kwargs: Any) -> None:
        start(self, *args, **kwargs)
        if not on:
            setattr(self, attribute, None)

    def counted(self: Any, *args: Any) -> Any:
        found = fill(self, *args)
        filled[0] += _count(found)
        return found

    ChunkMessages.start = started  # type: ignore[method-assign]
    setattr(kind, method, counted)
    if not files:
        batch.write_bytes = _hashed
    try:
        shutil.rmtree(out, ignore_errors=True)
        request = BuildRequest(ROOT, accounts, day, out, jobs=1, pdf=False, handbook=False)
        run_build(request)
    finally:
        ChunkMessages.start = start  # type: ignore[method-assign]
        setattr(kind, method, fill)
        batch.write_bytes = write
    return json.loads(profile.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("accounts", type=Path)
    parser.add_argument("--channel", choices=sorted(FILLERS), default="call")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 28))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/call-columns"))
    parser.add_argument("--no-files", dest="files", action="store_false")
    args = parser.parse_args()
    best: dict[bool, tuple[float, float]] = {}
    filled = [0]
    channel = args.channel
    for round_ in range(args.rounds):
        for on in (False, True) if round_ % 2 == 0 else (True, False):
            filled[0] = 0
            out = args.out / ("on" if on else "off")
            figures = _build(args.accounts.resolve(), args.as_of, out, on, channel, args.files, filled)
            count = figures[channel]["messages"]
            shared, own = figures["accounts"]["cpu_s"] / count * 1e6, figures[channel]["cpu_s"] / count * 1e6
            print(
                f"{time.strftime('%H:%M:%S')} per key {'on ' if on else 'off'}: shared {shared:.2f} + {channel}"
                f" {own:.2f} µs a {channel} ({count} of them, {filled[0]} filled per key;"
                f" load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
            was = best.get(on, (float("inf"), float("inf")))
            best[on] = (min(was[0], shared), min(was[1], own))
    if args.files:
        for sub in ("", "email"):
            mismatch = filecmp.dircmp(args.out / "on" / "messages" / sub, args.out / "off" / "messages" / sub)
            if mismatch.diff_files or mismatch.left_only or mismatch.right_only:
                raise SystemExit(f"the two builds' messages differ: {mismatch.diff_files or mismatch.left_only}")
    for on in (False, True):
        shared, own = best[on]
        print(f"best, per key {'on ' if on else 'off'}: {shared:.2f} + {own:.2f} = {shared + own:.2f} µs a {channel}")


if __name__ == "__main__":
    main()
