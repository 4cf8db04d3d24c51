"""Render's CPU a message by channel, in one process, before and after, alternated in one run.

usage: python benchmarks/render_channels.py PLANS_DIR ACCOUNTS [--code DIR ...] [--rounds N]
                                            [--limit N] [--write] [--pdf]

Renders the plan lines of PLANS_DIR that have something to render (the first ``--limit``
of them), in chunks of 500 as ``dunning render`` does, in one process with no worker, and
prints the CPU per message by channel (µs; the ``accounts`` entry is what every message
shares: its plan line decoded, its account row converted — see ``DUNNING_RENDER_PROFILE``),
the parent's share (``parent``: each chunk's result appended to the shared files, as the
render parent does, per message) and the whole chunk phase's, parent included. Each
``--code`` is a ``generator/`` folder (e.g. a ``git archive`` of main's beside this
worktree's); with several, the rounds alternate between them (A B A B …), each in a fresh
subprocess, so that a before/after pair is taken minutes apart at the same load. The
snapshot rows are read before the clock starts. Files are hashed and not written unless
``--write`` (the file system's cost is ``render_floor.py``'s). Letters are rendered as their
HTML copies, as ``--no-pdf`` makes them, unless ``--pdf``: then as their Typst markup,
spooled, as a build with PDFs makes them (not typeset: the print batches are
``letters_bench.py``'s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(plans_dir: Path, accounts: Path, limit: int, write: bool, pdf: bool) -> None:
    import tempfile

    from dunning.policy import require_policy
    from dunning.render import batch, files, run
    from dunning.render.account_rows import read_account_rows
    from dunning.templating.sandbox import TemplateSandbox

    if not write:

        def hashed(root: Path, relative: str, data: bytes) -> tuple[str, str]:
            return relative, files.sha256_bytes(data)

        batch.write_bytes = hashed  # type: ignore[attr-defined]
    policy = require_policy(ROOT)
    out = Path(tempfile.mkdtemp(prefix="render-channels-"))
    (out / "plans.jsonl").symlink_to((plans_dir / "plans.jsonl").resolve())
    ids, offsets = run._candidates(out / "plans.jsonl")
    ids, offsets = ids[:limit], offsets[:limit]
    renderer = batch.ChunkRenderer(policy, TemplateSandbox(ROOT / "templates"), out, pdf=pdf)
    worker = run._Worker(renderer, out / "plans.jsonl")
    # the columns render leaves out of the rows it hands over, when the code under test does
    from dunning.render import account_rows

    drop = {"drop": account_rows.CONTEXT_UNUSED} if hasattr(account_rows, "CONTEXT_UNUSED") else {}
    jobs = list(run._jobs(ids, offsets, read_account_rows(accounts, ids, **drop), run.CHUNK_ACCOUNTS))
    items = [(worker.items(job), job.columns) for job in jobs]
    for chunk, columns in items[: max(10, len(items) // 10)]:  # templates compiled, caches warm: as at 1M
        renderer.render_chunk(chunk, columns)
    cpu: dict[str, int] = {}
    rendered: dict[str, int] = {}
    # the parent's share too: each chunk's result appended to the shared files as render does
    (out / "messages").mkdir(exist_ok=True)
    sink = run._Sink(out / "messages", policy, out / "hashes", out / "letters", spool=out / "spool" if pdf else None)
    parent = 0.0
    started = time.process_time()
    for chunk, columns in items:
        result = renderer.render_chunk(chunk, columns)
        mark = time.process_time()
        sink.add(result)
        parent += time.process_time() - mark
        for channel, spent in result.cpu_ns.items():
            cpu[channel] = cpu.get(channel, 0) + spent
        for channel, count in result.rendered.items():
            rendered[channel] = rendered.get(channel, 0) + count
    total = time.process_time() - started
    sink.close()
    messages = sum(rendered.values())
    report = {
        channel: (spent / 1e3 / max(1, messages if channel == batch.ACCOUNTS else rendered.get(channel, 0)))
        for channel, spent in cpu.items()
    }
    report["parent"] = parent * 1e6 / max(1, messages)
    print(json.dumps({"us": report, "rendered": rendered, "messages": messages, "cpu_s": total}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plans", type=Path)
    parser.add_argument("accounts", type=Path)
    parser.add_argument("--code", action="append", default=[], help="a generator/ folder (repeatable)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--limit", type=int, default=50_000, help="plan lines with something to render")
    parser.add_argument("--write", action="store_true", help="write the files (default: hash only)")
    parser.add_argument("--pdf", action="store_true", help="letters as their Typst markup (default: HTML copies)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.plans, args.accounts, args.limit, args.write, args.pdf)
        return
    codes = args.code or [str(ROOT / "generator")]
    channels = ("accounts", "call", "sms", "email", "letter", "visit", "agency", "legal_review", "parent")
    for round_ in range(1, args.rounds + 1):
        for code in codes:
            argv = [sys.executable, __file__, str(args.plans), str(args.accounts), "--child"]
            argv += ["--limit", str(args.limit), *(["--write"] if args.write else []), *(["--pdf"] if args.pdf else [])]
            load = os.getloadavg()[0]
            done = subprocess.run(
                argv, env={**os.environ, "PYTHONPATH": code}, capture_output=True, text=True, check=False
            )
            if done.returncode:
                raise SystemExit(f"{code}: {done.stderr[-3000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            figures = ", ".join(f"{c} {result['us'][c]:.1f}" for c in channels if c in result["us"])
            print(
                f"round {round_} {code}: {result['messages']} messages, {result['cpu_s']:.2f} s CPU"
                f" ({result['cpu_s'] / max(1, result['messages']) * 1e6:.1f} µs a message); µs: {figures}"
                f" (load {load:.1f} → {os.getloadavg()[0]:.1f}, {time.strftime('%H:%M:%S')})",
                flush=True,
            )


if __name__ == "__main__":
    main()
