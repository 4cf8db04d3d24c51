"""The plan run: stream the snapshot in chunks, plan them on every core, write the outputs.

Memory does not grow with the number of accounts: each chunk is validated and planned in a
worker process, which writes its plans sorted by account id to a *run* file (spilled to
disk) and returns only counts and row rejects. The parent appends the runs to
``plans.jsonl`` and ``actions.csv`` as they come while their ids keep increasing (a sorted
snapshot), and otherwise k-way merges them (:func:`heapq.merge`, see :class:`_RunSink`):
the outputs are in account-id order whatever the input order, and duplicate account ids
are found on the way (the later line is rejected, R011). Everything is written into a
staging directory next to ``--out`` that replaces it in one step at the end (see
:mod:`dunning.outdir`), so a failed or killed run leaves the previous output as it was.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import heapq
import itertools
import os
import pickle
import shutil
import struct
import sys
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Protocol

import orjson

from dunning.accounts.history.staging import BATCH_ROWS as HISTORY_BATCH_ROWS
from dunning.accounts.record import RowReject, msg_duplicate
from dunning.accounts.source import CHUNK_ROWS, AccountFile, CsvPiece
from dunning.errors import DunningError
from dunning.outdir import OutputDir, append_hashed, mark, open_private, sha256_file, write_all, write_private
from dunning.plan.output import ACTION_COLUMNS, DATA_STAT, HELD_STAT, REJECT_COLUMNS
from dunning.plan.pool import worker_env
from dunning.policy.model import Policy
from dunning.text.cells import csv_writer
from dunning.workers import Workers, resolve_jobs

if TYPE_CHECKING:
    import polars as pl

    from dunning.accounts.history.staging import HistoryChecked, StagedHistory
    from dunning.accounts.read import Screened

SCHEMA_VERSION = 1
# a chunk's history lines planned at once (dunning.plan.chunk): 10,000 accounts with 10
# events each, where a slice holds ≈ 60 MiB of them at its peak
HISTORY_SLICE_LINES = 100_000

Outcome = tuple[str, str, tuple[tuple[str, str], ...]]  # (status, tier, ((action status, channel), ...))
# One run record: (account_id, line, plans.jsonl line, actions.csv rows, outcome). Records
# order as tuples do: by account id, then line (no two records share a line).
RunRecord = tuple[str, int, bytes, str, Outcome]


@dataclass(frozen=True)
class PlanInputs:
    """Everything a plan run reads; the same inputs give byte-identical outputs."""

    policy_path: Path
    accounts: Path
    as_of: date
    history: Path | None = None
    horizon: int = 0
    accounts_format: str | None = None
    chunk_rows: int = CHUNK_ROWS  # rows per chunk (smaller: less memory, more runs to merge)
    # the history as the run's parent read it, for the workers (set by write_plans)
    staged_history: StagedHistory | None = None
    # history lines the parent reads and checks at a time (its memory for the history)
    history_batch_rows: int = HISTORY_BATCH_ROWS
    # a chunk's history lines a worker plans at once; a chunk with more is planned in slices
    history_slice_lines: int = HISTORY_SLICE_LINES
    # what each planning process does with a chunk right after planning it (set by write_plans)
    follower: Follower | None = None


@dataclass
class ChunkResult:
    """What a worker returns for one chunk: rows read, row rejects, its run files (plan lines,
    CSV rows and an index, all sorted by account id), the id range and the chunk's counts."""

    rows: int
    rejects: list[RowReject]
    run: Path
    first_id: str = ""
    last_id: str = ""
    counts: Summary | None = None
    duplicates: list[tuple[int, str, int]] = field(default_factory=list)  # (line, id, first line)
    local_lines: bool = False  # lines count from the chunk's start (CSV pieces parsed by workers)
    skipped: int = 0  # blank records the worker skipped (not accounts, but lines of the file)
    offset: int = 0  # records before the chunk, set by the parent once all counts are known
    learned: bytes = b""  # templates the worker learned in this chunk (pickled), for the others
    followed: Any = None  # what the follower made of the chunk (None: it was not asked to)


