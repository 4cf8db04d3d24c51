"""End-to-end benchmark: ``dunning build`` against the in-house peer, side by side, one run.

usage: python benchmarks/build_bench.py [--accounts N] [--peer-accounts N] [--peer-python PY]
                                        [--work DIR] [--pdf] [--handbook] [--workers N]

- Generates the portfolio with ../shared/bench/make_accounts.py (cached in --work).
- Runs the peer (``peer_pandas.py``: pandas iterrows + one Jinja SMS per account) on
  --peer-accounts rows (default: the same N). When that is smaller than N the peer's
  throughput is extrapolated linearly and the report says so.
- Runs ``dunning build`` (validate → plan → render; the handbook only with --handbook, it is
  a fixed cost that does not grow with accounts; letter PDFs only with --pdf) and then
  ``dunning render`` alone on the same plan directory.
- Peak memory is the peak of the *sum* of PSS over the process tree (workers included, shared
  copy-on-write pages split between them), sampled every 200 ms from /proc, plus the kernel's
  per-process maximum RSS from getrusage.

The peer needs pandas and jinja2: ``python3 -m venv /tmp/peer-venv &&
/tmp/peer-venv/bin/pip install pandas jinja2``, then ``--peer-python /tmp/peer-venv/bin/python``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from process_tree import pss_kib, run_sampled

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
AS_OF = "2026-11-28"


def run(label: str, argv: list[str], cwd: Path = ROOT) -> dict[str, float]:
    """Run ``argv``; wall time, peak tree PSS (MiB) and the largest single-process RSS (MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = run_sampled(argv, pss_kib, interval=0.2, cwd=cwd, stderr=subprocess.STDOUT)
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    output = result.stdout
    tail = "\n".join(output.strip().splitlines()[-4:])
    print(
        f"--- {label}: {result.wall_s:.1f} s, peak tree PSS {result.peak_kib / 1024:.0f} MiB"
        f" (exit {result.returncode})\n{tail}"
    )
    if result.returncode not in (0, 1):
        raise SystemExit(f"{label} failed:\n{output[-3000:]}")
    return {
        "wall_s": result.wall_s,
        "peak_tree_pss_mib": result.peak_kib / 1024,
        "max_process_rss_mib": max(largest, before) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--peer-accounts", type=int, default=None)
    parser.add_argument("--peer-python", default=os.environ.get("DUNNING_PEER_PYTHON", "/tmp/peer-venv/bin/python"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/dunning-build-bench"))
    parser.add_argument("--pdf", action="store_true", help="also write letter PDFs (slow: ~0.2 s per letter)")
    parser.add_argument("--handbook", action="store_true", help="also build the handbook (fixed cost)")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    n, peer_n = args.accounts, args.peer_accounts or args.accounts

    for count in sorted({n, peer_n}):
        data = work / f"accounts-{count}.csv"
        if not data.exists():
            subprocess.run([sys.executable, str(BENCH / "make_accounts.py"), str(count), str(data)], check=True)

    # Earlier outputs (300k message files) are moved aside untimed and deleted only after
    # every timing: deleting is the file system's cost, not ours, and a delete running in the
    # background would take a core from the runs being timed.
    trash = work / f"trash-{time.time_ns()}"
    trash.mkdir()
    if (work / "out").exists():
        (work / "out").rename(trash / "out")

    dunning = str(Path(sys.executable).with_name("dunning"))
    build = [dunning, "build", "--accounts", str(work / f"accounts-{n}.csv"), "--as-of", AS_OF]
    build += ["--out", str(work / "out"), "--quiet", "--pdf" if args.pdf else "--no-pdf"]
    build += ["--handbook" if args.handbook else "--no-handbook"]
    if args.workers:
        build += ["--jobs", str(args.workers)]
    ours = run(f"dunning build, {n} accounts", [*build, str(ROOT)])
    render = [dunning, "render", "--plans", str(work / "out"), "--accounts", str(work / f"accounts-{n}.csv")]
    render += ["--quiet", "--pdf" if args.pdf else "--no-pdf", str(ROOT)]
    (work / "out" / "messages").rename(trash / "messages")  # render writes a fresh tree, as build did
    render_only = run("dunning render alone, same plans", render)
    peer = run(
        f"peer_pandas.py, {peer_n} accounts",
        [args.peer_python, str(BENCH / "peer_pandas.py"), str(work / f"accounts-{peer_n}.csv"), str(work / "peer")],
    )
    summary = json.loads((work / "out" / "summary.json").read_text(encoding="utf-8"))
    ours_rate = n / ours["wall_s"]
    peer_rate = peer_n / peer["wall_s"]
    result = {
        "accounts": n,
        "peer_accounts": peer_n,
        "peer_extrapolated": peer_n != n,
        "ours": ours,
        "render_only": render_only,
        "peer": peer,
        "ours_accounts_per_s": ours_rate,
        "peer_accounts_per_s": peer_rate,
        "speedup": ours_rate / peer_rate,
        "rendered": summary.get("render"),
        "actions": summary.get("actions"),
        "pdf": args.pdf,
        "handbook": args.handbook,
        "cores": os.cpu_count(),
    }
    (work / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(trash, ignore_errors=True)
    note = " (peer measured on fewer accounts, throughput extrapolated linearly)" if peer_n != n else ""
    print(
        f"\nours: {ours_rate:,.0f} accounts/s end to end ({ours['wall_s']:.1f} s for {n:,}), "
        f"peak {ours['peak_tree_pss_mib']:.0f} MiB over all processes\n"
        f"render alone: {render_only['wall_s']:.1f} s for {summary.get('render', {}).get('rendered')} messages\n"
        f"peer: {peer_rate:,.0f} accounts/s ({peer['wall_s']:.1f} s for {peer_n:,}){note}\n"
        f"speed-up: {ours_rate / peer_rate:.1f}x"
    )


if __name__ == "__main__":
    main()
