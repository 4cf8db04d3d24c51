"""What starting ``dunning build``'s planning workers costs: CPU, and the wall of the pool's close.

usage: python benchmarks/pool_start.py POLICY_ROOT [--rounds N]

Alternates, ``--rounds`` times (5), two ways to start the two planning workers of a build and
have each take one task (so that each ran its initializer: the modules loaded, the policy
compiled): ``spawn``, as main did until 2026-12-08 (each worker a fresh interpreter that runs
the ``dunning`` script's imports again and imports the planner, polars and render's fused
modules), and ``forkserver`` (:func:`dunning.plan.pool.build_pool`: forks of a server that
imported them once, the script not run again, the server ended with SIGTERM at the close).
Prints, per start: the CPU of the processes (user + system, ``getrusage`` of the reaped
children), the wall from the start until both workers took their task (the later one), and
the wall of the close. Here the main script is this one, not the ``dunning`` console script:
the spawned workers' CLI imports (≈ 30-100 ms each) are not in the spawn figures. CPU is
the figure that means something on a shared machine; the load is printed beside.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dunning.plan import pool as planning
from dunning.workers import Workers


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _spawned(root: Path) -> Workers:
    # main's planning_pool of 2026-12-08 (fa56a7a): spawned, the main script run in each
    pool = Workers(
        2,
        initializer=planning._preload_worker,
        initargs=(root, planning.BUILD_PRELOAD),
        env=planning.worker_env(),
    )
    pool.__enter__()
    pool.launch()
    return pool


def _forked(root: Path) -> Workers:
    # a file above SMALL_WORK: two workers
    pool = planning.build_pool(root, Path(__file__), 2)
    assert pool is not None
    return pool


def one(how: str, root: Path) -> tuple[float, float, float]:
    """(CPU, wall until both workers answered, wall of the close) of one start."""
    cpu = _children_cpu()
    started = time.perf_counter()
    pool = (_spawned if how == "spawn" else _forked)(root)
    # one task a worker: each waits until both have begun, so each worker takes one
    with tempfile.TemporaryDirectory(prefix="pool-start-") as meeting:
        # by this file's module name: the forked workers do not run the main script
        import pool_start

        pids = set(pool.map(pool_start._meet, [meeting, meeting]))
    ready = time.perf_counter() - started
    closing = time.perf_counter()
    pool.close()
    closed = time.perf_counter() - closing
    assert len(pids) == 2, pids
    return _children_cpu() - cpu, ready, closed


def _meet(folder: str) -> int:
    """This worker's pid, once two workers have come here (a file each in ``folder``)."""
    Path(folder, str(os.getpid())).touch()
    deadline = time.monotonic() + 60
    while len(os.listdir(folder)) < 2 and time.monotonic() < deadline:
        time.sleep(0.002)
    return os.getpid()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures: dict[str, list[tuple[float, float, float]]] = {"spawn": [], "forkserver": []}
    print(f"load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    for n in range(args.rounds):
        for how in ("spawn", "forkserver") if n % 2 == 0 else ("forkserver", "spawn"):
            cpu, ready, closed = one(how, args.root)
            figures[how].append((cpu, ready, closed))
            print(f"{how:10} CPU {cpu:.2f} s  ready {ready:.2f} s  close {closed:.3f} s", flush=True)
    for how, rows in figures.items():
        cpus, readies, closes = zip(*rows, strict=True)
        print(
            f"{how:10} median: CPU {statistics.median(cpus):.2f} s, ready {statistics.median(readies):.2f} s, "
            f"close {statistics.median(closes):.3f} s ({len(rows)} starts)"
        )
    print(f"load {os.getloadavg()[0]:.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()
