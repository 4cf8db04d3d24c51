"""Proof and price of fill-in templates on the bench portfolio: the same bytes, less CPU.

usage: python benchmarks/fill_equality.py [--accounts N] [--days D1,D2] [--work DIR] [--pdf]
                                          [--workers N]

For each as-of day: ``dunning plan`` the bench portfolio (../shared/bench/make_accounts.py,
cached in --work) once, then ``dunning render`` the same plan twice — with fill-in templates
(the default, :mod:`dunning.templating.fill`) and with ``DUNNING_RENDER_PER_ACCOUNT=1``
(every message through Jinja, the reference) — and compare every file of the two
``messages/`` trees byte for byte (sms.jsonl, calls.csv/jsonl, each .eml, letters' archive
copies and batch indexes, visit sheets, agency and legal files, render-rejects.csv). Exits 1
on the first difference. Also prints render's CPU per message by channel both ways
(``DUNNING_RENDER_PROFILE``), taken minutes apart in one run, with ``uptime``'s load.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _render(dunning: str, plans: Path, accounts: Path, pdf: bool, workers: int | None, reference: bool) -> dict:
    profile = plans.parent / f"profile-{plans.name}.json"
    env = {**os.environ, "DUNNING_RENDER_PROFILE": str(profile)}
    env.pop("DUNNING_RENDER_PER_ACCOUNT", None)
    if reference:
        env["DUNNING_RENDER_PER_ACCOUNT"] = "1"
    argv = [dunning, "render", "--plans", str(plans), "--accounts", str(accounts), "--quiet"]
    argv += ["--pdf" if pdf else "--no-pdf", *(["--jobs", str(workers)] if workers else []), str(ROOT)]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"render failed:\n{done.stderr[-3000:]}")
    profile_data: dict = json.loads(profile.read_text(encoding="utf-8"))
    profile_data["_wall_s"] = time.perf_counter() - started
    return profile_data


def _templating(plans: Path, accounts: Path) -> tuple[dict[str, list[float]], int, int]:
    """Templating alone, in this process: every renderable action of ``plans`` rendered (each
    block of its channel) with fill-in templates and through Jinja, strings compared, CPU
    taken per channel over batches of 500 renders, the order alternating (the machine's load
    drifts; a timer call per render would cost as much as a fill). Returns channel -> [messages, fill s, Jinja s],
    the number of fill layouts (decisions) built and the number of renders compared."""
    import orjson

    from dunning.policy import require_policy
    from dunning.render.account_rows import account_from_row, read_account_rows
    from dunning.templating.context import build_context
    from dunning.templating.sandbox import TemplateSandbox, is_html

    policy = require_policy(ROOT)
    blocks = {"email": ("subject", "text", "html"), "letter": ("subject", "body")}
    work: list[tuple[str, str, bool, str | None, dict]] = []
    lines = [orjson.loads(line) for line in (plans / "plans.jsonl").read_bytes().splitlines()]
    lines = [plan for plan in lines if any(a.get("status") in ("scheduled", "deferred") for a in plan["actions"])]
    rows = read_account_rows(accounts, [plan["account_id"] for plan in lines])
    by_id = {row["account_id"]: row for row in rows.iter_rows(named=True)}
    for plan in lines:
        account = account_from_row(by_id[plan["account_id"]])
        for action in plan["actions"]:
            if action.get("status") not in ("scheduled", "deferred") or action["channel"] == "agency":
                continue  # agency notes render from a minimised context: covered by the file comparison
            context = build_context(plan, action, account, policy)
            file = policy.templates[action["template"]].files[context["locale"]]
            for block in blocks.get(action["channel"], (None,)):
                html = is_html(action["channel"], block) and block != "subject"
                work.append((action["channel"], file, html, block, context))
    fill, jinja = TemplateSandbox(ROOT / "templates", fill=True), TemplateSandbox(ROOT / "templates", fill=False)
    costs: dict[str, list[float]] = {}
    for item in work[:200]:  # compile every template both ways before timing
        for sandbox in (fill, jinja):
            _outcome(sandbox, item)
    by_channel: dict[str, list[tuple[str, str, bool, str | None, dict]]] = {}
    for item in work:
        by_channel.setdefault(item[0], []).append(item)
    for channel, items in by_channel.items():
        entry = costs[channel] = [float(len(items)), 0.0, 0.0]
        for start in range(0, len(items), 500):
            batch = items[start : start + 500]
            outcomes: dict[bool, list[str]] = {}
            for sandbox in (fill, jinja) if start % 1000 else (jinja, fill):
                began = time.process_time()
                outcomes[sandbox is fill] = [_outcome(sandbox, item) for item in batch]
                entry[1 if sandbox is fill else 2] += time.process_time() - began
            if outcomes[True] != outcomes[False]:
                raise SystemExit(f"{channel}: templating differs in the batch of renders {start}..{start + len(batch)}")
    layouts = sum(len(filler.layouts) for filler in fill._fillers.values() if filler is not None)
    return costs, layouts, len(work)


def _outcome(sandbox: Any, item: tuple[str, str, bool, str | None, dict]) -> str:
    from dunning.templating.sandbox import RenderError

    _, file, html, block, context = item
    try:
        return str(sandbox.render(file, context, html=html, block=block, account_id=context["account"]["id"]))
    except RenderError as exc:
        return f"RenderError: {exc}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--days", default="2026-11-28,2026-11-30", help="as-of days, comma-separated")
    parser.add_argument("--work", type=Path, default=Path("/tmp/dunning-fill-equality"))
    parser.add_argument("--pdf", action="store_true", help="typeset the letters too (slow; default: HTML copies)")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    accounts = work / f"accounts-{args.accounts}.csv"
    if not accounts.exists():
        subprocess.run([sys.executable, str(BENCH / "make_accounts.py"), str(args.accounts), str(accounts)], check=True)
    dunning = str(Path(sys.executable).with_name("dunning"))
    failed = False
    for day in (d.strip() for d in args.days.split(",") if d.strip()):
        filled, reference = work / f"filled-{day}", work / f"jinja-{day}"
        for old in (filled, reference):
            shutil.rmtree(old, ignore_errors=True)
        plan = [dunning, "plan", "--accounts", str(accounts), "--as-of", day, "--out", str(filled), "--quiet"]
        subprocess.run([*plan, str(ROOT)], check=True)
        shutil.copytree(filled, reference)
        load_before = os.getloadavg()
        costs = {  # the reference first: a tree written first pays for the others' file churn more
            "jinja": _render(dunning, reference, accounts, args.pdf, args.workers, reference=True),
            "fill": _render(dunning, filled, accounts, args.pdf, args.workers, reference=False),
        }
        names = _tree(filled / "messages")
        if names != _tree(reference / "messages"):
            print(f"{day}: the two renders wrote different files")
            failed = True
            continue
        _, mismatch, errors = filecmp.cmpfiles(filled / "messages", reference / "messages", names, shallow=False)
        summary = json.loads((filled / "summary.json").read_text(encoding="utf-8"))["render"]
        verdict = "IDENTICAL" if not mismatch and not errors else f"DIFFERENT: {(mismatch + errors)[:5]}"
        failed = failed or verdict != "IDENTICAL"
        print(
            f"{day}, {args.accounts:,} accounts: {summary['rendered']:,} messages ({summary['failed']} failed) "
            f"in {len(names):,} files — {verdict}"
        )
        for channel in sorted(set(costs["fill"]) - {"_wall_s"}):
            fill, jinja = costs["fill"][channel], costs["jinja"].get(channel, {})
            print(
                f"  {channel:>13}: {fill['messages']:>7,} messages, render CPU {fill['us_per_message']:7.1f} µs/message"
                f" filled vs {jinja.get('us_per_message', float('nan')):7.1f} µs through Jinja"
            )
        print(
            f"  render wall {costs['fill']['_wall_s']:.1f} s filled vs {costs['jinja']['_wall_s']:.1f} s Jinja;"
            f" load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} cores)"
        )
        costs_in_process, layouts, compared = _templating(filled, accounts)
        print(f"  templating alone, in one process: {compared:,} renders identical, {layouts:,} fill layouts built")
        for channel, (messages, fill_s, jinja_s) in sorted(costs_in_process.items()):
            print(
                f"  {channel:>13}: {int(messages):>7,} renders, {fill_s / messages * 1e6:6.1f} µs filled vs"
                f" {jinja_s / messages * 1e6:6.1f} µs through Jinja ({jinja_s / fill_s:.1f}x)"
            )
        for old in (filled, reference):
            shutil.rmtree(old, ignore_errors=True)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
