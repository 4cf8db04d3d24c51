"""Plan with and without a contact history: wall time and peak memory of the whole process tree.

usage: python benchmarks/history_bench.py ACCOUNTS EVENTS [JOBS]

Generates ACCOUNTS accounts (../shared/bench/make_accounts.py, seed 7) and EVENTS history
events spread over the first ACCOUNTS/2 accounts (eight outcome words, a payment now and
then), then runs ``dunning plan --as-of 2026-11-28 --jobs JOBS --quiet`` on the snapshot
without and with the history, one after the other, and prints one line per run: wall time
and the peak resident memory summed over the plan's process and its workers (sampled from
/proc, see process_tree.py; RSS, so pages a forked worker shares with its parent count
twice: an upper bound), with the load average before and after. Figures go in
docs/plan.md (history section) and the README's performance table.
"""

from __future__ import annotations

import os
import random
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


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds and the peak RSS (MiB) of the process tree."""
    sampled = run_sampled(args, rss_kib, interval=0.05)
    if sampled.returncode != 0:
        raise SystemExit(f"plan failed ({sampled.returncode}): {sampled.stderr[-2000:]}")
    return sampled.wall_s, sampled.peak_kib / 1024


def load() -> str:
    """The 1-minute load average now (the machine is shared)."""
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    accounts, events = int(sys.argv[1]), int(sys.argv[2])
    jobs = sys.argv[3] if len(sys.argv) > 3 else "2"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        snapshot, history = work / "accounts.csv", work / "history.csv"
        subprocess.run([sys.executable, str(MAKE), str(accounts), str(snapshot)], check=True)
        write_history(history, accounts, events)
        base = [sys.executable, "-c", "from dunning.cli import main; main()", "plan", "--accounts", str(snapshot)]
        base += ["--as-of", "2026-11-28", "--jobs", jobs, "--quiet", str(ROOT)]
        print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), f"--jobs {jobs}", flush=True)
        before = load()
        without = run([*base, "--out", str(work / "o1")])
        between = load()
        with_history = run([*base, "--history", str(history), "--out", str(work / "o2")])
        after = load()
    print(f"{accounts} accounts, no history: {without[0]:.1f} s, peak {without[1]:.0f} MiB (load {before}–{between})")
    print(f"{accounts} accounts, {events} events: {with_history[0]:.1f} s, peak {with_history[1]:.0f} MiB", end="")
    print(f" (load {between}–{after})")
    print(f"ratio {with_history[0] / without[0]:.2f}")


if __name__ == "__main__":
    main()
