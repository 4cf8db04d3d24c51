"""Plan with and without a contact history: wall time, CPU and peak memory of the whole process tree.

usage: python benchmarks/history_bench.py [--data DIR] [--code GENERATOR_DIR] ACCOUNTS EVENTS [JOBS]

Generates ACCOUNTS accounts (../shared/bench/make_accounts.py, seed 7) and EVENTS history
events spread over the first ACCOUNTS/2 accounts (eight outcome words, a payment now and
then), then runs ``dunning plan --as-of 2026-11-28 --jobs JOBS --quiet`` on the snapshot
without and with the history, one after the other, and prints one line per run: wall time,
CPU seconds of the whole tree (user + system of the plan and the workers it waited for: on
a shared machine the wall says little, the CPU more) and the peak resident memory summed
over the plan's process and its workers (sampled from /proc, see process_tree.py; RSS, so
pages a forked worker shares with its parent count twice: an upper bound), with the load
average before and after. ``--data``: keep the generated inputs in DIR and reuse them when
they are there (a before/after pair on the same files); ``--code``: run the plan with that
``generator/`` folder (e.g. a ``git archive`` of main's). Figures go in docs/plan.md
(history section) and the README's performance table.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from process_tree import rss_kib, run_sampled

ROOT = Path(__file__).resolve().parents[1]
MAKE = ROOT.parent / "shared" / "bench" / "make_accounts.py"
WORDS = ("attempted", "no_answer", "busy", "voicemail", "connected", "delivered", "sms", "right_party_contact")


def write_history(path: Path, accounts: int, events: int, seed: int = 7) -> None:
    """EVENTS events on the first half of the accounts, in the days before the as-of date."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("account_id,at,event,channel,amount,date\n")
        for _ in range(events):
            i = rng.randrange(max(accounts // 2, 1))
            day = 28 - rng.randrange(20)
            at = f"2026-11-{day:02d}T{rng.randrange(9, 19):02d}:00:00+08:00"
            word = rng.choice(WORDS)
            if word == "sms":
                fh.write(f"A{i:09d},{at},delivered,sms,,\n")
            elif rng.random() < 0.02:
                fh.write(f"A{i:09d},{at},payment,,10.00,\n")
            else:
                fh.write(f"A{i:09d},{at},{word},call,,\n")


def run(args: list[str], env: dict[str, str] | None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system of the tree) and the peak RSS (MiB) of the process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampled = run_sampled(args, rss_kib, interval=0.05, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if sampled.returncode != 0:
        raise SystemExit(f"plan failed ({sampled.returncode}): {sampled.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return sampled.wall_s, cpu, sampled.peak_kib / 1024


def load() -> str:
    """The 1-minute load average now (the machine is shared)."""
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("accounts", type=int, help="accounts in the snapshot")
    parser.add_argument("events", type=int, help="history events, over the first half of the accounts")
    parser.add_argument("jobs", nargs="?", default="2", help="--jobs of the plan (default 2)")
    parser.add_argument("--data", type=Path, default=None, help="keep (and reuse) the generated inputs here")
    parser.add_argument("--code", default=None, help="a generator/ folder to plan with (default: this tree's)")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": args.code} if args.code else None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = args.data or work
        data.mkdir(parents=True, exist_ok=True)
        snapshot, history = data / f"acc-{args.accounts}.csv", data / f"hist-{args.accounts}-{args.events}.csv"
        if not snapshot.exists():
            subprocess.run([sys.executable, str(MAKE), str(args.accounts), str(snapshot)], check=True)
        if not history.exists():
            write_history(history, args.accounts, args.events)
        base = [sys.executable, "-c", "from dunning.cli import main; main()", "plan", "--accounts", str(snapshot)]
        base += ["--as-of", "2026-11-28", "--jobs", args.jobs, "--quiet", str(ROOT)]
        print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), f"--jobs {args.jobs}", flush=True)
        before = load()
        without = run([*base, "--out", str(work / "o1")], env)
        between = load()
        with_history = run([*base, "--history", str(history), "--out", str(work / "o2")], env)
        after = load()
    for label, (wall, cpu, peak), loads in (
        ("no history", without, (before, between)),
        (f"{args.events} events", with_history, (between, after)),
    ):
        print(f"{args.accounts} accounts, {label}: {wall:.1f} s, CPU {cpu:.1f} s, peak {peak:.0f} MiB", end="")
        print(f" (load {loads[0]}–{loads[1]})")
    print(f"ratio {with_history[0] / without[0]:.2f} (wall), {with_history[1] / without[1]:.2f} (CPU)")


if __name__ == "__main__":
    main()
