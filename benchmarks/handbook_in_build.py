"""CPU of the handbook's own process inside ``dunning build``, code versions alternated.

``dunning build`` forks the handbook's process beside plan and render (``dunning.build``); what
it costs there is not what ``benchmarks/handbook_bench.py`` sees (a fresh ``dunning handbook
build``, which imports and validates for itself). Each run here is a whole ``dunning build``
whose forked handbook process, as it ends, appends its own ``getrusage`` (user, system, git's
children, minor faults, peak RSS) to a file; the runs alternate the ``--code`` folders round
by round, so that a shared machine's load falls on each alike. The load average is printed
with every run.

    .venv/bin/python benchmarks/handbook_in_build.py --accounts ACCOUNTS.csv \\
        --code /tmp/main/generator --code generator [--rounds 5] [--policy .]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# run in the build's process: the handbook's process reports its CPU as it ends
_RUNNER = """
import os, resource, sys
import dunning.build as build

def report(*args, **kwargs):
    site = _handbook(*args, **kwargs)
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.environ["HANDBOOK_CPU_OUT"], "a", encoding="utf-8") as out:
        out.write(f"{me.ru_utime} {me.ru_stime} {kids.ru_utime + kids.ru_stime} {me.ru_minflt} {me.ru_maxrss}\\n")
    return site

if __name__ == "__main__":
    _handbook, build._handbook = build._handbook, report
    from dunning.cli import main
    sys.argv = ["dunning", *sys.argv[1:]]
    main()
"""


def one(code: Path, policy: Path, accounts: Path, as_of: str, work: Path) -> list[float]:
    """(user, system, children's CPU, minor faults, peak RSS KiB) of the handbook's process."""
    report = work / "cpu.txt"
    report.unlink(missing_ok=True)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(code), HANDBOOK_CPU_OUT=str(report))
    command = [sys.executable, str(work / "runner.py"), "build", str(policy), "--accounts", str(accounts)]
    command += ["--as-of", as_of, "--out", str(out), "--quiet"]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return [float(v) for v in report.read_text(encoding="utf-8").split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=Path, required=True)
    parser.add_argument("--code", type=Path, action="append", required=True, help="a generator/ folder (repeat)")
    parser.add_argument("--policy", type=Path, default=ROOT)
    parser.add_argument("--as-of", default="2026-11-28")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results: dict[Path, list[list[float]]] = {code: [] for code in args.code}
    with tempfile.TemporaryDirectory(prefix="handbook-in-build-") as tmp:
        work = Path(tmp)
        (work / "runner.py").write_text(_RUNNER, encoding="utf-8")
        for n in range(args.rounds):
            for code in args.code:
                load = os.getloadavg()[0]
                user, system, kids, faults, rss = one(code, args.policy, args.accounts, args.as_of, work)
                results[code].append([user + system, user, system, kids])
                print(
                    f"round {n + 1} {code}: cpu {user + system:.3f} s (user {user:.3f}, sys {system:.3f}), "
                    f"git {kids:.3f} s, {int(faults)} minor faults, peak {rss / 1024:.1f} MiB, load {load:.1f}",
                    flush=True,
                )
    for code, runs in results.items():
        cpu = [r[0] for r in runs]
        print(f"{code}: handbook cpu median {statistics.median(cpu):.3f} s, min {min(cpu):.3f}, max {max(cpu):.3f}")


if __name__ == "__main__":
    main()