class Follower(Protocol):
    """Work on each chunk right after it is planned, in the process that planned it: it holds
    the chunk's rows and plan lines already (``dunning build`` renders the chunk's messages
    there, :mod:`dunning.render.fused`). Pickled to the workers with :class:`PlanInputs`."""

    def start(self, policy: Policy, *, in_worker: bool) -> None:
        """Once per planning process, after its planning state is built."""

    def chunk(self, plans: pl.DataFrame, frame: pl.DataFrame, screened: Screened) -> Any:
        """One chunk: ``plans`` its plans in ``plans.jsonl`` order (``account_id``, the line
        number, :data:`~dunning.plan.columnar.PLAN`: the line, newline included), ``frame``
        the chunk's rows as read (text columns, ``__line`` counting from the chunk's start
        when the result says ``local_lines``), ``screened`` its rows as the checks left them
        (:func:`~dunning.accounts.read.screen_frame`). The value goes back in
        ``ChunkResult.followed``."""


class Following(Protocol):
    """The run's side of a :class:`Follower`: given every chunk's result in file order."""

    @property
    def follower(self) -> Follower:
        """What the planning processes are given (in :class:`PlanInputs`)."""

    def wanted(self) -> bool:
        """Whether the chunks handed out from now on are to be followed."""

    def take(self, result: ChunkResult, in_order: bool) -> None:
        """The next chunk's result (file order, after its rejects are written: its line offset
        is known); ``in_order``: ``plans.jsonl`` is still the chunks' runs end to end."""


@dataclass
class Summary:
    """The counts ``summary.json`` holds; ``accounts_in == planned + excluded + rejected``."""

    accounts_in: int = 0
    planned: int = 0
    excluded: int = 0
    rejected: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    by_tier: Counter[str] = field(default_factory=Counter)
    data_quality: Counter[str] = field(default_factory=Counter)  # plans per data-quality code
    history_rejected: int = 0  # unreadable history lines (history-rejects.csv)
    held: int = 0  # accounts held by them (history/unreadable)
    history_lines: int = 0  # lines of the history read, readable or not
    held_planned: int = 0  # accounts of the snapshot planned as held (of ``planned``)
    # output file -> sha256, taken as the run wrote it (plans.jsonl and actions.csv when the
    # runs were appended), for the manifest: not in summary.json
    hashes: dict[str, str] = field(default_factory=dict)

    def over_reject_rate(self, rate: float) -> bool:
        """True when the run rejected more than ``rate`` of its input (``--max-reject-rate``):
        of the accounts, those rejected plus those held for an unreadable history line (neither
        gets a contact); or of the history's lines, those rejected. ``rate`` 1 never fails."""
        accounts = self.rejected + self.held_planned > rate * self.accounts_in
        return accounts or self.history_rejected > rate * self.history_lines

    def balanced(self) -> bool:
        """True when every input account is planned, excluded or rejected."""
        return self.accounts_in == self.planned + self.excluded + self.rejected

    def line(self) -> str:
        """The one-line account of the run the CLI prints."""
        mark = "==" if self.balanced() else "!="
        return (
            f"accounts_in {self.accounts_in} {mark} planned {self.planned} + excluded {self.excluded}"
            f" + rejected {self.rejected}"
        )


def count(summary: Summary, status: str, tier: str, stats: tuple[tuple[str, str], ...], n: int = 1) -> None:
    """Add ``n`` plans with this status, tier and actions (status, channel) to ``summary``."""
    if status == "excluded":
        summary.excluded += n
    else:
        summary.planned += n
    summary.by_tier[tier] += n
    for action_status, channel in stats:
        if (action_status, channel) == HELD_STAT:
            summary.held_planned += n
            continue
        if action_status == DATA_STAT:  # a data-quality code on the plan (see plan_stats)
            summary.data_quality[channel] += n
            continue
        summary.actions[action_status] += n
        summary.by_channel[channel] += n


def _read_run(run: Path, offset: int = 0) -> Iterator[RunRecord]:
    """A run's records back, in order: (id, line, status, tier, plan line, CSV rows, stats)."""
    with run.with_suffix(".plans").open("rb") as plans, run.with_suffix(".csv").open("rb") as rows:
        yield from _records(run, offset, plans, rows)


