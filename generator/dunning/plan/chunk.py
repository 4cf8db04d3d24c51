"""One chunk of a plan run, in the process that plans it (a worker, or the only process).

A worker builds its planning state once (the compiled policy is not picklable), then for
each chunk: parse (CSV pieces arrive as bytes), screen the rows on columns, plan them
(:mod:`dunning.plan.columnar`), and write the chunk's run files sorted by account id. Only
counts, rejects and the run's id range go back to the parent (:mod:`dunning.plan.build`).
"""

from __future__ import annotations

import gc
import importlib
import os
import pickle
from dataclasses import replace
from pathlib import Path

import polars as pl

from dunning.accounts.history.rows import History
from dunning.accounts.history.staging import HistoryLookup, scan_history
from dunning.accounts.read import Screened, screen_frame
from dunning.accounts.source import LINE, CsvPiece
from dunning.outdir import mark, write_all
from dunning.plan.build import LOG_LENGTH, ChunkResult, Outcome, PlanInputs, Summary, _log_entry, count
from dunning.plan.columnar import OUTCOME, PLAN, ROWS, TEMPLATE_KEY, ColumnarPlanner, PlannedChunk
from dunning.plan.decide import Planner
from dunning.policy import require_policy
from dunning.policy.model import Policy


class PlanningState:
    """Per-process planning state (a worker builds its own: the compiled policy is not picklable)."""

    def __init__(self, inputs: PlanInputs, policy: Policy | None = None, *, in_worker: bool = False) -> None:
        self.policy = policy or require_policy(inputs.policy_path)
        # the run's parent stages the history it read once; a state built without it reads it
        staged = inputs.staged_history or (scan_history(inputs.history) if inputs.history is not None else None)
        self.history = HistoryLookup.of(staged) if staged is not None else None
        tracks_sent = self.history.tracks_sent if self.history is not None else False
        self.planner = Planner(self.policy, inputs.as_of, inputs.horizon, tracks_sent=tracks_sent)
        self.columnar = ColumnarPlanner(self.planner)
        self.jurisdictions = frozenset(self.policy.jurisdictions)
        self.slice_lines = inputs.history_slice_lines
        self.log_read = 0  # bytes of the run's shared template log already adopted
        self.log: Path | None = None  # that log (a pool worker's)
        self.follower = inputs.follower
        if in_worker:
            # what the worker holds for the run (policy, modules, the planner's tables) is left
            # out of the collections, and the collector waits for more young objects: learning
            # makes ≈ 10^2 objects a decision (records, plans, datetimes), and at the default
            # threshold the collector ran ≈ 260 times in 60 chunks for 0.13 s of CPU, ≈ 0.04 s
            # at this one (one process, 1M bench portfolio, load 12). Objects are still freed by
            # their counts; only reference cycles, if any, wait longer (a render follower sets
            # the same, render/fused.py)
            gc.freeze()
            gc.set_threshold(PLAN_GC_THRESHOLD, 10, 10)
        if self.follower is not None:
            self.follower.start(self.policy, in_worker=in_worker)

    def catch_up(self, log: Path) -> None:
        """Adopt the templates the other workers logged since the last call: every whole
        entry of ``log`` (the parent may be appending one meanwhile; a part is left for
        the next call)."""
        with log.open("rb") as fh:
            fh.seek(self.log_read)
            data = fh.read()
        at = 0
        while len(data) - at >= LOG_LENGTH.size:
            (size,) = LOG_LENGTH.unpack_from(data, at)
            end = at + LOG_LENGTH.size + size
            if end > len(data):
                break
            self.columnar.adopt(pickle.loads(data[at + LOG_LENGTH.size : end]))
            at = end
        self.log_read += at

    def exchange(self) -> None:
        """Mid-chunk (:meth:`ColumnarPlanner._learn_shared`): append the templates learned
        since the last hand-over to the run's log (one write with O_APPEND, as the parent
        appends: entries never interleave), then adopt what the others logged."""
        assert self.log is not None
        fresh = self.columnar.take_fresh()
        if fresh:
            entry = _log_entry(pickle.dumps(fresh, protocol=pickle.HIGHEST_PROTOCOL))
            fd = os.open(self.log, os.O_WRONLY | os.O_APPEND)
            try:
                write_all(fd, entry)
            finally:
                os.close(fd)
        self.catch_up(self.log)


# young objects (allocations less deallocations) before the collector runs in a planning worker
PLAN_GC_THRESHOLD = 100_000

