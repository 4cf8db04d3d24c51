"""Where an email's render CPU goes, stage by stage, in one process (the file left out).

usage: python benchmarks/email_stages.py ACCOUNTS [--as-of DAY] [--rounds R]

``dunning build --jobs 1 --no-pdf --no-handbook`` of ACCOUNTS (run from the repository: its
policy) in this process, every email's plan line, action and account row captured as render
meets them (the emails filled elsewhere, if a branch fills some per key, are rendered by
``render_chunk`` here: every email is captured). Then each stage is replayed over all of
them, R times, and the best round printed in µs an email: the whole context
(``build_context``), the three blocks (``ChunkRenderer._text``, one memo an email, and each
block alone), ``email_bytes``, the file's sha256 and name, and the whole of
``ChunkRenderer._render_action`` as a build runs it (a narrowed context where the branch has
one) with the file hashed and not written: the file's create and write are this machine's
file system's (``render_floor.py``). Compare two trees by running it with each on
``PYTHONPATH``, alternated, at one load (quote ``uptime``).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # as a planning worker counts

from dunning.build import BuildRequest, run_build
from dunning.render import batch
from dunning.render import email as email_channel
from dunning.render.files import file_stem, sha256_bytes
from dunning.render.fused import ChunkMessages
from dunning.templating.context import build_context

ROOT = Path(__file__).resolve().parents[1]


def _capture(accounts: Path, day: date) -> tuple[batch.ChunkRenderer, list[tuple[Any, Any, Any]]]:
    captured: list[tuple[Any, Any, Any]] = []
    renderers: list[batch.ChunkRenderer] = []
    render_action, start = batch.ChunkRenderer._render_action, ChunkMessages.start

    def recorded(
        self: batch.ChunkRenderer, plan: Any, action: Any, account: Any, result: Any, shared: Any = None
    ) -> Any:
        if action.get("channel") == "email":
            captured.append((plan, action, account))
            renderers[:1] = [self]
        return render_action(self, plan, action, account, result, shared)

    def started(self: ChunkMessages, *args: Any, **kwargs: Any) -> None:
        start(self, *args, **kwargs)
        if getattr(self, "emails", None) is not None:
            self.emails = None  # a branch's per-key emails: rendered (and captured) by render_chunk

    batch.ChunkRenderer._render_action = recorded  # type: ignore[method-assign]
    ChunkMessages.start = started  # type: ignore[method-assign]
    out = Path(tempfile.mkdtemp(prefix="email-stages-"))
    try:
        run_build(BuildRequest(ROOT, accounts, day, out / "out", jobs=1, pdf=False, handbook=False))
    finally:
        batch.ChunkRenderer._render_action = render_action  # type: ignore[method-assign]
        ChunkMessages.start = start  # type: ignore[method-assign]
        shutil.rmtree(out, ignore_errors=True)
    if not captured:
        raise SystemExit(f"{accounts}: no email rendered on {day} (hint: a Saturday's book has them)")
    return renderers[0], captured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("accounts", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 28))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    renderer, captured = _capture(args.accounts.resolve(), args.as_of)
    count = len(captured)

    def best(stage: Callable[[], object]) -> float:
        rounds = []
        for _ in range(args.rounds):
            gc.collect()
            started = time.process_time_ns()
            stage()
            rounds.append(time.process_time_ns() - started)
        return min(rounds) / count / 1000

    contexts = [build_context(plan, action, account, renderer.policy, {}) for plan, action, account in captured]
    files = [renderer._template_file(action, c["locale"]) for (_, action, _), c in zip(captured, contexts, strict=True)]

    def blocks(only: str | None = None) -> list[dict[str, str]]:
        out = []
        for context, file in zip(contexts, files, strict=True):
            memo: dict[int, Any] = {}
            out.append(
                {
                    block: renderer._text(file, context, "email", block, memo)
                    for block in email_channel.BLOCKS
                    if only in (None, block)
                }
            )
        return out

    parts = blocks()
    messages = [email_channel.email_bytes(c, p, f) for c, p, f in zip(contexts, parts, files, strict=True)]

    def hashed(result: batch.ChunkResult, relative: str, data: bytes) -> str:
        result.files.append((relative, sha256_bytes(data)))
        return relative

    def whole() -> None:
        result = batch.ChunkResult()
        for plan, action, account in captured:
            renderer._render_action(plan, action, account, result, {})

    figures = {
        "context": best(lambda: [build_context(p, a, acc, renderer.policy, {}) for p, a, acc in captured]),
        "blocks": best(blocks),
        **{f"  {block}": best(lambda block=block: blocks(block)) for block in email_channel.BLOCKS},  # type: ignore[misc]
        "email_bytes": best(
            lambda: [email_channel.email_bytes(c, p, f) for c, p, f in zip(contexts, parts, files, strict=True)]
        ),
        "sha256": best(lambda: [hashlib.sha256(m).hexdigest() for m in messages]),
        "file_stem": best(lambda: [file_stem(action["id"]) for _, action, _ in captured]),
    }
    renderer._write = hashed  # type: ignore[method-assign]
    figures["_render_action, no file"] = best(whole)
    print(
        f"{count} emails ({statistics.mean(map(len, messages)):.0f} bytes on average), best of {args.rounds}, "
        f"µs an email (load {os.getloadavg()[0]:.1f}, {time.strftime('%H:%M:%S')}):"
    )
    for name, value in figures.items():
        print(f"  {name:<26} {value:6.1f}")


if __name__ == "__main__":
    main()
