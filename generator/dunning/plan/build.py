"""The plan run: stream the snapshot in chunks, plan them on every core, write the outputs.

Memory does not grow with the number of accounts: each chunk is validated and planned in a
worker process, which writes its plans sorted by account id to a *run* file (spilled to
disk) and returns only counts and row rejects. The parent then k-way merges the runs
(:func:`heapq.merge`), which gives ``plans.jsonl`` and ``actions.csv`` in account-id order
whatever the input order, and finds duplicate account ids on the way (the later line is
rejected, R011). Everything is written into a temporary directory next to ``--out`` that
replaces it only at the end, so a failed or killed run leaves the previous output as it was.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import os
import pickle
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any

import orjson
import polars as pl

from dunning.accounts.history import read_history
from dunning.accounts.model import Contact
from dunning.accounts.read import AccountFile, validate_frame
from dunning.accounts.record import RowReject, msg_duplicate
from dunning.errors import DunningError
from dunning.plan.decide import Planner
from dunning.plan.fast import FastPlanner
from dunning.plan.output import ACTION_COLUMNS, REJECT_COLUMNS
from dunning.policy import require_policy
from dunning.policy.model import Policy

SCHEMA_VERSION = 1
SMALL_INPUT = 4 << 20  # below this many bytes one process is faster than starting workers

# One run record: (account_id, line, status, tier, plans.jsonl line, actions.csv rows,
# ((action status, channel), ...)).
RunRecord = tuple[str, int, str, str, bytes, str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class PlanInputs:
    """Everything a plan run reads; the same inputs give byte-identical outputs."""

    policy_path: Path
    accounts: Path
    as_of: date
    history: Path | None = None
    horizon: int = 0
    accounts_format: str | None = None


@dataclass
class ChunkResult:
    """What a worker returns for one chunk: rows read, row rejects and its run file."""

    rows: int
    rejects: list[RowReject]
    run: Path


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


# ---------------------------------------------------------------------------- chunk planning
class _State:
    """Per-process planning state (a worker builds its own: the compiled policy is not picklable)."""

    def __init__(self, inputs: PlanInputs, policy: Policy | None = None) -> None:
        self.policy = policy or require_policy(inputs.policy_path)
        self.planner = Planner(self.policy, inputs.as_of, inputs.horizon)
        self.fast = FastPlanner(self.planner)
        self.history: dict[str, tuple[Contact, ...]] = read_history(inputs.history)
        self.jurisdictions = frozenset(self.policy.jurisdictions)


_WORKER: _State | None = None


def _init_worker(inputs: PlanInputs) -> None:
    global _WORKER
    _WORKER = _State(inputs)


def _plan_chunk_in_worker(frame: pl.DataFrame, run: Path) -> ChunkResult:
    assert _WORKER is not None
    return plan_chunk(_WORKER, frame, run)


def plan_chunk(state: _State, frame: pl.DataFrame, run: Path) -> ChunkResult:
    """Validate and plan one chunk; write its plans, sorted by account id, to ``run``."""
    chunk = validate_frame(frame, state.jurisdictions)
    records: list[RunRecord] = []
    history = state.history
    line_for = state.fast.line
    empty: tuple[Contact, ...] = ()
    for account in chunk.accounts:
        plan_bytes, rows, status, tier, stats = line_for(account, history.get(account.account_id, empty))
        records.append((account.account_id, account.line, status, tier, plan_bytes, rows, stats))
    records.sort(key=lambda r: (r[0], r[1]))
    with run.open("wb") as fh:
        for record in records:
            pickle.dump(record, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return ChunkResult(chunk.rows, chunk.rejects, run)


def _read_run(path: Path) -> Iterator[RunRecord]:
    with path.open("rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


# ---------------------------------------------------------------------------- the run
def _jobs(inputs: PlanInputs, jobs: int | None) -> int:
    if jobs is not None and jobs > 0:
        return jobs
    if inputs.accounts.stat().st_size < SMALL_INPUT:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_plans(
    inputs: PlanInputs,
    out: Path,
    *,
    jobs: int | None = None,
    progress: Any = None,
    policy: Policy | None = None,
) -> Summary:
    """Plan every account of ``inputs`` into the directory ``out`` (written in place; see
    :func:`atomic_directory` for the all-or-nothing wrapper). ``progress`` gets ``update(n)``."""
    source = AccountFile(inputs.accounts, inputs.accounts_format)  # UserError before any work
    workers = _jobs(inputs, jobs)
    runs_dir = Path(tempfile.mkdtemp(prefix=".runs-", dir=out))
    try:
        results = _plan_all(inputs, source, runs_dir, workers, progress, policy)
        summary = Summary(accounts_in=sum(r.rows for r in results))
        rejects = [rej for r in results for rej in r.rejects]
        runs = [_read_run(r.run) for r in results]
        with (
            (out / "plans.jsonl").open("wb") as plans,
            (out / "actions.csv").open("w", encoding="utf-8", newline="") as actions,
        ):
            csv.writer(actions).writerow(ACTION_COLUMNS)
            rejects.extend(_merge(heapq.merge(*runs, key=lambda r: (r[0], r[1])), plans, actions, summary))
        rejects.sort()
        summary.rejected = len(rejects)
        with (out / "rejects.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(REJECT_COLUMNS)
            writer.writerows((r.line, r.account_id, r.code, r.message) for r in rejects)
    finally:
        shutil.rmtree(runs_dir, ignore_errors=True)
    if not summary.balanced():  # pragma: no cover - a bug, never bad input
        raise DunningError(f"accounts were lost: {summary.line()}")
    (out / "summary.json").write_bytes(
        orjson.dumps(summary_dict(inputs, summary), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    )
    return summary


def _plan_all(
    inputs: PlanInputs, source: AccountFile, runs_dir: Path, workers: int, progress: Any, policy: Policy | None
) -> list[ChunkResult]:
    results: list[ChunkResult] = []
    frames = source.frames()
    if workers == 1:
        state = _State(inputs, policy)
        for index, (frame, early) in enumerate(frames):
            result = plan_chunk(state, frame, runs_dir / f"{index:06d}.run")
            result.rejects.extend(early)
            result.rows += len(early)
            results.append(result)
            if progress is not None:
                progress.update(result.rows)
        return results
    pending: list[tuple[Future[ChunkResult], list[RowReject]]] = []
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_init_worker, initargs=(inputs,)
    ) as pool:

        def collect_oldest() -> None:
            future, early = pending.pop(0)
            result = future.result()
            result.rejects.extend(early)
            result.rows += len(early)
            results.append(result)
            if progress is not None:
                progress.update(result.rows)

        for index, (frame, early) in enumerate(frames):
            pending.append((pool.submit(_plan_chunk_in_worker, frame, runs_dir / f"{index:06d}.run"), early))
            while len(pending) > workers + 1:  # bounded: memory holds a few chunks, not the file
                collect_oldest()
        while pending:
            collect_oldest()
    return results


def _merge(records: Iterator[RunRecord], plans: IO[bytes], actions: IO[str], summary: Summary) -> list[RowReject]:
    duplicates: list[RowReject] = []
    previous, first_line = "", 0
    for account_id, line, status, tier, plan_bytes, action_text, stats in records:
        if account_id == previous:
            duplicates.append(RowReject(line, account_id, "R011", msg_duplicate(first_line)))
            continue
        previous, first_line = account_id, line
        plans.write(plan_bytes)
        actions.write(action_text)
        if status == "excluded":
            summary.excluded += 1
        else:
            summary.planned += 1
        summary.by_tier[tier] += 1
        for action_status, channel in stats:
            summary.actions[action_status] += 1
            summary.by_channel[channel] += 1
    return duplicates


def summary_dict(inputs: PlanInputs, summary: Summary) -> dict[str, Any]:
    """``summary.json`` as plain data (sorted keys inside the counters)."""
    files = {"accounts": inputs.accounts, "history": inputs.history}
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
        "inputs": {
            name: {"path": str(path), "sha256": sha256_file(path)} for name, path in files.items() if path is not None
        },
    }


@contextmanager
def atomic_directory(out: Path) -> Iterator[Path]:
    """A fresh temporary directory next to ``out`` that replaces ``out`` when the block ends
    without an error; on an error (or a kill) ``out`` keeps its previous content."""
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=parent))
        os.replace(out, old / "previous")
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def run_plan(
    inputs: PlanInputs, out: Path, *, jobs: int | None = None, progress: Any = None, policy: Policy | None = None
) -> Summary:
    """Plan into ``out`` all or nothing: a failed or killed run leaves ``out`` untouched."""
    AccountFile(inputs.accounts, inputs.accounts_format)  # fail before creating anything
    with atomic_directory(out) as tmp:
        return write_plans(inputs, tmp, jobs=jobs, progress=progress, policy=policy)


def show_progress(quiet: bool) -> bool:
    """A progress bar only on a terminal, outside CI, and without ``--quiet``."""
    return not quiet and not os.environ.get("CI") and sys.stderr.isatty()