def _records(run: Path, offset: int, plans: BinaryIO, rows: BinaryIO) -> Iterator[RunRecord]:
    """The records of ``run`` (its index and outcomes), their text read from ``plans`` and
    ``rows`` where those stand: the run's own files, or the output it was appended to."""
    import polars as pl  # only unsorted input is merged record by record

    index = pl.read_ipc(run.with_suffix(".index"))
    outcomes = pickle.loads(run.with_suffix(".outcomes").read_bytes())
    for account_id, line, outcome, n_rows in index.iter_rows():
        # bytes: a record's CSV rows are counted by "\n" (a text handle would also split at "\r")
        if n_rows == 1:
            text = rows.readline().decode("utf-8")
        else:
            text = b"".join(rows.readline() for _ in range(n_rows)).decode("utf-8")
        yield account_id, line + offset, plans.readline(), text, outcomes[outcome]


# ---------------------------------------------------------------------------- the run
def _jobs(inputs: PlanInputs, jobs: int | None) -> int:
    # the snapshot's bytes are the work's measure (planning bytes: see dunning.workers)
    return resolve_jobs(jobs, inputs.accounts.stat().st_size)


class _RunSink:
    """``plans.jsonl`` and ``actions.csv``, filled while the workers still plan.

    Results arrive in file order. While each chunk's ids all sort after the previous chunk's
    (a snapshot sorted by account id, the usual case), its run is appended at once and its
    text files deleted: the copy (half a gigabyte for a million accounts) and the deleting
    overlap the planning instead of following it. The first chunk out of order stops the
    appending; :meth:`finish` then merges what was appended (one sorted run, read back from
    the outputs) with every later run into fresh outputs.

    With ``hashed`` (``dunning build``) the appended bytes are hashed on the way (in this
    process, beside the workers), so the manifest need not read the two files back after the
    plan (≈ 540 MB at 1M, ≈ 0.5 s of one core while the other waits); the merged outputs are
    not, and are read back then. Without (``dunning plan``: no manifest) the kernel copies."""

    def __init__(self, out: Path, runs_dir: Path, *, hashed: bool = False) -> None:
        self.out, self.runs_dir = out, runs_dir
        self.plans, self.actions = self._open()
        self.summary = Summary()
        self.in_order = True
        self.last_id = ""
        self.appended: list[ChunkResult] = []
        self.digests = {name: hashlib.sha256() for name in ("plans.jsonl", "actions.csv")} if hashed else {}
        if hashed:
            self.digests["actions.csv"].update((self.out / "actions.csv").read_bytes())  # the header, as written

    def _open(self) -> tuple[IO[bytes], IO[str]]:
        plans = open_private(self.out / "plans.jsonl", "wb")
        actions = open_private(self.out / "actions.csv", "w", encoding="utf-8", newline="")
        csv_writer(actions).writerow(ACTION_COLUMNS)
        actions.flush()
        return plans, actions

    def close(self) -> None:
        self.plans.close()
        self.actions.close()

    def take(self, result: ChunkResult) -> None:
        """Append the run of the next chunk in file order, while the ids keep increasing."""
        if not self.in_order or not result.first_id:
            return
        if result.first_id <= self.last_id:
            self.in_order = False
            return
        self.last_id = result.last_id
        for suffix, target, name in ((".plans", self.plans, "plans.jsonl"), (".csv", self.actions, "actions.csv")):
            _append(result.run.with_suffix(suffix), target.fileno(), self.digests.get(name))
            result.run.with_suffix(suffix).unlink()
        self.appended.append(result)
        assert result.counts is not None
        _add(self.summary, result.counts)

    def finish(self, results: list[ChunkResult]) -> tuple[Summary, list[RowReject]]:
        """The counts (rows read included) and the duplicates the merge found, if it ran."""
        duplicates: list[RowReject] = []
        if not self.in_order:
            self.digests = {}  # the outputs are written again below, unhashed
            self.close()
            prefix = {name: self.runs_dir / f"appended.{name}" for name in ("plans.jsonl", "actions.csv")}
            for name, path in prefix.items():
                os.replace(self.out / name, path)
            self.plans, self.actions = self._open()
            self.summary = Summary()
            # the appended chunks are the first of those with plans, in file order
            later = [r for r in results if r.first_id][len(self.appended) :]
            with prefix["plans.jsonl"].open("rb") as plans, prefix["actions.csv"].open("rb") as rows:
                rows.readline()  # the header
                # the appended chunks follow one another in id order: together, one sorted run
                runs: list[Iterator[RunRecord]] = [
                    itertools.chain.from_iterable(_records(r.run, r.offset, plans, rows) for r in self.appended)
                ]
                runs += [_read_run(r.run, r.offset) for r in later]
                merged = heapq.merge(*runs)
                duplicates = _merge(merged, self.plans, self.actions, self.summary)
        self.summary.accounts_in = sum(r.rows for r in results)
        self.summary.hashes = {name: digest.hexdigest() for name, digest in self.digests.items()}
        return self.summary, duplicates


