"""Typesetting one print batch, in a process of its own.

Typst memoizes its work for the life of the process and the ``typst`` package offers no way
to evict it: a worker that typeset batch after batch grew by ≈ 150 MiB a batch of 500 CJK
letters (3.3 GiB for the whole tree on 200k accounts, measured). So every batch is typeset
in a fresh process (``spawn``, one task per process) that exits with its memory; spawned
rather than forked because a process that ran Typst cannot fork safely (its thread pool does
not follow). This module imports only what a batch needs, so that start-up stays short.
"""

from __future__ import annotations

import time
import zlib
from datetime import date
from pathlib import Path

from dunning.render import typeset
from dunning.render.files import write_bytes

# (output root, batch file stem, paper, posting date, [(zlib-compressed markup, pages)])
BatchJob = tuple[str, str, str, str, list[tuple[bytes, int]]]


def typeset_batch(job: BatchJob) -> tuple[str, str, int, int]:
    """Write one batch PDF under the output root: (relative path, sha256, pages, CPU ns spent)."""
    started = time.process_time_ns()
    root, name, paper, posting_date, letters = job
    sources = [(zlib.decompress(markup).decode("utf-8"), pages) for markup, pages in letters]
    data = typeset.batch_pdf(name, paper, date.fromisoformat(posting_date), sources)
    relative, digest = write_bytes(Path(root), f"messages/letters/{name}.pdf", data)
    return relative, digest, typeset.page_count(data), time.process_time_ns() - started
