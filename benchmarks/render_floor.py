"""The least any render of a plan directory's messages can cost here: its files, written.

usage: python benchmarks/render_floor.py MESSAGES_DIR [--workers N] [--work DIR]

``dunning render`` writes one file per email, call script, agency note and legal case (the
output contract), and hashes each for the manifest. This script replays exactly that file
layout — every path and size under MESSAGES_DIR, e.g. the ``messages/`` of a
``benchmarks/build_bench.py`` run — with no templating at all: the same ``os.open`` /
``os.write`` / ``os.close`` and sha256 render uses (:func:`dunning.render.files.write_bytes`),
split over ``--workers`` processes as render splits its chunks. Its time is a floor under
render's: what is left for the templates is the difference.

The copy is deleted after the timing. Deleting many files makes this VM's ext4 slow to
create files for a few minutes after (see README), so do not time a render right after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

from dunning.render.files import write_bytes


def _layout(messages: Path) -> list[tuple[str, int]]:
    """Every file under ``messages`` as (relative path, size), in a stable order."""
    found = []
    for folder, _, names in os.walk(messages):
        for name in names:
            path = os.path.join(folder, name)
            found.append((os.path.relpath(path, messages), os.path.getsize(path)))
    return sorted(found)


def _write_share(args: tuple[str, list[tuple[str, int]]]) -> int:
    root, files = args
    for relative, size in files:
        write_bytes(Path(root), relative, b"x" * size)
    return len(files)


def replay(messages: Path, workers: int, work: Path | None = None) -> dict[str, float]:
    """Write every file of ``messages`` again (same paths, same sizes, no templating) with
    ``workers`` processes into a temporary copy, deleted after; the timing."""
    layout = _layout(messages)
    if not layout:
        raise SystemExit(f"{messages}: no files to replay (hint: pass the messages/ of a build_bench.py run)")
    root = Path(tempfile.mkdtemp(prefix=".render-floor-", dir=work or messages.parent))
    shares = [(str(root), layout[i::workers]) for i in range(workers)]
    try:
        started = time.perf_counter()
        with get_context("fork").Pool(workers) as pool:
            written = sum(pool.map(_write_share, shares))
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "files": written,
        "mib": sum(size for _, size in layout) / 2**20,
        "workers": workers,
        "wall_s": seconds,
        "us_per_file": seconds / max(1, written) * 1e6 * workers,  # of one process
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("messages", type=Path, help="a rendered messages/ directory to replay")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--work", type=Path, default=None, help="where to write the copy (default: beside MESSAGES)")
    args = parser.parse_args()
    floor = replay(args.messages, args.workers, args.work)
    print(
        f"{floor['files']:.0f} files, {floor['mib']:.0f} MiB, {args.workers} processes: {floor['wall_s']:.1f} s"
        f" ({floor['us_per_file']:.0f} µs of one process a file)"
    )


if __name__ == "__main__":
    main()