def write_plans(
    inputs: PlanInputs,
    out: Path,
    *,
    jobs: int | None = None,
    progress: Any = None,
    policy: Policy | None = None,
    following: Following | None = None,
    hashed: bool = False,
    pool: Workers | None = None,
) -> Summary:
    """Plan every account of ``inputs`` into the directory ``out`` (written in place; see
    :func:`run_plan` for the all-or-nothing wrapper). ``progress`` gets ``update(n)``;
    ``following`` has each planning process follow its chunks (:class:`Following`);
    ``hashed``: the outputs' sha256 taken as they are written, when it can (``Summary.hashes``);
    ``pool``: the planning workers, started already (:func:`~dunning.plan.pool.planning_pool`; ``jobs`` is then
    theirs)."""
    source = AccountFile(inputs.accounts, inputs.accounts_format, inputs.chunk_rows)  # UserError before any work
    if following is not None:
        inputs = replace(inputs, follower=following.follower)
    workers = pool.jobs if pool is not None else _jobs(inputs, jobs)
    runs_dir = Path(tempfile.mkdtemp(prefix=".runs-", dir=out))
    # the inputs' digests for summary.json, taken meanwhile (hashlib lets go of the GIL)
    hashing = ThreadPoolExecutor(1)
    digests = {name: hashing.submit(sha256_file, path) for name, path in _input_files(inputs).items()}
    try:
        rejects = _RejectsFile(out / "rejects.csv")
        sink = _RunSink(out, runs_dir, hashed=hashed)
        try:

            def take(result: ChunkResult) -> None:
                rejects.take(result)  # first: it gives the run its line offset
                sink.take(result)
                if following is not None:
                    following.take(result, sink.in_order)

            history: list[tuple[int, int, int]] = []

            def stage(pool: Workers | None) -> StagedHistory:
                # read once, a batch of lines at a time: the rejects are written now, and each
                # worker reads from the staged lines only the events of the accounts it plans
                staged, checked = _stage_history(inputs, runs_dir / "history", workers=workers, pool=pool)
                history.append(write_history_rejects(checked, out))
                return staged

            staging = stage if inputs.history is not None else None
            results = _plan_all(inputs, source, runs_dir, workers, progress, policy, take, following, staging, pool)
            mark("plan's end")
            summary, duplicates = sink.finish(results)
            rejects.finish(duplicates, runs_dir)
            if history:
                summary.history_lines, summary.history_rejected, summary.held = history[0]
        finally:
            sink.close()
            rejects.close()
        summary.rejected = rejects.count
        mark("digests")
        hashes = {name: future.result() for name, future in digests.items()}
    finally:
        shutil.rmtree(runs_dir, ignore_errors=True)
        hashing.shutdown(cancel_futures=True)
    if not summary.balanced():  # pragma: no cover - a bug, never bad input
        raise DunningError(f"accounts were lost: {summary.line()}")
    write_private(
        out / "summary.json",
        orjson.dumps(summary_dict(inputs, summary, hashes), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE),
    )
    return summary


