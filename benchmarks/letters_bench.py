"""Letters: CPU per letter by phase (templating, batch process start-up, Typst, cut), and
WeasyPrint beside it on the same letters, in one run.

usage: python benchmarks/letters_bench.py [--accounts N] [--as-of DAY] [--work DIR]
                                          [--rounds R] [--weasyprint N] [--before GENERATOR_DIR]

- Generates the portfolio with ../shared/bench/make_accounts.py (cached in --work) and plans
  it for --as-of (default Monday 2026-11-30, when letters fall due) with ``dunning build
  --no-pdf --no-handbook``.
- Then, --rounds times (default 2), ``dunning render --jobs 1`` on those plans without and with
  PDFs (one process at a time, so CPU is not shared between our own processes), with
  ``DUNNING_RENDER_PROFILE`` (templating: the ``letter`` channel, the template and the HTML →
  Typst markup of each letter, in the chunk process) and ``DUNNING_PRINT_PROFILE`` (each
  print batch's fresh process: its start-up — interpreter, imports, the job —, Typst
  typesetting the batch, cutting the archive copies, writing and hashing the batch PDF and
  the copies; a profile without ``write_ns`` counts the writing in the cut).
- ``--before DIR``: another checkout's ``generator/`` folder (e.g. a ``git worktree`` of an
  earlier commit that has ``DUNNING_PRINT_PROFILE``), run the same way in every round just
  before this one, so that before and after are taken side by side at the same load.
- A letter's cost, all in, is templating + start-up + typesetting + cut + write, each summed over
  the letters and divided by their number; the difference of the two renders' CPU (all
  processes) per letter is printed beside it as a check.
- WeasyPrint (the engine until 2026-12, ``main`` at 572642d): the letters' HTML previews of
  the ``--no-pdf`` render — the page the old code gave WeasyPrint — are made into a PDF each
  as that code did (one ``FontConfiguration`` per process), the first --weasyprint of them
  (default 40; 0 leaves it out), in this process after one untimed letter. Needs
  ``weasyprint`` (``pip install weasyprint``); without it the documented ≈ 156–170 ms a letter
  is the reference.

Figures are CPU (user + system). The machine is shared: state ``uptime`` beside them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
TARGET_MS = 3.4  # ≥ 50× WeasyPrint's ≈ 170 ms a letter (issue 18)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``argv`` to completion; (wall s, CPU s of it and its children)."""
    cpu, wall = _children_cpu(), time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - wall, _children_cpu() - cpu


def _render(dunning: str, plans: Path, accounts: Path, work: Path, pdf: bool, code: Path) -> dict[str, Any]:
    """One ``dunning render --jobs 1`` of the code in ``code`` (a ``generator/`` folder), its CPU
    and (with PDFs) its per-phase profiles."""
    render_profile, print_profile = work / "render-profile.json", work / "print-profile.jsonl"
    for stale in (render_profile, print_profile):
        stale.unlink(missing_ok=True)
    env = {**os.environ, "DUNNING_RENDER_PROFILE": str(render_profile), "DUNNING_PRINT_PROFILE": str(print_profile)}
    env["PYTHONPATH"] = str(code)
    argv = [dunning, "render", "--plans", str(plans), "--accounts", str(accounts), "--quiet", "--jobs", "1"]
    argv += ["--pdf" if pdf else "--no-pdf", str(ROOT)]
    wall, cpu = _run(argv, env)
    channels = json.loads(render_profile.read_text(encoding="utf-8"))
    batches = [json.loads(line) for line in print_profile.read_text(encoding="utf-8").splitlines()] if pdf else []
    return {"wall_s": wall, "cpu_s": cpu, "channels": channels, "batches": batches}


def _weasyprint_ms(previews: list[Path]) -> float | None:
    """CPU ms a letter for WeasyPrint on these HTML pages, as the code before Typst called it."""
    try:
        from weasyprint import HTML
        from weasyprint.text.fonts import FontConfiguration
    except ImportError:
        return None
    fonts = FontConfiguration()

    def pdf(path: Path) -> None:
        document = HTML(string=path.read_text(encoding="utf-8"), base_url=None).render(font_config=fonts)
        identifier = hashlib.sha256(path.stem.encode("utf-8")).hexdigest()[:32].encode("ascii")
        document.write_pdf(pdf_identifier=identifier)

    pdf(previews[0])  # untimed: the first letter loads the fonts
    started = time.process_time()
    for path in previews[1:]:
        pdf(path)
    return (time.process_time() - started) * 1000 / max(1, len(previews) - 1)