_WORKER: PlanningState | None = None
# a worker that stages the history first (dunning.plan.build._plan_in_pool): its inputs and
# compiled policy, until its first chunk says where the staged history is
_WAITING: tuple[PlanInputs, Policy] | None = None
# a worker started before the run's inputs were known (dunning.plan.pool.planning_pool): the
# policy it compiled, until its first chunk brings the inputs
_PRELOADED: Policy | None = None


def init_worker(inputs: PlanInputs) -> None:
    global _WORKER, _WAITING
    mark("worker starts")
    if inputs.history is not None and inputs.staged_history is None:
        _WAITING = (inputs, require_policy(inputs.policy_path))
        return
    _WORKER = PlanningState(inputs, in_worker=True)
    _WORKER.columnar.take_fresh()  # a pool worker shares what it learns
    mark("worker ready")


def preload_worker(policy_path: Path, modules: tuple[str, ...] = ()) -> None:
    """A worker of a pool started before its run's inputs were known: the policy compiled
    now, ``modules`` loaded (a follower's: its caller names them, plan does not import the
    stages after it), the planning state built by its first chunk."""
    global _PRELOADED
    mark("worker starts")
    for name in modules:
        importlib.import_module(name)
    _PRELOADED = require_policy(policy_path)
    mark("worker ready")


def plan_in_worker(
    piece: pl.DataFrame | CsvPiece,
    run: Path,
    log: Path,
    follow: bool = False,
    staged: Path | None = None,
    given: PlanInputs | None = None,
) -> ChunkResult:
    """Plan one chunk in a pool's worker. ``staged``: the staged history, for a worker that
    waits for it; ``given``: the run's inputs, for a worker started without them."""
    global _WORKER, _WAITING
    mark(f"chunk {run.name}")
    if _WORKER is None and given is not None and _PRELOADED is not None:
        _WAITING = (given, _PRELOADED)
    if _WORKER is None and _WAITING is not None:
        inputs, policy = _WAITING
        if staged is not None:
            inputs = replace(inputs, staged_history=pickle.loads(staged.read_bytes()))
        _WORKER = PlanningState(inputs, policy, in_worker=True)
        _WORKER.columnar.take_fresh()
    assert _WORKER is not None
    if _WORKER.log is None:
        # the first chunks go one to each worker: their numbers' parity tells two workers
        # apart, so that each learns the other half of the keys they share first
        _WORKER.log, _WORKER.columnar.slot = log, int(run.name) & 1
        _WORKER.columnar.exchange = _WORKER.exchange
    # what the others learned up to now, not up to when this chunk was handed out: chunks
    # are queued ahead, and a lagging log had both workers learn the same keys at the start
    _WORKER.catch_up(log)
    if isinstance(piece, CsvPiece):
        frame, replacement_free = piece.read()
        result = plan_chunk(_WORKER, frame, run, replacement_free=replacement_free, follow=follow)
        result.local_lines = True
        result.skipped = piece.records - frame.height
    else:
        result = plan_chunk(_WORKER, piece, run, follow=follow)
    fresh = _WORKER.columnar.take_fresh()
    if fresh:
        result.learned = pickle.dumps(fresh, protocol=pickle.HIGHEST_PROTOCOL)
    mark(f"chunk {run.name} done")
    return result


