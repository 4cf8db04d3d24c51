"""CPU of a ``dunning build``'s process tree over time, by process role: where a core idles.

usage: python benchmarks/build_timeline.py [--code GENERATOR_DIR] [--out CSV] [--label TEXT]
                                           [--interval S] [--bucket S] -- COMMAND...

Runs COMMAND (``PYTHONPATH=GENERATOR_DIR`` when given) and reads every process of its tree
about every ``--interval`` seconds (0.1): the CPU it used since the last sample
(``/proc/PID/stat``, user + system, the kernel's ticks: 10 ms) and, for the command itself,
each of its threads'. Each process gets its role as :mod:`tree_timeline` gives it (parent,
handbook, plan, rows, render, print, tracker). Prints:

- the run's wall and CPU (``getrusage`` of the reaped tree), the load before and after;
- the idle-core seconds: over every interval, the cores (``os.sched_getaffinity``) times its
  length less the tree's CPU in it, summed where positive — the wall the tree could have
  saved with the work it did, whatever else the machine ran (a busy machine takes cores
  from the tree too: the load is printed beside);
- a strip per ``--bucket`` seconds (0.5): the cores each role used in it, and the idle ones;
- the idle intervals longer than one bucket and who ran in them.

``--out`` writes one row per sample: seconds, the cores each role used since the previous
sample, the parent's busiest thread, the tree's total. The CPU a process used between its
last sample and its exit is not seen (at most an interval each): the total printed from
``getrusage`` is the exact one.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time

from process_tree import run_watched, tree_figures
from tree_timeline import ROLES, Roles, parsed, timeline_parser

TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(path: str) -> int:
    """User + system ticks of ``/proc/PID/stat`` or ``/proc/PID/task/TID/stat`` (0 when gone)."""
    try:
        with open(path, encoding="utf-8") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)


def ticks_of(pid: int) -> int | None:
    """A process's user + system ticks; None when it is gone."""
    path = f"/proc/{pid}/stat"
    return cpu_ticks(path) if os.path.exists(path) else None


def threads(pid: int) -> dict[int, int]:
    """Each thread of ``pid``: its ticks."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return {}
    return {int(tid): cpu_ticks(f"/proc/{pid}/task/{tid}/stat") for tid in tids}


def idle_cores(interval: float, used: float, cores: int) -> float:
    """Core-seconds left unused in an ``interval`` in which the tree used ``used`` CPU seconds."""
    return max(0.0, cores * interval - used)


def read_marks(path: str, started: float) -> list[tuple[float, int, str]]:
    """The run's marks (``DUNNING_MARKS``): (seconds since the command started, pid, what); the
    file is removed."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        os.unlink(path)
    except OSError:
        return []
    marks = []
    for line in lines:
        at, pid, what = line.split(" ", 2)
        marks.append((float(at) - started, int(pid), what))
    return sorted(marks)


def worker_waits(marks: list[tuple[float, int, str]]) -> dict[int, tuple[float, float, float, int]]:
    """Per planning worker: (ready, first chunk's start, last chunk's end, chunks) and the
    seconds it waited between a chunk's end and the next one's start, from the marks."""
    found: dict[int, list[float]] = {}
    for at, pid, what in marks:
        if what.startswith("chunk ") or what == "worker ready":
            found.setdefault(pid, []).append(at)
    waits = {}
    for pid, times in found.items():
        chunk_marks = [(at, what) for at, p, what in marks if p == pid and what.startswith("chunk ")]
        starts = [at for at, what in chunk_marks if not what.endswith("done")]
        ends = [at for at, what in chunk_marks if what.endswith("done")]
        gaps = sum(max(0.0, start - end) for end, start in zip(ends, starts[1:], strict=False))
        ready = min(times)
        waits[pid] = (ready, starts[0] if starts else 0.0, ends[-1] if ends else 0.0, gaps, len(starts))
    return waits  # type: ignore[return-value]


def report_marks(path: str, started: float, role_of: dict[int, str]) -> None:
    """Print the parent's and the handbook's marks, and each planning worker's start, end and waits."""
    marks = read_marks(path, started)
    if not marks:
        return
    shown = [
        f"{at:.2f} {role_of.get(pid, pid)} {what}"
        for at, pid, what in marks
        if not what.startswith(("chunk ", "take ", "cut "))
    ]
    print("  marks (s): " + "; ".join(shown))
    cuts = [at for at, _, what in marks if what.startswith("cut ")]
    takes = [at for at, _, what in marks if what.startswith("take ")]
    if cuts and takes:
        print(f"  chunks cut {cuts[0]:.2f}-{cuts[-1]:.2f} ({len(cuts)}), taken {takes[0]:.2f}-{takes[-1]:.2f}")
    for pid, (ready, first, last, gaps, count) in worker_waits(marks).items():
        print(
            f"  worker {pid}: ready {ready:.2f}, first chunk {first:.2f}, last chunk done {last:.2f}, "
            f"{count} chunks, waited {gaps:.2f} s between chunks"
        )


