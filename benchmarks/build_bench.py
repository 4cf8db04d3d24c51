"""End-to-end benchmark: ``dunning build`` against the in-house peer, side by side, one run.

usage: python benchmarks/build_bench.py [--accounts N] [--peer-accounts N] [--peer-python PY]
                                        [--work DIR] [--days D1,D2] [--no-pdf] [--no-handbook]
                                        [--workers N] [--no-render-alone] [--settle US]
                                        [--replace]

- Generates the portfolio with ../shared/bench/make_accounts.py (cached in --work; the folder
  is ``DUNNING_BENCH_DIR`` when set, e.g. for a copy of the repository outside /work).
- Runs the peer (``peer_pandas.py``: pandas iterrows + one Jinja SMS per account) on
  --peer-accounts rows (default: the same N). When that is smaller than N the peer's
  throughput is extrapolated linearly and the report says so.
- Runs ``dunning build`` (validate → plan → render → handbook, letters typeset as PDFs;
  ``--no-pdf``/``--no-handbook`` leave them out) once per as-of day of ``--days`` (default:
  Saturday 2026-11-28, when no letters fall due, and Monday 2026-11-30, when they do), then
  ``dunning render`` alone on the last day's plan directory (``--no-render-alone``: not),
  and the peer once, all in one run so that the ratios are taken minutes apart on the same
  machine.
- Reports the CPU time (user + system, all processes) and the load average (before, after)
  of every run, and render's CPU per message by channel (``DUNNING_RENDER_PROFILE``; the
  ``accounts`` entry is what every message shares: its plan line decoded, its account row
  converted) next to the floor: ``benchmarks/render_floor.py`` replays each build's message
  files with no templating, last, after the peer (deleting many files slows this VM's ext4
  for minutes, so nothing is timed after it).
- Reports, before each build, what creating a file costs (µs of CPU, ``create_us_before``):
  on this VM's journal-less ext4 a create skips the inodes freed in the last 1-5 minutes one
  by one, so a build started minutes after a large delete (a previous run's outputs, a test
  suite) pays up to 30× more for each of its ≈ 47k files. ``--settle US`` waits (at most
  330 s) until a create costs at most US µs: the day a daily job has, whose previous output
  was deleted a day before (dunning deletes it after the swap, at the end of a run).
- ``--replace`` times each day's build a second time into the same ``--out``, which then
  holds the first build's output: what a daily job that keeps one output folder pays, since
  dunning deletes the previous output after the swap, before it exits (``DUNNING_MARKS``
  splits that removal off: from "output in place" to "previous output removed"). The first,
  fresh build stays the figure the ratios are taken on, as before; both are printed.
- Peak memory is the peak of the *sum* of PSS over the process tree (workers included, shared
  copy-on-write pages split between them), sampled every 200 ms from /proc, plus the kernel's
  per-process maximum RSS from getrusage — in a second run of each build, into
  ``out-DAY-memory``: the sampler takes ≈ 7 % of a core from the two the build uses (and none
  from the one-process peer), so the timed runs (the builds and the peer) carry none (since
  2026-12-08 04:50; earlier figures were timed with it).

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
from typing import Any

from process_tree import Sampled, pss_kib, run_sampled
from render_floor import replay

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(os.environ.get("DUNNING_BENCH_DIR", ROOT.parent / "shared" / "bench"))  # the peer and data maker
AS_OF = "2026-11-28"


def run(
    label: str, argv: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None, *, memory: bool = True
) -> dict[str, float]:
    """Run ``argv``; wall time, CPU time, peak tree PSS (MiB, sampled every 0.2 s unless not
    ``memory``: 0) and the largest process RSS (MiB).

    The sampler reads every process's ``smaps_rollup`` (≈ 13 ms of CPU a sample for a 1M
    build's six processes, ≈ 7 % of a core, and it holds each one's memory map lock meanwhile):
    on the two cores a build uses, that is time taken from the build, while the one-process
    peer leaves it a core. So a timed build runs without it, and its peak is taken from a second
    run of the same build."""
    load_before = os.getloadavg()[0]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    if memory:
        result = run_sampled(argv, pss_kib, interval=0.2, cwd=cwd, stderr=subprocess.STDOUT, env=env)
    else:
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        result = Sampled(time.perf_counter() - start, 0, done.returncode, done.stdout, "")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    largest, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu_before
    output = result.stdout
    tail = "\n".join(output.strip().splitlines()[-4:])
    load_after = os.getloadavg()[0]
    peak = f"peak tree PSS {result.peak_kib / 1024:.0f} MiB" if memory else "no sampler"
    print(
        f"--- {label}: {result.wall_s:.1f} s wall, {cpu:.1f} s CPU, {peak}"
        f" (exit {result.returncode}, load {load_before:.1f} → {load_after:.1f}, {time.strftime('%H:%M:%S')})\n{tail}"
    )
    if result.returncode not in (0, 1):
        raise SystemExit(f"{label} failed:\n{output[-3000:]}")
    return {
        "wall_s": result.wall_s,
        "cpu_s": cpu,
        "peak_tree_pss_mib": result.peak_kib / 1024,
        "max_process_rss_mib": max(largest, before) / 1024,
        "load_before": load_before,
        "load_after": load_after,
    }


def create_cost(folder: Path, count: int = 300) -> float:
    """µs of CPU (user + system) to create one empty file in ``folder``, over ``count`` files,
    which stay until the run's end. On an ext4 without a journal (this VM's root) a create
    skips, one by one, the inodes freed in the last 1-5 minutes: ≈ 20 µs on a calm disk,
    ≈ 600 µs right after 30,000 files were deleted (measured 2026-12-07). A journaled ext4 or
    XFS — what a user's disk usually is — does not do this."""
    batch = folder / f"probe-{time.time_ns()}"
    batch.mkdir(parents=True)
    start = time.process_time()
    for number in range(count):
        os.close(os.open(batch / str(number), os.O_CREAT | os.O_WRONLY, 0o600))
    return (time.process_time() - start) / count * 1e6