def _stage_history(
    inputs: PlanInputs, directory: Path, *, workers: int, pool: Workers | None = None
) -> tuple[StagedHistory, HistoryChecked]:
    """The history read, checked and staged for the workers (:func:`stage_history`).

    With workers, a plain CSV history is cut at line ends into two pieces a worker, each
    staged by one of ``workers`` processes (:func:`~dunning.accounts.history.staging.stage_piece`):
    no account can be planned before all of its events are staged, and they may stand
    anywhere in the file, so the staging is a step before the planning; done by one
    process, it left the other cores idle for as long as it took (2M lines: ≈ 6 s of the
    run). Two pieces a worker: a worker slowed by the machine's other load takes fewer.
    ``pool``: the planning workers, started before the staging and staging it themselves
    (:func:`_plan_in_pool`); without it, processes of the staging's own. A history that is
    not plain CSV (JSON Lines, quotes) is staged by one of them; a run that plans in this
    process stages it here."""
    from dunning.accounts.history.staging import (
        cut_history,
        joined_pieces,
        stage_history,
        stage_history_task,
        stage_piece_task,
    )

    assert inputs.history is not None
    task = (inputs.history, directory, inputs.history_batch_rows)
    if workers == 1:
        return stage_history(*task)
    pieces = cut_history(inputs.history, 2 * workers)
    # one polars thread a process when they share the cores (read when a worker imports it)
    processes = workers if pieces is not None else 1
    threads = {"POLARS_MAX_THREADS": os.environ.get("POLARS_MAX_THREADS") or "1"} if processes > 1 else {}
    own = Workers(processes, separate=True, env=threads) if pool is None else contextlib.nullcontext(pool)
    with own as scanners:
        if pieces is not None:
            directory.mkdir()
            # the pieces are handed out as the parent numbers them (a generator)
            tasks = ((piece, directory, inputs.history_batch_rows) for piece in pieces)
            staged = list(scanners.map(stage_piece_task, tasks))
            if all(piece is not None for piece in staged):
                return joined_pieces([piece for piece in staged if piece is not None])
            shutil.rmtree(directory)  # a piece is not plain: the file is read whole
        return next(scanners.map(stage_history_task, [task]))


def _plan_all(
    inputs: PlanInputs,
    source: AccountFile,
    runs_dir: Path,
    workers: int,
    progress: Any,
    policy: Policy | None,
    take: Callable[[ChunkResult], None],
    following: Following | None = None,
    stage: Callable[[Workers | None], StagedHistory] | None = None,
    pool: Workers | None = None,
) -> list[ChunkResult]:
    """Plan every chunk; each result goes to ``take`` as soon as it and all before it are in.
    ``stage``: stages the history (in the planning workers given, else here) first; ``pool``:
    the planning workers, started already (else started here when ``workers`` > 1)."""
    results: list[ChunkResult] = []

    def follow() -> bool:
        return following is not None and following.wanted()

    def deliver(result: ChunkResult, early: list[RowReject]) -> None:
        mark(f"take {result.run.name}")
        result.rejects.extend(early)
        result.rows += len(early)
        results.append(result)
        take(result)
        if progress is not None:
            progress.update(result.rows)

    if workers == 1:
        from dunning.plan.chunk import PlanningState, plan_chunk

        if stage is not None:
            inputs = replace(inputs, staged_history=stage(None))
        state = PlanningState(inputs, policy)
        for index, (frame, early) in enumerate(source.frames()):
            deliver(plan_chunk(state, frame, runs_dir / f"{index:06d}", follow=follow()), early)
        return results
    _plan_in_pool(inputs, source, runs_dir, workers, deliver, follow, stage, pool)
    return results


def _plan_in_pool(
    inputs: PlanInputs,
    source: AccountFile,
    runs_dir: Path,
    workers: int,
    deliver: Callable[[ChunkResult, list[RowReject]], None],
    follow: Callable[[], bool],
    stage: Callable[[Workers | None], StagedHistory] | None = None,
    started: Workers | None = None,
) -> None:
    # Every worker would learn every decision template itself; instead each chunk's new
    # templates go into a log that the parent appends to and every worker catches up on
    # before its next chunk, so most are learned once per run, not once per worker.
    log = runs_dir / "templates.log"
    log.touch()
    early_rejects: deque[list[RowReject]] = deque()  # a chunk's, taken by its result (same order)

    staged: Path | None = None  # the staged history, pickled for the workers (they stage it)

    # a pool started before the run's inputs were known (planning_pool) gets them with each chunk
    given = inputs if started is not None else None

    def chunks() -> Iterator[_Chunk]:
        pieces: Iterator[tuple[pl.DataFrame | CsvPiece, list[RowReject]]] = (
            # the last pieces smaller: the workers end together (AccountFile.csv_pieces)
            ((piece.located(), []) for piece in source.csv_pieces(tail=workers))
            if source.format == "csv"
            else source.frames()
        )
        for index, (piece, early) in enumerate(pieces):
            mark(f"cut {index:06d}")
            early_rejects.append(early)
            # asked as the chunk is handed out: a follower that gave up is not asked again
            yield piece, runs_dir / f"{index:06d}", log, follow(), staged, given

    own = Workers(workers, initializer=_init_worker, initargs=(inputs,), env=worker_env())
    if started is None:
        mark("plan pool")
    with own if started is None else _closed_after(started) as pool:
        if stage is not None:
            # staged by these workers, started first: the staging's own processes started
            # after the parent's imports and the planning workers after the staging (each
            # start ≈ 0.4 s of imports, the cores idle meanwhile); a worker's state waits
            # for its first chunk, which says where the staged history is
            staged = runs_dir / "staged-history.pickle"
            staged.write_bytes(pickle.dumps(stage(pool), protocol=pickle.HIGHEST_PROTOCOL))
        # bounded: memory holds a few chunks, not the file
        for result in pool.map(_plan_in_worker, chunks(), window=workers + 2):
            if result.learned:
                with log.open("ab") as fh:
                    fh.write(_log_entry(result.learned))
                result.learned = b""
            deliver(result, early_rejects.popleft())
        mark("last chunk taken")