def plan_chunk(
    state: PlanningState, frame: pl.DataFrame, run: Path, *, replacement_free: bool = False, follow: bool = False
) -> ChunkResult:
    """Validate and plan one chunk; write its run files (sorted by account id) next to ``run``.

    Duplicate ids inside the chunk are rejected here (the later line); duplicates across
    chunks are found by the merge. The plans stay columns until they are written: no
    Python object per account. ``replacement_free``: see :func:`screen_frame`. ``follow``:
    the state's follower takes the chunk last (:class:`~dunning.plan.build.Follower`).
    """
    screened = screen_frame(frame, state.jurisdictions, replacement_free=replacement_free)
    # this chunk's accounts' events, as columns: objects are made only for the accounts
    # planned in full (dunning.plan.columnar)
    lookup = state.history
    if lookup is None:
        planned = state.columnar.plan(screened, History())
    else:
        planned = _plan_with_history(state, lookup, screened)
    plans = planned.frame.sort(["account_id", LINE])
    first = plans["account_id"].is_first_distinct()
    duplicates: list[tuple[int, str, int]] = []
    if not first.all():
        earlier = plans.select(pl.col(LINE).first().over("account_id")).to_series()
        later = plans.with_columns(earlier.alias("__first")).filter(~first)
        duplicates = list(
            zip(later[LINE].to_list(), later["account_id"].to_list(), later["__first"].to_list(), strict=True)
        )
        plans = plans.filter(first)
    counts = Summary()
    for outcome, n in plans.group_by(OUTCOME).len().iter_rows():
        status, tier, stats = planned.outcomes[outcome]
        count(counts, status, tier, stats, n)
    _write_text_column(plans, PLAN, run.with_suffix(".plans"))
    _write_text_column(plans, ROWS, run.with_suffix(".csv"))
    index = plans.select(
        pl.col("account_id"),
        pl.col(LINE),
        pl.col(OUTCOME),
        pl.col(ROWS).str.count_matches("\n", literal=True).alias("__n"),
    )
    index.write_ipc(run.with_suffix(".index"))
    run.with_suffix(".outcomes").write_bytes(pickle.dumps(planned.outcomes, protocol=pickle.HIGHEST_PROTOCOL))
    rejects = sorted(screened.rejects)
    first_id, last_id = (plans["account_id"][0], plans["account_id"][-1]) if plans.height else ("", "")
    result = ChunkResult(screened.rows, rejects, run, first_id, last_id, counts, duplicates)
    if follow and state.follower is not None:
        del planned, index  # the planning's columns, before the follower's work
        result.followed = state.follower.chunk(plans.select("account_id", LINE, PLAN, TEMPLATE_KEY), frame, screened)
    return result


def _plan_with_history(state: PlanningState, lookup: HistoryLookup, screened: Screened) -> PlannedChunk:
    """The chunk planned with its accounts' history lines; a chunk with more than
    ``state.slice_lines`` of them in slices of rows, each with its own accounts' lines.

    What planning a chunk holds at its peak grows with its history lines, not its rows (the
    lines, their event columns and the decision key's caps, per event and zone): 10,000
    accounts with 20 events each held ≈ 130 MiB more than without history. Planned in
    slices, a worker holds one slice's (the lines of the others wait, as text columns).
    The plans are the same: an account's plan depends on its row and its events alone."""
    held = History(held=lookup.held)
    lines = _chunk_lines(lookup, screened.good["account_id"])
    slices = -(-lines.height // max(state.slice_lines, 1))
    if slices <= 1:
        return state.columnar.plan(screened, held, lines)
    good = screened.good
    size = -(-good.height // slices)
    rows = [good.slice(start, size) for start in range(0, good.height, size)]
    # each slice's lines taken now, so the chunk's can go before the first slice is planned
    parts = [lines.filter(pl.col("account_id").is_in(part["account_id"].implode())) for part in rows]
    del lines
    planned = []
    while rows:
        planned.append(state.columnar.plan(replace(screened, good=rows.pop(0)), held, parts.pop(0)))
    return _joined(planned)


def _joined(planned: list[PlannedChunk]) -> PlannedChunk:
    """Several slices' plans as one chunk's: their outcomes numbered anew, in first-seen order."""
    known: list[Outcome] = []
    numbers: dict[Outcome, int] = {}
    frames = []
    for part in planned:
        renumbered = []
        for outcome in part.outcomes:
            if outcome not in numbers:
                numbers[outcome] = len(known)
                known.append(outcome)
            renumbered.append(numbers[outcome])
        if part.frame.height:
            mapping = pl.Series(renumbered, dtype=pl.Int64)
            frames.append(part.frame.with_columns(mapping.gather(part.frame[OUTCOME]).alias(OUTCOME)))
    return PlannedChunk(pl.concat(frames) if frames else planned[0].frame, known)


def _chunk_lines(lookup: HistoryLookup, account_ids: pl.Series) -> pl.DataFrame:
    """The readable history lines of ``account_ids`` (file order)."""
    account = pl.col("account_id")
    if account_ids.is_empty():
        return lookup.lines.head(0).collect()
    ids = account_ids.cast(pl.String)
    # the range first: it lets Parquet skip the row groups outside the chunk
    return lookup.lines.filter(
        account.is_between(pl.lit(ids.min()), pl.lit(ids.max())) & account.is_in(ids.implode())
    ).collect()


def _write_text_column(frame: pl.DataFrame, column: str, path: Path) -> None:
    """The column's strings end to end (each already ends with its newline), as UTF-8."""
    frame.select(column).write_csv(path, include_header=False, quote_style="never", line_terminator="")