def dirty_mib() -> float:
    """MiB of written data the kernel has not yet written back to the disk (``/proc/meminfo``)."""
    with open("/proc/meminfo", encoding="ascii") as info:
        for line in info:
            if line.startswith("Dirty:"):
                return int(line.split()[1]) / 1024
    return 0.0


DIRTY_CALM_MIB = 64  # a build writes ≈ 1-2.3 GB: what an earlier run left unwritten competes with it


def settle(folder: Path, calm_us: float, longest_s: float = 330.0) -> tuple[float, float]:
    """Wait until creating a file costs at most ``calm_us`` µs and the earlier runs' data is
    written back (at most DIRTY_CALM_MIB left: a 1M build leaves ≈ 0.5-1 GB that the kernel
    writes back over the next 20-30 s, and a build timed meanwhile shares the disk with it),
    or ``longest_s`` passed (the kernel forgets a freed inode after 300 s at most); the
    seconds waited and the last cost."""
    start = time.monotonic()
    while True:
        cost = create_cost(folder)
        waited = time.monotonic() - start
        if (cost <= calm_us and dirty_mib() <= DIRTY_CALM_MIB) or waited >= longest_s:
            return waited, cost
        time.sleep(5)


def before_timing(trash: Path, calm_us: float | None) -> dict[str, float]:
    """The disk's state before a timed run (µs of CPU a file create), after settling if asked;
    the probes' files go with the trash at the end."""
    probes = trash / "probes"
    if calm_us is None:
        return {"create_us_before": create_cost(probes)}
    waited, cost = settle(probes, calm_us)
    dirty = dirty_mib()
    print(f"--- settled {waited:.0f} s: a file create costs {cost:.0f} µs of CPU, {dirty:.0f} MiB not yet written back")
    return {"create_us_before": cost, "settled_s": waited}


