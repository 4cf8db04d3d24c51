"""Benchmark `dunning handbook build`: the bundled example, and synthetic policies with many
templates, to show how the build grows with the number of templates.

A synthetic policy is the example plus N extra registered templates, each a copy of an example
SMS, email or letter template in both locales (so every extra template is rendered for 6
personas × 2 locales, gets a gallery page and two numbered source pages). Each run is a fresh
process (`dunning handbook build --as-of 2026-11-28`), so start-up is included, as a CI job
would see it; wall time and CPU time (user + sys of the child) are reported, since the CPU
time does not depend on what else the machine is doing.

    .venv/bin/python benchmarks/handbook_bench.py [--sizes 0,50,100,200] [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DUNNING = Path(sys.executable).with_name("dunning")
SOURCES = (("sms", "sms-mid"), ("email", "email-plan"), ("letter", "letter-plan"))


def make_policy(dest: Path, extra: int) -> Path:
    """The example policy plus ``extra`` copies of existing templates under new ids."""
    for name in ("policies", "templates", "site"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name)
    lines = []
    for n in range(extra):
        channel, source = SOURCES[n % len(SOURCES)]
        new_id = f"{source}-v{n:04d}"
        for locale in ("en-US", "zh-CN"):
            shutil.copy(
                dest / "templates" / channel / f"{source}.{locale}.j2",
                dest / "templates" / channel / f"{new_id}.{locale}.j2",
            )
        lines.append(f"  {new_id}: {{channel: {channel}, description: Variant {n} of {source}}}\n")
    with (dest / "policies" / "templates.yaml").open("a", encoding="utf-8") as f:
        f.writelines(lines)
    return dest


def run(root: Path, out: Path) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one `dunning handbook build`."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(
        [str(DUNNING), "handbook", "build", str(root), "--out", str(out), "--as-of", "2026-11-28", "--quiet"],
        check=True,
    )
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="0,50,100,200", help="extra templates per run, comma-separated")
    parser.add_argument("--runs", type=int, default=1, help="runs per size (the best is reported)")
    args = parser.parse_args()
    print(f"{'templates':>9} {'pages':>6} {'wall s':>7} {'cpu s':>6} {'site MB':>8}")
    for extra in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="handbook-bench-") as tmp:
            root = make_policy(Path(tmp) / "repo", extra)
            results = [run(root, Path(tmp) / f"out{i}") for i in range(args.runs)]
            wall, cpu = min(results)
            site = Path(tmp) / "out0" / "handbook"
            pages = sum(1 for _ in site.rglob("*.html"))
            size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 1e6
            print(f"{18 + extra:>9} {pages:>6} {wall:>7.2f} {cpu:>6.2f} {size:>8.1f}")


if __name__ == "__main__":
    main()
