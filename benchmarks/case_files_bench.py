"""What the case files cost a build: ``dunning plan`` on the bench portfolio with history,
then the case files of its human-step accounts (visit, legal review, agency), timed apart.

    .venv/bin/python benchmarks/case_files_bench.py ACCOUNTS EVENTS [JOBS]

Prints the plan's wall time, how many accounts get a case file, the case files' wall time
and their cost per account (one process: they are written by render's parent). The data
goes to a temporary folder, never into the checkout.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import orjson

from dunning.policy import require_policy
from dunning.render.cases import HUMAN_CHANNELS, CaseRequest, write_case_files

sys.path.insert(0, str(Path(__file__).resolve().parent))
from history_bench import MAKE, ROOT, write_history

AS_OF, HORIZON = date(2026, 11, 28), 7


def main() -> None:
    accounts, events = int(sys.argv[1]), int(sys.argv[2])
    jobs = sys.argv[3] if len(sys.argv) > 3 else "2"
    with tempfile.TemporaryDirectory(prefix="cases-bench-") as tmp:
        work = Path(tmp)
        snapshot, history = work / "accounts.csv", work / "history.csv"
        subprocess.run([sys.executable, str(MAKE), str(accounts), str(snapshot)], check=True)
        write_history(history, accounts, events)
        plan = [sys.executable, "-c", "from dunning.cli import main; main()", "plan", "--accounts", str(snapshot)]
        plan += ["--history", str(history), "--as-of", AS_OF.isoformat(), "--horizon", str(HORIZON)]
        plan += ["--jobs", jobs, "--quiet", "--out", str(work / "out"), str(ROOT)]
        start = time.perf_counter()
        subprocess.run(plan, check=True, capture_output=True)
        planned = time.perf_counter() - start
        humans = []
        with (work / "out" / "plans.jsonl").open("rb") as fh:
            for line in fh:
                item = orjson.loads(line)
                if any(
                    a["channel"] in HUMAN_CHANNELS and a["status"] in ("scheduled", "deferred") for a in item["actions"]
                ):
                    humans.append(item["account_id"])
        policy = require_policy(ROOT)
        start = time.perf_counter()
        written = write_case_files(work / "cases", policy, snapshot, humans, CaseRequest(AS_OF, history, HORIZON))
        spent = time.perf_counter() - start
    print(f"{accounts} accounts, {events} events, horizon {HORIZON}: plan {planned:.1f} s (--jobs {jobs})")
    each = spent / max(len(humans), 1) * 1e3
    print(f"case files: {len(humans)} accounts, {len(written)} files, {spent:.1f} s, {each:.2f} ms an account")


if __name__ == "__main__":
    main()
