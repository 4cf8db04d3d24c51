"""``dunning report`` on a million accounts and ten million history events.

usage: python benchmarks/report_bench.py [--accounts 1000000] [--events 10000000] [--work DIR] [--by tier,channel]
(--work defaults to /tmp/dunning-report-bench, like the other benchmarks, so no data lands in the checkout)

- The start snapshot comes from ../shared/bench/make_accounts.py (seed 7, as-of 2026-11-28);
  the end snapshot is the same book 30 days on with a fifth of the accounts gone (cured)
  and the rest unchanged (so their days past due grow and some roll into a later tier).
- The history is generated here (seed 7): events spread over the period on random
  accounts, words in a realistic mix (three in five attempts and their results, SMS and email
  sends and deliveries, right-party contacts, promises and payments with amounts).
- Measured: the wall time and the peak RSS of the whole process tree of one
  ``dunning report --format json`` run (sampled every 50 ms), with the machine's load
  average before and after (the wall time follows the load). The targets (issue #20, see
  docs/report.md#speed): under a minute on 2 cores; peak RSS at most 600 MiB at 1M/10M.
  There is no peer for this command: compare with main by running this script with
  ``PYTHONPATH`` on main's ``generator/`` and on this one's, one after the other.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
from process_tree import rss_kib, run_sampled

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
START, END = "2026-11-28", "2026-12-27"
WORDS = {
    "no_answer": 0.24,
    "sent": 0.16,
    "delivered": 0.12,
    "attempted": 0.10,
    "voicemail": 0.08,
    "busy": 0.06,
    "connected": 0.05,
    "right_party_contact": 0.05,
    "payment": 0.05,
    "promise": 0.03,
    "failed": 0.02,
    "wrong_number": 0.01,
    "third_party": 0.01,
    "refused": 0.01,
    "bounced": 0.01,
}
CHANNEL = {"sent": "sms", "delivered": "sms", "bounced": "email", "failed": "sms", "payment": ""}


def snapshots(work: Path, n: int) -> tuple[Path, Path]:
    """The start snapshot (generated, cached) and the end snapshot (a fifth of it gone)."""
    start = work / f"report-start-{n}.csv"
    end = work / f"report-end-{n}.csv"
    if not start.exists():
        subprocess.run([sys.executable, str(BENCH / "make_accounts.py"), str(n), str(start), "7"], check=True)
    if not end.exists():
        frame = pl.read_csv(start, infer_schema=False)
        keep = np.random.default_rng(7).random(frame.height) >= 0.2
        frame.filter(pl.Series(keep)).write_csv(end)
    return start, end


def history(work: Path, n_accounts: int, n_events: int) -> Path:
    """``n_events`` events on accounts ``A000000000``… over the 30 days (generated, cached)."""
    path = work / f"report-history-{n_accounts}-{n_events}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(7)
    words = np.array(list(WORDS))
    p = np.array(list(WORDS.values()))
    word = words[rng.choice(len(words), size=n_events, p=p / p.sum())]
    account = rng.integers(0, n_accounts, size=n_events)
    minute = rng.integers(0, 30 * 24 * 60, size=n_events)
    amount = np.round(rng.lognormal(5.5, 1.0, size=n_events), 2)
    frame = pl.DataFrame({"account": account, "minute": minute, "event": word, "amount": amount})
    base = pl.datetime(2026, 11, 28, 8, 0, 0)
    frame = frame.select(
        account_id=pl.format("A{}", pl.col("account").cast(pl.String).str.zfill(9)),
        at=(base + pl.duration(minutes=pl.col("minute"))).dt.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        event=pl.col("event"),
        channel=pl.col("event").replace_strict(CHANNEL, default="call"),
        amount=pl.when(pl.col("event").is_in(["promise", "payment"]))
        .then(pl.col("amount").round(2).cast(pl.String))
        .otherwise(None),
        currency=pl.when(pl.col("event").is_in(["promise", "payment"])).then(pl.lit("CNY")).otherwise(None),
        date=pl.when(pl.col("event") == "promise")
        .then((base + pl.duration(minutes=pl.col("minute") + 7 * 24 * 60)).dt.strftime("%Y-%m-%d"))
        .otherwise(None),
    )
    frame.write_csv(path)
    return path


def main() -> None:
    """Generate the data (cached in --work), run the report once, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/dunning-report-bench"))
    parser.add_argument("--by", default="tier,channel")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    start, end = snapshots(args.work, args.accounts)
    events = history(args.work, args.accounts, args.events)
    out = args.work / "report.json"
    cmd = [
        str(Path(sys.executable).with_name("dunning")),
        "report",
        "--history", str(events),
        "--from", START,
        "--to", END,
        "--accounts", str(start),
        "--accounts-end", str(end),
        "--by", args.by,
        "--format", "json",
        "--out", str(out),
        str(ROOT),
    ]  # fmt: skip
    load_before = os.getloadavg()[0]
    run = run_sampled(cmd, rss_kib, interval=0.05, env={**os.environ, "CI": "1"})
    load_after = os.getloadavg()[0]
    if run.returncode:
        sys.stderr.write(run.stderr[-3000:])
        raise SystemExit(run.returncode)
    print(
        f"dunning report: {args.accounts:,} accounts, {args.events:,} events, by {args.by}: "
        f"{run.wall_s:.1f} s wall, peak RSS {run.peak_kib // 1024} MiB (process tree), "
        f"load {load_before:.1f} -> {load_after:.1f}; wrote {out}"
    )


if __name__ == "__main__":
    main()
