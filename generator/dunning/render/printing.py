"""Typesetting one print batch and cutting its archive copies, in a print worker.

Print workers are one pool for the whole print stage (:mod:`dunning.workers`: never more
workers than batches, at most one per core); a worker's later batches reuse the fonts it
loaded for its first (≈ 50 ms) and pay no process start-up. Typst's font index (which faces
the fonts hold, ≈ 20 ms) is built once, by the fork server, and inherited by every worker
(:mod:`dunning.render.print_server`). They are not forked from the
process that runs render, because a process that ran Typst cannot fork safely (its thread pool
does not follow), and each is replaced after its batches (see below): so they come from a
fork server, a process started once for the print stage that imports this module and Typst
(:data:`PRELOAD`) and never typesets; each worker is a fork of it. A spawned worker, a fresh
interpreter importing them again, took ≈ 55–65 ms of CPU before its first batch, a forked
one ≈ 10 ms (measured 2026-12-07): ≈ 0.2 ms a letter of a 250-letter batch. This module
imports only what a batch needs.

Typst memoizes its work for the life of the process and the ``typst`` package offers no way
to evict it: a worker grows batch after batch (≈ 50–70 MiB a CJK batch of 250 letters, to
718 MiB after the 20 batches of a 200k Monday, measured). So a worker is ended and replaced
after :func:`recycle_after` batches (two when it runs alone, one when two run), which bounds
its memory (docs/render.md, "Print workers").

A worker's memory grows with the letters Typst has laid out (≈ 65 MiB once the CJK fonts are
read, ≈ 185–250 MiB at the end of a full CJK batch) and is given back when it exits. Two workers
that start their batches together reach their peaks together — and batches of one size keep
them in step —, so the workers take turns (:func:`turns`): a batch starts when it is expected
to end at least its share of a batch's time (half a batch with two workers) away from the
end of the other batches being typeset, which keeps one worker at its peak while the other
is half-way (docs/render.md, "Memory of the print stage").
"""

from __future__ import annotations

import os
import time
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from dunning.render import archive, typeset
from dunning.render.files import write_bytes

# (output root, batch file stem, paper, posting date, the markup spool's path,
#  [(reference, archive path, offset and length of its UTF-8 markup in the spool)])
BatchJob = tuple[str, str, str, str, str, list[tuple[str, str, int, int]]]
# (batch PDF path, its sha256, its pages, pages of each letter in print order,
#  [(archive path, sha256)], CPU ns spent)
Printed = tuple[str, str, int, list[int], list[tuple[str, str]], int]
# What the print workers' fork server imports before it forks them (dunning.workers adds itself
# and the executor's worker loop): everything a batch needs, and with print_server Typst's font
# index and compiler (≈ 20 ms a worker, measured), not the fonts themselves, which Typst reads in
# a compile, and a process that compiled cannot fork (see the module's docstring)
PRELOAD = ("dunning.render.printing", "typst", "dunning.render.print_server")
# benchmarks/letters_bench.py: one JSON line per batch with its CPU by phase, appended to this file
PROFILE_VARIABLE = "DUNNING_PRINT_PROFILE"
# Batches the print workers together typeset before they are replaced (Typst's memo cache only
# grows, ≈ 50–70 MiB a CJK batch): one worker typesets two, two workers one each. Two workers of
# two batches took the 1M Monday tree to 639 MiB against 555–572 MiB with one batch each
# (docs/render.md, "Print workers").
RECYCLE_BUDGET = 2
# CPU time of this process when its previous batch ended (None: no batch yet)
_last_ended: int | None = None
# Before a batch's time is measured: wall seconds a letter takes in Typst (measured on a loaded
# 2-core machine: ≈ 4–10 ms), low rather than high: too low only staggers the first batches less.
# Only the first batch is planned with it: the others wait until it has ended (see _wait_turn)
FIRST_PACE_S = 0.004
# ... at most this many times its expected time (a worker that died in its batch never ends it)
FIRST_WAIT_TIMES = 20
# how often a batch waiting for the first one to end looks again
FIRST_POLL_S = 0.02
# The pool's turns (see turns()), set in each worker by take_turns: a lock and shared numbers —
# the wall seconds a letter took in Typst so far, then when each batch being typeset is
# expected to end (time.monotonic, the same clock in every process; 0: no batch)
_TURNS: tuple[Any, Any, int] | None = None


def turns(workers: int) -> tuple[Any, Any, int] | None:
    """The shared state by which ``workers`` print workers take turns (None for one worker:
    its batches follow each other anyway); give it to :func:`take_turns` in each worker."""
    if workers < 2:
        return None
    context = get_context("spawn")
    shared = context.RawArray("d", 1 + workers)  # the pace (0: none measured yet), each slot's end
    return context.Lock(), shared, workers


def take_turns(shared: tuple[Any, Any, int] | None) -> None:
    """A print worker's initializer: the pool's turns (:func:`turns`)."""
    global _TURNS
    _TURNS = shared