@contextlib.contextmanager
def _closed_after(pool: Workers) -> Iterator[Workers]:
    """A pool started already, closed at the block's end as a pool of the block's own would be:
    its workers' exits waited for, or on an error ended first (before the staging folder they
    write into is removed)."""
    try:
        yield pool
    except BaseException:
        pool.close(stop=True)
        raise
    pool.close()


# one chunk as a planning worker gets it: its rows, its run's path, the template log, whether
# to follow it, the staged history, the run's inputs (from a pool started without them)
_Chunk = tuple["pl.DataFrame | CsvPiece", Path, Path, bool, "Path | None", "PlanInputs | None"]


def _append(source: Path, target: int, digest: hashlib._Hash | None) -> None:
    """Append a run file to the output file open on descriptor ``target`` (flushed). With a
    ``digest``, its bytes are added to it as they pass through this process for the hash
    anyway (:func:`~dunning.outdir.append_hashed`); without, in the kernel where it can
    (copy_file_range): a million accounts' runs are half a gigabyte."""
    if digest is not None:
        append_hashed(source, [(None, target, digest)])
        return
    with source.open("rb", buffering=0) as fh:
        left = os.fstat(fh.fileno()).st_size
        try:
            while left > 0 and (copied := os.copy_file_range(fh.fileno(), target, left)) > 0:
                left -= copied
        except OSError:  # a filesystem without it: copy through user space
            pass
        for block in iter(lambda: fh.read(1 << 20), b""):
            write_all(target, block)


def _init_worker(inputs: PlanInputs) -> None:
    # The worker side lives in dunning.plan.chunk, imported only in the workers: it pulls in
    # polars and the planner, which the parent (cutting the file, merging runs) never needs.
    from dunning.plan.chunk import init_worker

    init_worker(inputs)


def _plan_in_worker(chunk: _Chunk) -> ChunkResult:
    from dunning.plan.chunk import plan_in_worker

    return plan_in_worker(*chunk)


LOG_LENGTH = struct.Struct("<Q")  # a template log entry: its length, then the pickled templates


def _log_entry(learned: bytes) -> bytes:
    """A chunk's pickled templates framed for the log: appended with one write, an entry is
    adopted only once all of it is there (see :meth:`dunning.plan.chunk.PlanningState.catch_up`)."""
    return LOG_LENGTH.pack(len(learned)) + learned


def _merge(records: Iterator[RunRecord], plans: IO[bytes], actions: IO[str], summary: Summary) -> list[RowReject]:
    duplicates: list[RowReject] = []
    tally: Counter[Outcome] = Counter()
    previous, first_line = "", 0
    for account_id, line, plan_bytes, action_text, outcome in records:
        if account_id == previous:
            duplicates.append(RowReject(line, account_id, "R011", msg_duplicate(first_line)))
            continue
        previous, first_line = account_id, line
        plans.write(plan_bytes)
        actions.write(action_text)
        tally[outcome] += 1
    for (status, tier, stats), n in tally.items():
        count(summary, status, tier, stats, n)
    return duplicates


