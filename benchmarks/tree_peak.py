"""Peak memory of one command's whole process tree, for a before/after pair of runs.

usage: python benchmarks/tree_peak.py [--code GENERATOR_DIR] [--label TEXT] -- COMMAND...

Runs COMMAND (with ``PYTHONPATH=GENERATOR_DIR`` when given: e.g. a ``git archive`` of main's
``generator/`` beside this branch's, so that before and after run the same way) and prints
its wall time, the peak of the sum of PSS over the tree (workers included, shared pages split
among their sharers: :mod:`process_tree`, sampled every 100 ms) and the load average before
and after. E.g. ``python benchmarks/tree_peak.py --code /tmp/base/generator -- dunning build
--accounts accounts-200000.csv --as-of 2026-11-30 --out /tmp/out --quiet .``
"""

from __future__ import annotations

import argparse
import os

from process_tree import pss_kib, run_sampled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", default=None, help="a generator/ folder to run the command with")
    parser.add_argument("--label", default="run")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    env = {**os.environ, "PYTHONPATH": args.code} if args.code else None
    load = os.getloadavg()[0]
    done = run_sampled(command, pss_kib, interval=0.1, env=env)
    print(
        f"{args.label}: exit {done.returncode}, wall {done.wall_s:.1f} s, peak PSS of the tree "
        f"{done.peak_kib / 1024:.0f} MiB, load {load:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    # each process's own peak (they need not coincide): the command first, then by pid
    each = [f"{kib / 1024:.0f}" for pid, kib in sorted(done.peaks.items(), key=lambda p: (p[0] != done.pid, p[0]))]
    print(f"  peak PSS per process (MiB): {', '.join(each)}")
    if done.returncode not in (0, 1):
        print(done.stdout[-2000:], done.stderr[-2000:])


if __name__ == "__main__":
    main()