def main() -> None:
    parser = timeline_parser(__doc__ or "")
    parser.add_argument("--bucket", type=float, default=0.5)
    args, command = parsed(parser)
    handle, marks_file = tempfile.mkstemp(prefix="build-timeline-marks-")  # removed once read
    os.close(handle)
    env = {**os.environ, "DUNNING_MARKS": marks_file, **({"PYTHONPATH": args.code} if args.code else {})}
    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()[0]
    started = time.time()
    roles = Roles()
    # (seconds, {pid: ticks}, {tid of the parent: ticks})
    samples: list[tuple[float, dict[int, int], dict[int, int]]] = []

    def sample(root: int, now: float) -> None:
        seen = tree_figures(root, ticks_of)
        roles.seen(len(samples), set(seen))
        samples.append((now, seen, threads(root)))

    ran = run_watched(command, sample, args.interval, env=env)
    wall, out, err = ran.wall_s, ran.stdout, ran.stderr
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    roles.decide(ran.pid)

    # each interval: the CPU seconds each role used in it (a process's first sample counts from 0)
    rows: list[tuple[float, float, dict[str, float], float]] = []  # (start, length, by role, parent's busiest thread)
    previous: dict[int, int] = {}
    previous_threads: dict[int, int] = {}
    last_at = 0.0
    for at, seen, parent_threads in samples:
        by_role = dict.fromkeys(ROLES, 0.0)
        for pid, ticks in seen.items():
            by_role[roles.of[pid]] += (ticks - previous.get(pid, 0)) / TICK
        busiest = max((t - previous_threads.get(tid, 0) for tid, t in parent_threads.items()), default=0) / TICK
        rows.append((last_at, at - last_at, by_role, busiest))
        previous, previous_threads, last_at = seen, parent_threads, at
    total_cpu = usage.ru_utime + usage.ru_stime
    idle = sum(idle_cores(length, sum(by_role.values()), cores) for _, length, by_role, _ in rows)
    print(
        f"{args.label}: exit {ran.returncode}, wall {wall:.2f} s, CPU {total_cpu:.2f} s "
        f"(sampled {sum(sum(r[2].values()) for r in rows):.2f}), {cores} cores: idle-core seconds {idle:.2f} "
        f"(wall x cores - CPU: {wall * cores - total_cpu:.2f}), load {load:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    # the strip: per bucket, the cores each role used
    shown = [role for role in ROLES if any(r[2][role] for r in rows)]
    print("  t(s)   " + " ".join(f"{role[:7]:>7}" for role in shown) + "    idle  parent's busiest thread")
    bucket_rows: dict[int, list[tuple[float, float, dict[str, float], float]]] = {}
    for row in rows:
        bucket_rows.setdefault(int(row[0] / args.bucket), []).append(row)
    for number in sorted(bucket_rows):
        part = bucket_rows[number]
        length = sum(r[1] for r in part) or args.bucket
        use = {role: sum(r[2][role] for r in part) / length for role in shown}
        gap = sum(idle_cores(r[1], sum(r[2].values()), cores) for r in part) / length
        busiest = sum(r[3] for r in part) / length
        figures = " ".join(f"{use[role]:7.2f}" for role in shown)
        print(f"  {number * args.bucket:5.1f}  {figures}  {gap:6.2f}  {busiest:5.2f}")
    present = []
    for role in ROLES:
        times = [at for at, seen, _ in samples if any(roles.of[pid] == role for pid in seen)]
        if times:
            present.append(f"{role} {times[0]:.1f}-{times[-1]:.1f}")
    print("  present (s): " + ", ".join(present))
    for pid in sorted(roles.of, key=lambda p: roles.first[p][0]):
        print(f"  {pid} {roles.of[pid]}: {roles.command[pid][1][:100]}")
    report_marks(marks_file, started, roles.of)
    os.unlink(marks_file)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write("t,dt," + ",".join(ROLES) + ",parent_thread,total,idle\n")
            for at, length, by_role, busiest in rows:
                used = sum(by_role.values())
                figures = ",".join(f"{by_role[role]:.2f}" for role in ROLES)
                handle.write(
                    f"{at:.2f},{length:.3f},{figures},{busiest:.2f},{used:.2f},{idle_cores(length, used, cores):.2f}\n"
                )
    if ran.returncode not in (0, 1):
        print(out[-2000:], err[-2000:])


if __name__ == "__main__":
    main()
