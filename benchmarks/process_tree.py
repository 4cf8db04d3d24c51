"""Peak memory of a command and every process it forks, sampled from /proc while it runs.

Shared by the plan and build benchmarks: ``getrusage`` only reports the largest single
child, but ``dunning`` plans and renders in worker processes, so the figure that matters is
the sum over the whole tree.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def rss_kib(pid: int) -> int:
    """Resident set size (VmRSS) of one process, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid: int) -> int:
    """Proportional set size: shared (forked, copy-on-write) pages split among their sharers,
    so a tree of forked workers is not counted several times over."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def child_pids() -> dict[int, list[int]]:
    """Every live process's children, by parent pid (from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def children_of(pid: int) -> list[int] | None:
    """The children of ``pid`` from its threads' ``/proc/PID/task/TID/children`` (a process
    started by any thread is listed by that thread); None where the kernel has no such file.

    Reading the tree's own few files instead of every process's ``stat`` (:func:`child_pids`,
    ≈ 300 files a sample here): 1.8 -> 0.3 ms of CPU a sample during a 1M build (2026-12-08),
    where the samplers run on the cores the build uses. (``smaps_rollup`` of its six processes
    is most of a memory sample's cost, ≈ 13 ms: build_bench times builds without it.)"""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/children", encoding="ascii") as handle:
                found.extend(int(child) for child in handle.read().split())
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{thread}"):
                continue  # the thread ended meanwhile
            return None
        except OSError:
            continue
    return found


def tree_figures(root: int, per_process: Callable[[int], int | None]) -> dict[int, int]:
    """``per_process`` of ``root`` and each of its descendants (one look at /proc for the
    tree), by pid; a process whose figure is None (gone meanwhile) is left out."""
    every: dict[int, list[int]] | None = None
    stack, figures = [root], {}
    while stack:
        pid = stack.pop()
        figure = per_process(pid)
        if figure is not None:
            figures[pid] = figure
        children = children_of(pid) if every is None else None
        if children is None:  # no children files: every process's parent, read once
            every = every if every is not None else child_pids()
            children = every.get(pid, [])
        stack.extend(children)
    return figures


def tree_kib(pid: int, per_process: Callable[[int], int], each: dict[int, int] | None = None) -> int:
    """``per_process`` summed over ``pid`` and all its descendants; ``each``, when given,
    keeps the largest figure seen per process id (the workers' peaks beside the tree's)."""
    figures = tree_figures(pid, per_process)
    if each is not None:
        for current, figure in figures.items():
            each[current] = max(each.get(current, 0), figure)
    return sum(figures.values())


@dataclass
class Watched:
    """How a command run by :func:`run_watched` ended."""

    wall_s: float
    returncode: int
    stdout: str
    stderr: str
    pid: int


def run_watched(
    argv: list[str], sample: Callable[[int, float], None], interval: float = 0.1, **popen: object
) -> Watched:
    """Run ``argv`` to the end, calling ``sample(pid, seconds since the start)`` from a thread
    about every ``interval`` seconds while it runs (the samplers of tree_peak, tree_timeline
    and build_timeline)."""
    start = time.perf_counter()
    options: dict[str, object] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **popen}
    process = subprocess.Popen(argv, **options)  # type: ignore[call-overload]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            sample(process.pid, time.perf_counter() - start)
            done.wait(interval)

    sampler = threading.Thread(target=watch, daemon=True)
    sampler.start()
    out, err = process.communicate()
    done.set()
    sampler.join()
    return Watched(time.perf_counter() - start, process.returncode, out or "", err or "", process.pid)


@dataclass
class Sampled:
    """What :func:`run_sampled` measured."""

    wall_s: float
    peak_kib: int
    returncode: int
    stdout: str
    stderr: str
    # the largest figure of each process of the tree (pid → KiB), the plan's own first
    peaks: dict[int, int] = field(default_factory=dict)
    pid: int = 0


def run_sampled(argv: list[str], per_process: Callable[[int], int], interval: float = 0.1, **popen: object) -> Sampled:
    """Run ``argv`` to the end, sampling the tree's memory every ``interval`` seconds."""
    peak = 0
    peaks: dict[int, int] = {}

    def sample(pid: int, _: float) -> None:
        nonlocal peak
        peak = max(peak, tree_kib(pid, per_process, peaks))

    ran = run_watched(argv, sample, interval, **popen)
    return Sampled(ran.wall_s, peak, ran.returncode, ran.stdout, ran.stderr, peaks, ran.pid)
