"""Typesetting one print batch and cutting its archive copies, in a process of its own.

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

from dunning.render import archive, typeset
from dunning.render.files import write_bytes

# (output root, batch file stem, paper, posting date, [(reference, archive path, zlib-compressed markup)])
BatchJob = tuple[str, str, str, str, list[tuple[str, str, bytes]]]
# (batch PDF path, its sha256, its pages, pages of each letter in print order,
#  [(archive path, sha256)], CPU ns spent)
Printed = tuple[str, str, int, list[int], list[tuple[str, str]], int]


def typeset_batch(job: BatchJob) -> Printed:
    """Write one batch PDF and its letters' archive copies under the output root."""
    started = time.process_time_ns()
    root, name, paper, posting_date, letters = job
    sources = [(reference, zlib.decompress(markup).decode("utf-8")) for reference, _, markup in letters]
    data = typeset.batch_pdf(name, paper, date.fromisoformat(posting_date), sources)
    relative, digest = write_bytes(Path(root), f"messages/letters/{name}.pdf", data)
    pages: list[int] = []
    written: list[tuple[str, str]] = []
    copies = archive.cut_letters(data, [reference for reference, _ in sources])
    for (_, path, _), (copy, count) in zip(letters, copies, strict=True):
        written.append(write_bytes(Path(root), path, copy))
        pages.append(count)
    return relative, digest, typeset.page_count(data), pages, written, time.process_time_ns() - started