def _wait_turn(letters: int) -> int:
    """Wait until this batch of ``letters`` may start, and return the slot that holds its
    expected end: a worker peaks at the end of its batch (the PDF written, its copies cut), so
    a batch starts at the first moment from now at which it is expected to end no nearer than
    its share of a batch's time (half, with two workers) to the end of any batch being
    typeset — a short batch may end before a long one started earlier. Expected: the letters
    times the wall seconds a letter took so far. Until a batch has ended, that is not known (a
    letter's wall time moves with the machine's load: the first two batches planned with
    FIRST_PACE_S ended together on a loaded machine, 2 x 220 MiB at once): the first batch
    starts at once, the others wait until it has ended (at most FIRST_WAIT_TIMES its expected
    time)."""
    if _TURNS is None:
        return 0
    lock, shared, workers = _TURNS
    give_up = time.monotonic() + FIRST_WAIT_TIMES * FIRST_PACE_S * letters
    while True:
        with lock:  # looked at and taken in one hold of the lock: two first batches never both start
            now = time.monotonic()
            ends = [shared[n] for n in range(1, workers + 1) if shared[n] > 0]
            if shared[0] > 0 or not ends or now >= give_up:
                length = (shared[0] or FIRST_PACE_S) * letters
                gap = length / workers
                start = min(
                    candidate
                    for candidate in [now, *(end + gap - length for end in ends)]
                    if candidate >= now and all(abs(candidate + length - end) >= gap - 1e-9 for end in ends)
                )
                # a free slot; none when a worker died in its batch: the one whose batch ends first
                slot = min(range(1, workers + 1), key=lambda n: shared[n])
                shared[slot] = start + length
                break
        time.sleep(FIRST_POLL_S)
    if start > now:
        time.sleep(start - now)
    return slot


def _paced(letters: int, seconds: float, slot: int) -> None:
    """Record that Typst took ``seconds`` of wall for a batch of ``letters``, which has ended
    (its ``slot`` is free)."""
    if _TURNS is None or not letters:
        return
    lock, shared, _ = _TURNS
    with lock:
        shared[0] = (shared[0] + seconds / letters) / 2 if shared[0] > 0 else seconds / letters
        shared[slot] = 0.0


def recycle_after(workers: int) -> int:
    """Batches a print worker typesets before it is replaced, when ``workers`` run at once:
    :data:`RECYCLE_BUDGET` shared among them, at least one each."""
    return max(1, RECYCLE_BUDGET // max(1, workers))


def typeset_batch(job: BatchJob) -> Printed:
    """Write one batch PDF and its letters' archive copies under the output root."""
    global _last_ended
    started = time.process_time_ns()
    # a worker's first batch: its start-up (interpreter, imports, the job); then what it spent
    # between batches (taking the next job off the pipe)
    startup = started - (_last_ended or 0)
    root, name, paper, posting_date, spool, letters = job
    sources = _sources(spool, letters)
    slot = _wait_turn(len(letters))
    began = time.monotonic()
    data = typeset.batch_pdf(name, paper, date.fromisoformat(posting_date), sources)
    _paced(len(letters), time.monotonic() - began, slot)
    typeset_at = time.process_time_ns()
    relative, digest = write_bytes(Path(root), f"messages/letters/{name}.pdf", data)
    pages: list[int] = []
    written: list[tuple[str, str]] = []
    writing = time.process_time_ns() - typeset_at
    copies = archive.cut_letters(data, [reference for reference, _ in sources])
    for (_, path, _, _), (copy, count) in zip(letters, copies, strict=True):
        before = time.process_time_ns()
        written.append(write_bytes(Path(root), path, copy))
        writing += time.process_time_ns() - before
        pages.append(count)
    ended = time.process_time_ns()
    _last_ended = ended
    _profile(name, len(letters), startup, typeset_at - started, ended - typeset_at - writing, writing)
    return relative, digest, typeset.page_count(data), pages, written, ended - started + startup


def _sources(spool: str, letters: list[tuple[str, str, int, int]]) -> list[tuple[str, str]]:
    """Each letter's (reference, markup), its markup read from the render's spool file (the
    parent holds where each letter's markup is, not the markup: docs/render.md, "Memory of
    the print stage")."""
    fd = os.open(spool, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return [(reference, os.pread(fd, length, offset).decode("utf-8")) for reference, _, offset, length in letters]
    finally:
        os.close(fd)


def _profile(name: str, letters: int, startup_ns: int, typeset_ns: int, cut_ns: int, write_ns: int) -> None:
    """With ``DUNNING_PRINT_PROFILE=FILE``, append this batch's CPU by phase to FILE (kept out
    of the output directory, whose bytes must not depend on the machine): the process's
    start-up (a worker's first batch) or what it spent since its previous batch, typesetting,
    cutting the archive copies, writing (and hashing) the batch PDF and the copies, and the
    worker's peak resident memory so far (``peak_rss_kib``: how it grows batch after batch).
    One ``write`` of one line to a file opened for appending: batches typeset in parallel do
    not mix their lines."""
    target = os.environ.get(PROFILE_VARIABLE)
    if not target:
        return
    line = (
        f'{{"batch": "{name}", "letters": {letters}, "startup_ns": {startup_ns}, '
        f'"typeset_ns": {typeset_ns}, "cut_ns": {cut_ns}, "write_ns": {write_ns}, '
        f'"pid": {os.getpid()}, "peak_rss_kib": {_peak_rss_kib()}}}\n'
    )
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def _peak_rss_kib() -> int:
    """This process's peak resident memory (``VmHWM``; 0 where /proc does not say). Not
    ``getrusage``: a spawned process's ``ru_maxrss`` starts at its parent's RSS when it forked."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # pragma: no cover - not Linux
        pass
    return 0