def _figures(label: str, n: int, no_pdf: dict[str, Any], with_pdf: dict[str, Any]) -> dict[str, Any]:
    """One round's figures for one tree, printed as a line."""
    batches = with_pdf["batches"]
    letters = sum(batch["letters"] for batch in batches)
    phases = {
        "templating": with_pdf["channels"]["letter"]["us_per_message"] / 1000,
        **{
            phase: sum(batch[f"{phase}_ns"] for batch in batches) / 1e6 / letters
            for phase in ("startup", "typeset", "cut", "write")
            if all(f"{phase}_ns" in batch for batch in batches)
        },
    }
    phases["all_in"] = sum(phases.values())
    difference = (with_pdf["cpu_s"] - no_pdf["cpu_s"]) * 1000 / letters
    line = ", ".join(f"{phase} {ms:.2f}" for phase, ms in phases.items())
    print(
        f"round {n + 1} {label}: {letters} letters in {len(batches)} batches; ms of CPU a letter: {line}"
        f" (render with PDFs − without: {difference:.2f} ms a letter; load {os.getloadavg()[0]:.1f})"
    )
    return {"code": label, "round": n + 1, "letters": letters, "batches": len(batches), "ms_per_letter": phases,
            "render_cpu_s": {"pdf": with_pdf["cpu_s"], "no_pdf": no_pdf["cpu_s"]},
            "pdf_minus_no_pdf_ms_per_letter": difference, "load": os.getloadavg()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--as-of", default="2026-11-30")
    parser.add_argument("--work", type=Path, default=Path("/tmp/letters-bench"))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--weasyprint", type=int, default=40, help="letters to make with WeasyPrint (0: none)")
    parser.add_argument("--before", type=Path, default=None, help="another checkout's generator/ folder, run beside")
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    accounts = work / f"accounts-{args.accounts}.csv"
    if not accounts.exists():
        subprocess.run([sys.executable, str(BENCH / "make_accounts.py"), str(args.accounts), str(accounts)], check=True)
    dunning = str(Path(sys.executable).with_name("dunning"))
    plans = work / f"plans-{args.as_of}"
    if not (plans / "plans.jsonl").is_file():
        build = [dunning, "build", "--accounts", str(accounts), "--as-of", args.as_of, "--out", str(plans)]
        _run([*build, "--quiet", "--no-pdf", "--no-handbook", str(ROOT)])

    print(f"load before: {os.getloadavg()}")
    trees = {"this": ROOT / "generator"}
    if args.before:
        trees = {"before": args.before.resolve(), **trees}
    rounds: list[dict[str, Any]] = []
    weasy: float | None = None
    for n in range(args.rounds):
        for label, code in trees.items():
            no_pdf = _render(dunning, plans, accounts, work, pdf=False, code=code)
            if weasy is None and args.weasyprint:
                previews = sorted((plans / "messages" / "letters" / "archive").glob("*.html"))[: args.weasyprint + 1]
                weasy = _weasyprint_ms(previews)
            with_pdf = _render(dunning, plans, accounts, work, pdf=True, code=code)
            rounds.append(_figures(label, n, no_pdf, with_pdf))
    if weasy is not None:
        for label in trees:
            best = min(r["ms_per_letter"]["all_in"] for r in rounds if r["code"] == label)
            print(f"WeasyPrint on the same letters: {weasy:.1f} ms of CPU a letter → {weasy / best:.0f}× {label}")
    print(f"(best round of each) target: ≤ {TARGET_MS} ms a letter all in (≥ 50× WeasyPrint's ≈ 170 ms)")
    result = {"accounts": args.accounts, "as_of": args.as_of, "rounds": rounds, "weasyprint_ms_per_letter": weasy}
    (work / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(plans / "messages", ignore_errors=True)


if __name__ == "__main__":
    main()
