"""Benchmark: `dunning diff` with impact on N synthetic accounts (default 100k).

usage: .venv/bin/python benchmarks/diff_bench.py [N] [--keep DIR]

Builds a scratch git repository from the bundled example (base commit), then changes it the
way a real pull request would (head = working tree): the early tier ends 5 days later, calls
on US weekdays end an hour earlier, the payment plan has 8 instalments and one SMS is
reworded — so both policies are planned in full and messages re-rendered. The accounts come
from ../shared/bench/make_accounts.py. Side by side, `dunning plan` on the same snapshot
gives the reference (a diff plans twice and reads once). Prints wall time and peak RSS of
each command; the target is a diff under 60 s.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DUNNING = ROOT / ".venv" / "bin" / "dunning"
MAKE_ACCOUNTS = ROOT.parent / "shared" / "bench" / "make_accounts.py"  # ../shared/bench, as the others
AS_OF = "2026-11-28"


# (file, text, replacement): the scenario "cadence" (committed, tag `cadence`): mid-tier calls
# every 2 days instead of 3; the scenario "full" (the working tree against `base`): the early
# tier ends 5 days later, US weekday calls an hour earlier, 8 instalments, one SMS reworded.
# tests/ci/test_benchmark_edits.py keeps them applying to the bundled example.
CADENCE_EDIT = (
    "policies/strategies.yaml",
    "template: call-mid\n        every: 3",
    "template: call-mid\n        every: 2",
)
FULL_EDITS = (
    ("policies/tiers.yaml", "dpd: {min: 8, max: 30}", "dpd: {min: 8, max: 35}"),
    ("policies/tiers.yaml", "dpd: {min: 31, max: 60}", "dpd: {min: 36, max: 60}"),
    ("policies/timetables.yaml", 'workdays: "09:00-20:00"\n        sat:', 'workdays: "09:00-19:00"\n        sat:'),
    ("policies/offers.yaml", "instalments: 6", "instalments: 8"),
    ("templates/sms/sms-early.en-US.j2", "Need help?", "Need a hand?"),
)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise SystemExit(f"benchmark edit no longer applies to {path}: {old!r}")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _report(label: str, wall: float, cpu: float) -> None:
    # CPU seconds (all processes of the command) do not depend on what else the machine runs;
    # wall time does: the load average is printed with it.
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    load = os.getloadavg()[0]
    print(f"{label:<26} wall {wall:6.1f} s  cpu {cpu:6.1f} s  load avg {load:4.1f}  peak RSS {rss:5.0f} MB")


def _timed(label: str, argv: list[str]) -> float:
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{label} failed ({done.returncode}):\n{done.stderr}")
    _report(label, wall, _cpu() - cpu)
    return wall


def main() -> None:
    """Run the benchmark once and print the figures."""
    args = sys.argv[1:]
    keep = None
    if "--keep" in args:
        keep = Path(args[args.index("--keep") + 1])
        del args[args.index("--keep") : args.index("--keep") + 2]
    n = int(args[0]) if args else 100_000
    work = Path(tempfile.mkdtemp(prefix="diff-bench-")) if keep is None else keep
    work.mkdir(parents=True, exist_ok=True)
    repo = work / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir()
    for folder in ("policies", "templates"):
        shutil.copytree(ROOT / folder, repo / folder)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "tag", "base")
    # Scenario "cadence" (committed, tag `cadence`): mid calls every 2 days instead of 3. Only
    # accounts of the tier running that strategy are planned twice.
    strategies = repo / CADENCE_EDIT[0]
    original = strategies.read_text(encoding="utf-8")
    _edit(strategies, *CADENCE_EDIT[1:])
    _git(repo, "commit", "-q", "-am", "cadence")
    _git(repo, "tag", "cadence")
    strategies.write_text(original, encoding="utf-8")
    # Scenario "full" (working tree against `base`): every account planned twice.
    for relative, old, new in FULL_EDITS:
        _edit(repo / relative, old, new)

    accounts = work / f"accounts-{n}.csv"
    if not accounts.exists():
        subprocess.run([sys.executable, str(MAKE_ACCOUNTS), str(n), str(accounts)], check=True)
    print(f"{n} accounts, as of {AS_OF}, {accounts.stat().st_size / 1e6:.1f} MB CSV")
    _timed(
        "dunning plan (reference)",
        [
            str(DUNNING),
            "plan",
            "--accounts",
            str(accounts),
            "--as-of",
            AS_OF,
            "--out",
            str(work / "plan"),
            "--quiet",
            str(repo),
        ],
    )
    walls = {}
    for label, refs in (("full", ["--base", "base"]), ("cadence", ["--base", "base", "--head", "cadence"])):
        out = work / f"diff-{label}.json"
        with out.open("w") as fh:
            cpu, start = _cpu(), time.perf_counter()
            done = subprocess.run(
                [
                    str(DUNNING),
                    "diff",
                    *refs,
                    "--accounts",
                    str(accounts),
                    "--as-of",
                    AS_OF,
                    "--format",
                    "json",
                    str(repo),
                ],
                stdout=fh,
                stderr=subprocess.PIPE,
                text=True,
                check=False,
            )
            walls[label] = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"dunning diff failed ({done.returncode}):\n{done.stderr}")
        _report(f"dunning diff ({label})", walls[label], _cpu() - cpu)
    print(f"target: diff with impact under 60 s -> {'met' if walls['full'] < 60 else 'NOT met'} (full scenario)")
    if keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