class _RejectsFile:
    """``rejects.csv``, written chunk by chunk as the results come in (file order), so the
    parent never holds more than one chunk's rejects: each chunk covers the lines after the
    previous one's, and its rejects are sorted, so the file is in line order as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle = open_private(path, "w", encoding="utf-8", newline="")
        self.writer = csv_writer(self.handle)
        self.writer.writerow(REJECT_COLUMNS)
        self.records = 0  # rows read before the next chunk
        self.count = 0

    def take(self, result: ChunkResult) -> None:
        """Write the next chunk's rejects, its chunk-local line numbers made the file's (and
        remember the shift on ``result``: the merge numbers the run's records with it)."""
        result.offset = shift = self.records if result.local_lines else 0
        rows = [RowReject(r.line + shift, r.account_id, r.code, r.message) if shift else r for r in result.rejects]
        rows += [
            RowReject(line + shift, account_id, "R011", msg_duplicate(first + shift))
            for line, account_id, first in result.duplicates
        ]
        rows.sort()
        self.writer.writerows(rows)
        self.count += len(rows)
        self.records += result.rows + result.skipped
        result.rejects, result.duplicates = [], []

    def finish(self, later: list[RowReject], scratch: Path) -> None:
        """Add the rejects found after the chunks (duplicates across them, in any order) in
        line order: the file so far is read back and merged with them (rare: an unsorted
        snapshot with a duplicate id in two chunks)."""
        self.handle.close()
        if not later:
            return
        aside = scratch / "rejects.csv"
        os.replace(self.path, aside)
        with (
            aside.open(encoding="utf-8", newline="") as fh,
            open_private(self.path, "w", encoding="utf-8", newline="") as out,
        ):
            reader = csv.reader(fh)
            writer = csv_writer(out)
            writer.writerow(next(reader))
            written = (RowReject(int(line), account_id, code, message) for line, account_id, code, message in reader)
            writer.writerows(heapq.merge(written, sorted(later)))
        self.count += len(later)

    def close(self) -> None:
        self.handle.close()


def write_history_rejects(found: HistoryChecked, out: Path) -> tuple[int, int, int]:
    """``history-rejects.csv`` (line, account_id, code, message: never the values) for the
    history's unreadable lines; (lines read, lines rejected, accounts held)."""
    from dunning.accounts.history.rows import HISTORY_REJECT_COLUMNS

    with open_private(out / "history-rejects.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv_writer(fh)
        writer.writerow(HISTORY_REJECT_COLUMNS)
        writer.writerows(found.rejects)
    return found.lines, len(found.rejects), len(found.held)


def _add(summary: Summary, part: Summary) -> None:
    summary.planned += part.planned
    summary.excluded += part.excluded
    summary.actions.update(part.actions)
    summary.by_channel.update(part.by_channel)
    summary.by_tier.update(part.by_tier)
    summary.data_quality.update(part.data_quality)
    summary.held_planned += part.held_planned


def _input_files(inputs: PlanInputs) -> dict[str, Path]:
    files = {"accounts": inputs.accounts, "history": inputs.history}
    return {name: path for name, path in files.items() if path is not None}


def summary_dict(inputs: PlanInputs, summary: Summary, digests: dict[str, str]) -> dict[str, Any]:
    """``summary.json`` as plain data (sorted keys inside the counters); ``digests``: the
    sha256 of each input file by name (accounts, history)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": inputs.as_of.isoformat(),
        "accounts_in": summary.accounts_in,
        "planned": summary.planned,
        "excluded": summary.excluded,
        "rejected": summary.rejected,
        "actions": dict(sorted(summary.actions.items())),
        "by_channel": dict(sorted(summary.by_channel.items())),
        "by_tier": dict(sorted(summary.by_tier.items())),
        "data_quality": dict(sorted(summary.data_quality.items())),
        "history": {"rejected": summary.history_rejected, "held": summary.held},
        "inputs": {name: {"path": str(path), "sha256": digests[name]} for name, path in _input_files(inputs).items()},
    }


def run_plan(
    inputs: PlanInputs, out: Path, *, jobs: int | None = None, progress: Any = None, policy: Policy | None = None
) -> Summary:
    """Plan into ``out`` all or nothing: a failed or killed run leaves ``out`` untouched, and
    an ``out`` that dunning did not write is refused (:class:`dunning.outdir.OutputDir`)."""
    AccountFile(inputs.accounts, inputs.accounts_format)  # fail before creating anything
    protect = Path(policy.root) if policy is not None else inputs.policy_path
    with OutputDir(out, protect=(protect,)).replace() as staging:
        return write_plans(inputs, staging, jobs=jobs, progress=progress, policy=policy)


def show_progress(quiet: bool) -> bool:
    """A progress bar only on a terminal, outside CI, and without ``--quiet``."""
    return not quiet and not os.environ.get("CI") and sys.stderr.isatty()
