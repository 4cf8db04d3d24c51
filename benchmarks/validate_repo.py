"""Benchmark `dunning validate` on a generated 500-file policy repository and on the bundled example.

The generated repository is what a large lender's policy repository looks like once it is
split into many files: 50 products, each with its own five-tier ladder (one file per
product), one strategy file per tier (250), offers and exclusions per product (100 + 94),
plus the example's portfolio, template registry, timetables, caps and experiment (6 files)
— 500 policy files, the example's 35 template files. Each run is a fresh process
(`dunning validate --format json`), so start-up is included, as a CI job would see it; no
run reuses anything from an earlier one except Python's own bytecode cache (`__pycache__`),
and the output says whether dunning's bytecode was there (an installed wheel has it; an
editable checkout run with PYTHONDONTWRITEBYTECODE=1 compiles dunning's ~100 modules from
source in every process).

    .venv/bin/python benchmarks/validate_repo.py [--runs 3] [--keep DIR] [--instructions]

`--instructions` also counts the instructions of one run of each under valgrind's callgrind
(Debian `valgrind`; ~60x slower): the one figure the neighbours on a shared machine cannot move.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DUNNING = Path(sys.executable).with_name("dunning")
MODELINE = "# yaml-language-server: $schema=../../schemas/policy.schema.json\n"
BANDS = [  # (band, dpd min, dpd max, example strategy whose cadence the band runs)
    ("reminder", 1, 7, "reminder"),
    ("early", 8, 30, "early"),
    ("mid", 31, 60, "mid"),
    ("late", 61, 90, "late"),
    ("recovery", 91, None, "recovery"),
]
PRODUCTS = 50


def _example_strategies() -> dict[str, str]:
    """The example's strategy bodies as YAML text blocks, keyed by strategy id."""
    text = (ROOT / "policies" / "strategies.yaml").read_text(encoding="utf-8")
    bodies: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("  ") and not line.startswith("    ") and line.strip().endswith(":"):
            current = line.strip()[:-1]
            bodies[current] = []
        elif current is not None and line.startswith("    "):
            bodies[current].append(line)
    return {k: "\n".join(v) + "\n" for k, v in bodies.items()}


def generate(repo: Path) -> int:
    """Write the 500-file repository; return the number of policy files."""
    policies = repo / "policies"
    shutil.copytree(ROOT / "templates", repo / "templates")
    shutil.copytree(ROOT / "schemas", repo / "schemas")
    (policies / "tiers").mkdir(parents=True)
    (policies / "strategies").mkdir()
    (policies / "offers").mkdir()
    (policies / "exclusions").mkdir()
    for name in ("portfolio", "templates", "timetables"):
        shutil.copy(ROOT / "policies" / f"{name}.yaml", policies / f"{name}.yaml")
    rules = (ROOT / "policies" / "contact-rules.yaml").read_text(encoding="utf-8")
    start = rules.index("  - id: small-balance")  # it names the example's tiers, which this repo has not
    rules = rules[:start] + rules[rules.index("  - id:", start + 1) :]
    (policies / "contact-rules.yaml").write_text(rules, encoding="utf-8")
    (policies / "caps-cn.yaml").write_text(
        "caps:\n  - {id: cn-calls-a-day, channels: [call], max: 3, per_days: 1, jurisdictions: [CN]}\n",
        encoding="utf-8",
    )
    bodies = _example_strategies()
    for n in range(1, PRODUCTS + 1):
        product = f"p{n:03d}"
        tiers = [MODELINE, f"# Tier ladder of product {product}.\n", "tiers:\n"]
        for band, low, high, cadence in BANDS:
            tiers.append(
                f"  - id: {product}-{band}\n"
                f"    name: {band.title()} ({product})\n"
                f"    description: Accounts of product {product}, {band} stage.\n"
                f"    dpd: {{min: {low}, max: {'null' if high is None else high}}}\n"
                f"    products: [{product}]\n"
                f"    strategy: {product}-{band}\n"
            )
            strategy = f"{MODELINE}# {band.title()} cadence of product {product}.\nstrategies:\n  {product}-{band}:\n"
            strategy += bodies[cadence]
            (policies / "strategies" / f"{product}-{band}.yaml").write_text(strategy, encoding="utf-8")
        (policies / "tiers" / f"{product}.yaml").write_text("".join(tiers), encoding="utf-8")
        when = f"products: [{product}], tiers: [{product}-mid, {product}-late]"
        (policies / "offers" / f"{product}-plan.yaml").write_text(
            f"{MODELINE}offers:\n  - id: {product}-plan\n    kind: payment_plan\n"
            f"    when: {{{when}, min_overdue: {{CNY: 600, USD: 100}}}}\n"
            "    instalments: 6\n    min_instalment: {CNY: 100, USD: 20}\n    interval_days: 30\n    grace_days: 10\n",
            encoding="utf-8",
        )
        (policies / "offers" / f"{product}-settlement.yaml").write_text(
            f"{MODELINE}offers:\n  - id: {product}-settlement\n    kind: settlement\n"
            f"    when: {{products: [{product}], tiers: [{product}-recovery]}}\n"
            "    instalments: 1\n    grace_days: 14\n    max_discount: 0.2\n",
            encoding="utf-8",
        )
        (policies / "exclusions" / f"{product}-small-balance.yaml").write_text(
            f"{MODELINE}exclusions:\n  - id: {product}-small-balance\n"
            f"    when: {{products: [{product}], max_overdue: {{CNY: 20, USD: 3}}, tiers: [{product}-recovery]}}\n"
            f"    effect: exclude\n    reason: Balance below the collection threshold for {product}.\n",
            encoding="utf-8",
        )
        if n <= 44:
            (policies / "exclusions" / f"{product}-staff.yaml").write_text(
                f"{MODELINE}exclusions:\n  - id: {product}-staff\n"
                f"    when: {{products: [{product}], segments: [staff]}}\n"
                f"    effect: exclude\n    reason: Staff loans of {product} are collected by HR.\n",
                encoding="utf-8",
            )
    (policies / "experiments.yaml").write_text(
        "experiments:\n  - id: early-empathy\n    tiers: [p001-early]\n    arms:\n"
        "      - {id: champion, share: 80}\n      - {id: challenger, share: 20, strategy: p001-early}\n",
        encoding="utf-8",
    )
    return sum(1 for _ in policies.rglob("*.yaml"))


