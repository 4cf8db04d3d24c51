"""``dunning plan`` against the in-house peer, side by side in one run.

usage: python benchmarks/plan_bench.py [--sizes 100000,1000000] [--peer-max N] [--work DIR] [--jobs N]
                                       [--repeat N]

- Portfolios come from ../shared/bench/make_accounts.py (seed 7), cached in --work.
- For each size the peer (``peer_pandas.py``: pandas iterrows, a tier ladder, one Jinja SMS
  per account) and ``dunning plan`` run one after the other on the same CSV and as-of date.
  The peer runs only up to --peer-max rows (default 100k: it takes minutes beyond); for a
  larger portfolio its throughput at --peer-max is extrapolated linearly, and the report
  says so.
- Peak memory: the peak of the *sum* of RSS over the process tree (workers included),
  sampled every 50 ms from /proc.
- With --repeat N each side runs N times per size and its fastest run counts (this VM's
  speed drifts by ±20 % within minutes; the slowest runs are the disturbed ones).
- Results: a table on stdout and ``plan_bench.json`` in --work.

The peer needs pandas, which dunning does not: give it a Python of its own
(``python3 -m venv /tmp/peer-venv && /tmp/peer-venv/bin/pip install pandas jinja2``, then
``--peer-python /tmp/peer-venv/bin/python`` or ``DUNNING_PEER_PYTHON``), as build_bench does.
A peer that fails stops the benchmark: a ratio against a run that did nothing means nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from process_tree import rss_kib, run_sampled

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
AS_OF = "2026-11-28"


def measure(cmd: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak tree RSS in MiB, exit code) of ``cmd``."""
    run = run_sampled(cmd, rss_kib, interval=0.05, env={**os.environ, "CI": "1"})
    if run.returncode:
        sys.stderr.write(run.stderr[-2000:])
    return run.wall_s, run.peak_kib // 1024, run.returncode


def portfolio(work: Path, size: int) -> Path:
    """The generated portfolio of ``size`` accounts (cached)."""
    path = work / f"accounts-{size}.csv"
    if not path.exists():
        subprocess.run([sys.executable, str(BENCH / "make_accounts.py"), str(size), str(path), "7"], check=True)
    return path


def best_of(runs: int, cmd: list[str]) -> tuple[float, int, int]:
    """The fastest of ``runs`` runs of ``cmd`` (its wall time; the largest peak of all runs; the
    first failing exit code): the machine only ever slows a program down, so the minimum is
    the least disturbed figure, and both sides of a ratio get the same number of tries."""
    measured = [measure(cmd) for _ in range(max(1, runs))]
    failed = [code for _, _, code in measured if code]
    return min(w for w, _, _ in measured), max(p for _, p, _ in measured), failed[0] if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--peer-max", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/dunning-plan-bench"))
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--peer-python", default=os.environ.get("DUNNING_PEER_PYTHON", "/tmp/peer-venv/bin/python"))
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each side per size; the fastest counts (this VM's speed drifts)"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    dunning = str(Path(sys.executable).with_name("dunning"))
    results = []
    peer_rate: float | None = None
    for size in (int(s) for s in args.sizes.split(",")):
        accounts = portfolio(args.work, size)
        row: dict[str, object] = {"accounts": size}
        if size <= args.peer_max:
            wall, peak, code = best_of(
                args.repeat, [args.peer_python, str(BENCH / "peer_pandas.py"), str(accounts), str(args.work / "peer")]
            )
            if code:
                sys.exit(f"the peer failed (exit {code}) with {args.peer_python}: does it have pandas and jinja2?")
            peer_rate = size / wall
            row.update(peer_s=round(wall, 2), peer_rss_mib=peak, peer_rate=round(peer_rate), peer_measured=True)
        elif peer_rate is not None:
            row.update(peer_s=round(size / peer_rate, 2), peer_rate=round(peer_rate), peer_measured=False)
        cmd = [
            dunning,
            "plan",
            "--accounts",
            str(accounts),
            "--as-of",
            AS_OF,
            "--out",
            str(args.work / "out"),
            "--quiet",
        ]
        if args.jobs:
            cmd += ["--jobs", str(args.jobs)]
        wall, peak, code = best_of(args.repeat, [*cmd, str(ROOT)])
        rate = size / wall
        row.update(dunning_s=round(wall, 2), dunning_rss_mib=peak, dunning_rate=round(rate), dunning_ok=code == 0)
        if peer_rate:
            row["ratio"] = round(rate / peer_rate, 1)
        results.append(row)
        print(json.dumps(row), flush=True)
    (args.work / "plan_bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"{'accounts':>10} {'peer s':>8} {'dunning s':>10} {'ratio':>6} {'peer MiB':>9} {'dunning MiB':>12}")
    for row in results:
        peer_note = "" if row.get("peer_measured") else " (extrapolated)"
        print(
            f"{row['accounts']:>10} {row.get('peer_s', '-')!s:>8} {row['dunning_s']!s:>10} {row.get('ratio', '-')!s:>6}"
            f" {row.get('peer_rss_mib', '-')!s:>9} {row['dunning_rss_mib']!s:>12}{peer_note}"
        )


if __name__ == "__main__":
    main()