def replacing(day: str, build: list[str], work: Path, trash: Path, calm_us: float | None) -> dict[str, Any]:
    """``build`` again into the folder its first run filled: the wall, CPU and the share of the
    wall from the new output in place to the previous one removed (from ``DUNNING_MARKS``)."""
    marks = work / f"marks-{day}"
    marks.unlink(missing_ok=True)
    disk = before_timing(trash, calm_us)
    timing = run(
        f"dunning build {day} again, into the previous output",
        build,
        env={**os.environ, "DUNNING_MARKS": str(marks)},
        memory=False,
    )
    moments: dict[str, float] = {}
    for line in marks.read_text(encoding="utf-8").splitlines():
        moment, _pid, what = line.split(" ", 2)
        moments[what] = float(moment)
    removal = moments["previous output removed"] - moments["output in place"]
    return {**timing, **disk, "removal_s": removal}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--peer-accounts", type=int, default=None)
    parser.add_argument("--peer-python", default=os.environ.get("DUNNING_PEER_PYTHON", "/tmp/peer-venv/bin/python"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/dunning-build-bench"))
    parser.add_argument("--days", default="2026-11-28,2026-11-30", help="as-of days, comma-separated")
    parser.add_argument("--no-pdf", dest="pdf", action="store_false", help="leave the letters' PDFs out")
    parser.add_argument("--no-handbook", dest="handbook", action="store_false", help="leave the handbook out")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--no-render-alone", dest="render_alone", action="store_false", help="skip `dunning render` on its own"
    )
    parser.add_argument(
        "--settle",
        type=float,
        metavar="US",
        default=None,
        help="before each timed run, wait until creating a file costs at most US µs of CPU (a calm disk: "
        "the day's build after yesterday's output was deleted, not a re-run minutes after a large delete)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="also time each day's build into the folder its first build filled (the previous output is "
        "deleted after the swap, before dunning exits: a daily job's case)",
    )
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    n, peer_n = args.accounts, args.peer_accounts or args.accounts
    days = [day.strip() for day in args.days.split(",") if day.strip()]

    for count in sorted({n, peer_n}):
        data = work / f"accounts-{count}.csv"
        if not data.exists():
            subprocess.run([sys.executable, str(BENCH / "make_accounts.py"), str(count), str(data)], check=True)

    # Earlier outputs (300k message files) are moved aside untimed and deleted only after
    # every timing: deleting is the file system's cost, not ours, and a delete running in the
    # background would take a core from the runs being timed.
    trash = work / f"trash-{time.time_ns()}"
    trash.mkdir()
    for old in work.glob("out*"):
        old.rename(trash / old.name)

    dunning = str(Path(sys.executable).with_name("dunning"))
    accounts = str(work / f"accounts-{n}.csv")
    runs: dict[str, dict[str, Any]] = {}
    for day in days:
        out = work / f"out-{day}"
        build = [dunning, "build", "--accounts", accounts, "--as-of", day, "--out", str(out), "--quiet"]
        build += ["--pdf" if args.pdf else "--no-pdf", "--handbook" if args.handbook else "--no-handbook"]
        if args.workers:
            build += ["--jobs", str(args.workers)]
        profile = work / f"render-profile-{day}.json"
        env = {**os.environ, "DUNNING_RENDER_PROFILE": str(profile)}
        disk = before_timing(trash, args.settle)
        timing = run(f"dunning build {day}, {n} accounts", [*build, str(ROOT)], env=env, memory=False)
        # the peak from a second run, sampled, into a folder of its own (the timed one's
        # messages stay for the floor below)
        before_timing(trash, args.settle)
        sampled = [
            *build[: build.index("--out") + 1],
            str(work / f"out-{day}-memory"),
            *build[build.index("--out") + 2 :],
        ]
        peak = run(f"dunning build {day} again, its memory sampled", [*sampled, str(ROOT)])
        timing["peak_tree_pss_mib"], timing["sampled_wall_s"] = peak["peak_tree_pss_mib"], peak["wall_s"]
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        runs[day] = {
            **timing,
            **disk,
            "rendered": summary.get("render"),
            "render_cpu_by_channel": json.loads(profile.read_text(encoding="utf-8")),
        }
        if args.replace:
            runs[day]["replacing"] = replacing(day, [*build, str(ROOT)], work, trash, args.settle)
    last = work / f"out-{days[-1]}"
    render_only: dict[str, float] | None = None
    if args.render_alone:
        render = [dunning, "render", "--plans", str(last), "--accounts", accounts, "--quiet"]
        render += ["--pdf" if args.pdf else "--no-pdf", str(ROOT)]
        (last / "messages").rename(trash / "messages")  # render writes a fresh tree, as build did
        render_only = run(f"dunning render alone, {days[-1]} plans", render)
    peer = run(
        f"peer_pandas.py, {peer_n} accounts",
        [args.peer_python, str(BENCH / "peer_pandas.py"), str(work / f"accounts-{peer_n}.csv"), str(work / "peer")],
        memory=False,  # timed as the builds are
    )
    peer_rate = peer_n / float(peer["wall_s"])
    for day, measured in runs.items():
        measured["accounts_per_s"] = n / float(measured["wall_s"])
        measured["speedup"] = float(measured["accounts_per_s"]) / peer_rate
        messages = work / f"out-{day}" / "messages"
        if messages.is_dir():  # the floor: the same files written with no templating
            measured["render_floor"] = replay(messages, args.workers or os.cpu_count() or 1, work)
    result = {
        "accounts": n,
        "peer_accounts": peer_n,
        "peer_extrapolated": peer_n != n,
        "builds": runs,
        "render_only": render_only,
        "peer": peer,
        "peer_accounts_per_s": peer_rate,
        "pdf": args.pdf,
        "handbook": args.handbook,
        "cores": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
    }
    (work / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(trash, ignore_errors=True)
    note = " (peer measured on fewer accounts, throughput extrapolated linearly)" if peer_n != n else ""
    print(f"\npeer: {peer_rate:,.0f} accounts/s ({peer['wall_s']:.1f} s for {peer_n:,}){note}")
    for day, measured in runs.items():
        print(
            f"build {day}: {measured['accounts_per_s']:,.0f} accounts/s ({measured['wall_s']:.1f} s wall, "
            f"{measured['cpu_s']:.1f} s CPU for {n:,}), {measured['speedup']:.1f}x the peer, "
            f"peak {measured['peak_tree_pss_mib']:.0f} MiB over all processes (a second, sampled run: "
            f"{measured['sampled_wall_s']:.1f} s), a file create before it "
            f"{measured['create_us_before']:.0f} µs; render CPU per message: "
            + ", ".join(
                f"{channel} {cost['us_per_message']:,.0f} µs"
                for channel, cost in measured["render_cpu_by_channel"].items()
            )
        )
        again = measured.get("replacing")
        if again:
            print(
                f"  {day} again into the same folder: {again['wall_s']:.1f} s wall, {again['cpu_s']:.1f} s CPU,"
                f" {n / float(again['wall_s']) / peer_rate:.1f}x the peer;"
                f" the previous output's removal {again['removal_s']:.1f} s of it"
            )
        floor = measured.get("render_floor")
        if floor:
            print(
                f"  floor {day}: {floor['files']:,.0f} message files rewritten with no templating in"
                f" {floor['wall_s']:.1f} s ({floor['us_per_file']:,.0f} µs of one process a file)"
            )
    if render_only is not None:
        print(f"render alone ({days[-1]}): {render_only['wall_s']:.1f} s wall, {render_only['cpu_s']:.1f} s CPU")


if __name__ == "__main__":
    main()