def time_validate(repo: Path, runs: int) -> tuple[list[float], list[float], dict[str, int]]:
    """Wall-clock and CPU seconds of each fresh `dunning validate` process, and the finding counts.

    CPU time (user + system) is reported too because on a shared machine wall time mostly
    measures the neighbours."""
    times = []
    cpu = []
    counts: dict[str, int] = {}
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(
            [str(DUNNING), "validate", str(repo), "--format", "json"], capture_output=True, text=True, check=False
        )
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"validate failed ({proc.returncode}):\n{proc.stderr}")
        counts = json.loads(proc.stdout)["counts"]
    return times, cpu, counts


def count_instructions(repo: Path) -> int:
    """Instructions one `dunning validate --format json` process on ``repo`` executes (callgrind's Ir)."""
    command = [sys.executable, str(DUNNING), "validate", str(repo), "--format", "json"]
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode not in (0, 1) or found is None:
        raise SystemExit(f"valgrind failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def _bytecode_state() -> str:
    """Whether the dunning that runs has its modules' bytecode cached (it is only read, never written here)."""
    probe = subprocess.run(
        [sys.executable, "-c", "import dunning.validate; print(dunning.validate.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    cached = Path(importlib.util.cache_from_source(probe)).is_file()
    return "dunning bytecode cached" if cached else "dunning bytecode NOT cached (compiled from source in every run)"


def main() -> None:
    """Generate, time, print a Markdown table row per repository."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the generated repository here and keep it")
    parser.add_argument("--instructions", action="store_true", help="also count instructions with valgrind")
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        repo = args.keep or Path(tmp) / "big-repo"
        if repo.exists():
            shutil.rmtree(repo)
        files = generate(repo)
        size = sum(p.stat().st_size for p in (repo / "policies").rglob("*.yaml"))
        load = os.getloadavg()[0]
        print(f"load average at start: {load:.2f} on {os.cpu_count()} CPUs; {_bytecode_state()}")
        extra = " instructions |" if args.instructions else ""
        print(
            "| repository | policy files | YAML bytes | runs | median wall s | min wall s | median CPU s | min CPU s "
            "| findings |" + extra
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |" + (" ---: |" if extra else ""))
        for label, path, nfiles, nbytes in (
            ("bundled example", ROOT, len(list((ROOT / "policies").glob("*.yaml"))), None),
            ("generated", repo, files, size),
        ):
            if nbytes is None:
                nbytes = sum(p.stat().st_size for p in (path / "policies").glob("*.yaml"))
            times, cpu, counts = time_validate(path, args.runs)
            print(
                f"| {label} | {nfiles} | {nbytes} | {args.runs} | {statistics.median(times):.2f} | "
                f"{min(times):.2f} | {statistics.median(cpu):.2f} | {min(cpu):.2f} | "
                f"{counts['error']} errors, {counts['warning']} warnings |"
                + (f" {count_instructions(path) / 1e9:.2f} G |" if args.instructions else "")
            )


if __name__ == "__main__":
    main()
