"""Benchmark `dunning validate` on hostile tier ladders of N tiers (issue 14 §5).

Each shape is written as `policies/tiers.yaml` over the smallest valid repository
(`tests/cases/_base`), every tier running the base's `early` strategy:

- `sliding`  — tier i takes days i … i+10: every tier partly overlaps its ten neighbours
  (10 P102 findings per tier);
- `nested`   — tier i takes days i+1 and up: every tier after the first is shadowed (P103);
- `products` — every tier takes days 1–30 of its own product: nothing overlaps;
- `carve`    — tier i takes days 1–30 up to an amount of i: each tier is an intended
  carve-out of the next (no finding).

For each shape and N it prints the seconds of one fresh `dunning validate --format json`
process (start-up included, as CI sees it), its CPU seconds (what the neighbours on a shared
machine cannot inflate much), its peak memory (ru_maxrss of the largest child so far), and the number of P102/P103
findings. Before the index in `rules/_tiers.py`, 10k `sliding` tiers took 225 s.

    .venv/bin/python benchmarks/tier_ladder_bench.py [--tiers 1000 10000] [--shapes sliding nested]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "cases" / "_base"
SHAPES = ("sliding", "nested", "products", "carve")


def ladder(shape: str, n: int) -> str:
    """The tiers.yaml text of ``n`` tiers of ``shape``."""
    lines = ["tiers:"]
    for i in range(n):
        if shape == "sliding":
            bounds = f"dpd: {{min: {i + 1}, max: {i + 11}}}"
        elif shape == "nested":
            bounds = f"dpd: {{min: {i + 1}}}"
        elif shape == "products":
            bounds = f"dpd: {{min: 1, max: 30}}, products: [p{i}]"
        else:
            bounds = f"dpd: {{min: 1, max: 30}}, amount: {{max: {i + 1}}}"
        lines.append(f"  - {{id: t{i}, {bounds}, strategy: early}}")
    return "\n".join(lines) + "\n"


def run(shape: str, n: int, scratch: Path) -> tuple[float, float, int, int, int]:
    """(wall seconds, CPU seconds, peak MiB, P102 count, P103 count) of one validate process."""
    repo = scratch / f"{shape}-{n}"
    shutil.copytree(BASE, repo)
    (repo / "policies" / "tiers.yaml").write_text(ladder(shape, n), encoding="utf-8")
    dunning = Path(sys.executable).with_name("dunning")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    proc = subprocess.run([str(dunning), "validate", str(repo), "--format", "json"], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu
    if proc.returncode not in (0, 1):
        raise SystemExit(f"validate failed ({proc.returncode}): {proc.stderr[-2000:]}")
    codes = [p["code"] for p in json.loads(proc.stdout)["problems"]]
    # ru_maxrss of children is the largest child so far: report it only when this run raised it
    return seconds, cpu, max(peak, before) // 1024, codes.count("P102"), codes.count("P103")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES))
    args = parser.parse_args()
    print(f"{'shape':<9} {'tiers':>6} {'wall s':>8} {'CPU s':>7} {'peak MiB':>9} {'P102':>7} {'P103':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shapes:
            for n in args.tiers:
                seconds, cpu, peak, p102, p103 = run(shape, n, Path(tmp))
                print(f"{shape:<9} {n:>6} {seconds:>8.2f} {cpu:>7.2f} {peak:>9} {p102:>7} {p103:>6}", flush=True)


if __name__ == "__main__":
    main()
