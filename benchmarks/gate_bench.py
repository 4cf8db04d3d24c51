"""Throughput of ``dunning gate``: requests answered per second.

Builds a request file from the shared synthetic portfolio (``../shared/bench/make_accounts.py``
when present, else a small generator of our own) — each request one account, 0–12 history
events over the past week and a contact moment spread over a day in the debtor's time — and
times two things on the bundled example policy:

* ``in-process``: :class:`dunning.compliance.gate.Gate` over the lines (parse, decide, encode);
* ``cli``: ``dunning gate --jobs 1|2 FILE`` and ``dunning gate --jobs 2 -`` (the file piped to
  stdin) end to end in a subprocess (start-up and policy load included).

Every mode must give byte-identical answers. About 8 % of them are ``error`` (R009): the
shared generator draws US numbers as +1 212 and seven random digits, and a North American
exchange code never starts with 0 or 1 (libphonenumber rejects +1 212 0xx… and +1 212 1xx…).

CPU seconds are printed next to wall seconds (for the CLI, of the whole process tree): on a
machine shared with other work the CPU figure is the fair one for the single-process modes,
and the load average printed with them says how shared the machine was.

Usage::

    .venv/bin/python benchmarks/gate_bench.py [N=100000] [SEED=7]

Run it once, on a quiet machine; it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench" / "make_accounts.py"
OUTCOMES = ("no_answer", "voicemail", "busy", "connected", "conversation", "attempt", "failed")
CHANNELS = ("call", "call", "call", "sms", "email", "letter")
OFFSETS = {"CN": "+08:00", "US": "-05:00"}


def accounts(n: int, seed: int, folder: Path) -> list[dict[str, str]]:
    """``n`` account rows from the shared generator (or a fallback)."""
    if SHARED.is_file():
        out = folder / "accounts.csv"
        subprocess.run([sys.executable, str(SHARED), str(n), str(out), str(seed)], check=True, capture_output=True)
        with out.open(encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        cn = rng.random() < 0.6
        rows.append(
            {
                "account_id": f"B{i:07d}",
                "jurisdiction": "CN" if cn else "US",
                "currency": "CNY" if cn else "USD",
                "overdue_amount": f"{rng.randint(100, 90000) / 10:.2f}",
                "due_date": "2026-09-15",
                "phone": f"+86138{rng.randint(0, 99999999):08d}" if cn else f"+1212555{rng.randint(0, 9999):04d}",
            }
        )
    return rows


def requests(rows: list[dict[str, str]], seed: int) -> list[bytes]:
    """One request line per account."""
    rng = random.Random(seed)
    base = datetime(2026, 11, 23)
    lines = []
    for row in rows:
        account = {k: v for k, v in row.items() if v != ""}
        offset = OFFSETS.get(row["jurisdiction"].split("-", 1)[0], "+00:00")
        history = []
        for _ in range(rng.randint(0, 12)):
            moment = base - timedelta(days=rng.randint(0, 6), minutes=rng.randint(0, 600)) + timedelta(hours=9)
            history.append(
                {"at": moment.isoformat() + offset, "channel": rng.choice(CHANNELS), "outcome": rng.choice(OUTCOMES)}
            )
        at = (base + timedelta(minutes=rng.randint(6 * 60, 23 * 60))).isoformat() + offset
        body = {"account": account, "history": history, "channel": rng.choice(CHANNELS), "at": at}
        lines.append(orjson.dumps(body))
    return lines


def main() -> None:
    """Build the requests, time both ways, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000, help="requests (default 100000)")
    parser.add_argument("seed", nargs="?", type=int, default=7, help="generator seed (default 7)")
    args = parser.parse_args()
    n, seed = args.n, args.seed
    from dunning.accounts.record import _valid_block, parse_date
    from dunning.compliance.gate import Gate, answer_batches, answer_lines
    from dunning.compliance.timezones import zones_for_phone
    from dunning.policy import require_policy

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lines = requests(accounts(n, seed, folder), seed)
        path = folder / "requests.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")

        policy = require_policy(ROOT)
        list(answer_lines(Gate(policy), lines[:200]))  # import and load the holiday calendars once
        timings = {}
        outputs = set()
        for name, mode in (("line by line (stdin)", answer_lines), ("batched (file)", answer_batches)):
            # each mode starts cold: a fresh gate, no phone numbers or dates already looked at
            for cache in (zones_for_phone, _valid_block, parse_date):
                cache.cache_clear()
            gate = Gate(policy)
            wall, cpu = time.perf_counter(), time.process_time()
            answers = list(mode(gate, lines))
            timings[name] = (time.perf_counter() - wall, time.process_time() - cpu)
            outputs.add(b"".join(a + b"\n" for a in answers))
        verdicts: dict[str, int] = {}
        for line in answers:
            kind = orjson.loads(line)["verdict"]
            verdicts[kind] = verdicts.get(kind, 0) + 1

        cli_times = {}
        empty = folder / "empty.jsonl"
        empty.write_bytes(b"")
        start = time.perf_counter()
        subprocess.run([str(ROOT / ".venv" / "bin" / "dunning"), "gate", str(empty), str(ROOT)], check=True)
        startup = time.perf_counter() - start
        for label, jobs, source in (("FILE", 1, path), ("FILE", 2, path), ("- (stdin)", 2, None)):
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            dunning = str(ROOT / ".venv" / "bin" / "dunning")
            command = [dunning, "gate", "--jobs", str(jobs), str(source or "-"), str(ROOT)]
            with path.open("rb") as stdin:
                cli = subprocess.run(command, stdin=stdin if source is None else None, capture_output=True, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
            cli_times[f"--jobs {jobs} {label}"] = (time.perf_counter() - start, cpu)
            outputs.add(cli.stdout)
        assert len(outputs) == 1, "answers differ between the modes"

    print(f"requests: {n} (seed {seed}); verdicts: {dict(sorted(verdicts.items()))}")
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    for name, (wall, cpu) in timings.items():
        print(f"in-process, {name}: wall {wall:.2f} s = {n / wall:,.0f}/s; cpu {cpu:.2f} s = {n / cpu:,.0f}/s")
    print(f"cli start-up alone (an empty request file): wall {startup:.2f} s")
    for mode, (wall, cpu) in cli_times.items():
        print(
            f"cli dunning gate {mode} (start-up included): wall {wall:.2f} s = {n / wall:,.0f}/s; "
            f"cpu of all its processes {cpu:.2f} s"
        )


if __name__ == "__main__":
    main()
