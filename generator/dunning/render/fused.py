"""``dunning build``'s render inside the plan: each chunk's messages rendered by the process that planned it.

The separate render (:func:`dunning.render.run.render_into`) reads back what plan just had in
its hands: a pass over ``plans.jsonl`` for the lines with something to render, the snapshot
again for their rows, and every line decoded once more. In a build, each planning process
holds a chunk's rows and plan lines when it has planned it, so it renders them there
(:class:`ChunkMessages`, plan's :class:`~dunning.plan.build.Follower`) with the same
:meth:`ChunkRenderer.render_chunk`, and hands back the chunk's messages with its plans; the
build's process feeds them to the same sink in the chunks' order (:class:`FusedRender`) and
finishes as render does (print batches, case files, counts: :class:`Messages`).

That order is ``plans.jsonl``'s only while the plan appends the chunks' runs end to end (ids
ascending from chunk to chunk, a snapshot sorted by account id), and each candidate's row is
render's (the file's first row of that id) only while no row of the id stands in an earlier
chunk. When either fails (an unsorted snapshot, a duplicate id across chunks, a rejected row
whose id a later chunk plans), the fused messages are discarded once the plan is done and
the build renders as ``dunning render`` does: the bytes are the same either way.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import operator
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from dunning.accounts.model import Account
from dunning.outdir import make_private_dir, write_all
from dunning.plan.build import ChunkResult as PlannedChunk
from dunning.policy.model import Policy
from dunning.render import calls
from dunning.render.batch import ChunkRenderer, ChunkResult
from dunning.render.cases import HUMAN_CHANNELS, CaseRequest, CaseWriter
from dunning.render.run import CHUNK_ACCOUNTS, Messages, RenderSummary, make_renderer

# The chunks' side (ChunkMessages.chunk) runs in the planning workers, which have polars and
# the planner loaded: imported there, not here. The build's process, which only takes the
# chunks' results (FusedRender), then never loads polars (≈ 0.23 s of CPU, load 12, of its
# ≈ 0.65 s of imports), before any worker starts.
if TYPE_CHECKING:
    import polars as pl

    from dunning.accounts.read import Screened
    from dunning.render.columns import EmailColumns, MessageColumns

# run.py's _RENDERABLE and human_step_candidate on a column: Python's \s in a bytes pattern is
# these six ASCII characters (the Rust engine's \s would also take Unicode spaces)
_RENDERABLE = r'"status":[ \t\n\r\x0B\x0C]*"(?:scheduled|deferred)"'
_HUMAN = tuple(f'"{channel}"' for channel in sorted(HUMAN_CHANNELS))


@functools.cache
def _dropped() -> tuple[str, ...]:
    """The columns render's rows leave out (as read_account_rows(drop=CONTEXT_UNUSED) does)."""
    from dunning.render.account_rows import CONTEXT_UNUSED, dropped_columns

    return dropped_columns(CONTEXT_UNUSED)


# where the planning workers leave each chunk's lines of the shared files (a hidden folder of
# the staging folder: the manifest skips it, and it is removed before the output is published)
SPILL = ".fused-lines"
# young objects (allocations less deallocations) before the collector runs in a planning
# worker that renders (ChunkMessages.start)
FUSED_GC_THRESHOLD = 100_000


@dataclass
class FusedChunk:
    """One planned chunk's messages, as its planning process hands them back."""

    results: list[ChunkResult]  # render's chunks of CHUNK_ACCOUNTS candidates, in plan order
    candidates: int  # plan lines with something to render
    # the accounts whose case file is wanted, as plan read them (line from the chunk's start),
    # when the build's process writes them (with a history); else empty
    cases: list[Account]
    strays: list[str]  # ids of the chunk's rows that it did not plan (rejected rows only)
    # the case files this process wrote (without a history): (relative path, sha256) each
    case_files: list[tuple[str, str]] = field(default_factory=list)
    # the file holding the chunk's sms.jsonl, calls.csv and calls.jsonl lines, and the length
    # of each (None: they are in ``results``, as in a plan that runs in the build's process)
    spill: tuple[str, tuple[int, int, int]] | None = None


@dataclass
class ChunkMessages:
    """The follower: renders a planned chunk in the process that planned it. The renderer
    is built by :meth:`start` in each process (compiled policy and template sandbox: the
    worker's own, it is spawned); never pickled."""

    out_root: Path
    pdf: bool
    email_format: str
    case_files: bool
    chunk_accounts: int = CHUNK_ACCOUNTS
    # the case files' request when this process writes them (a build without a history): see
    # FusedRender; None: the build's process does, after the plan
    cases_here: CaseRequest | None = None
    # where a planning worker writes each chunk's lines of the shared files (see _spill)
    spill_dir: Path | None = None
    renderer: ChunkRenderer | None = field(default=None, compare=False, repr=False)
    writer: CaseWriter | None = field(default=None, compare=False, repr=False)
    # the calls and texts filled on columns, per decision key (dunning.render.columns), made
    # by start(); None: every message rendered by render_chunk
    columns: MessageColumns | None = field(default=None, compare=False, repr=False)
    # the .eml emails filled per decision key, with the same key learning (None with --email-format mbox)
    emails: EmailColumns | None = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "renderer": None, "writer": None, "columns": None, "emails": None}

    def start(self, policy: Policy, *, in_worker: bool) -> None:
        self.renderer = make_renderer(
            policy, self.out_root, pdf=self.pdf, email_format=self.email_format, case_files=self.case_files
        )
        if self.cases_here is not None:
            self.writer = CaseWriter(self.out_root, policy, self.cases_here)
        from dunning.render.columns import EmailColumns, MessageColumns  # polars: the planning side only (see above)

        self.columns = MessageColumns(self.renderer)
        # an mbox holds its messages in plan order, which this does not merge: Python writes them
        self.emails = EmailColumns(self.renderer, self.columns) if self.email_format == "eml" else None
        if not in_worker:
            self.spill_dir = None  # the build's own process: its lines stay where they are
        if in_worker:
            # what the worker holds for the whole run (policy, templates, modules) is left out
            # of the collections; a chunk's contexts are collected less often (see run.py).
            # A planning worker holds a whole planned chunk (≈ 10k accounts: its rows and plan
            # lines as Python objects, then 500 accounts' contexts at a time) and keeps the
            # templates it learns: at render's threshold the collector ran ≈ 165 times in each
            # worker at 1M (Saturday) and cost 0.34-0.38 s of CPU a worker, at FUSED_GC_THRESHOLD
            # ≈ 0.10 s (measured, load 5-6). The objects are freed by their counts as before:
            # only reference cycles, if any, wait longer
            gc.freeze()
            gc.set_threshold(FUSED_GC_THRESHOLD, 10, 10)

    def chunk(self, plans: pl.DataFrame, frame: pl.DataFrame, screened: Screened) -> FusedChunk:
        import polars as pl

        from dunning.plan.columnar import PLAN, TEMPLATE_KEY

        assert self.renderer is not None, "start() first"
        stripped = pl.col("account_id").str.strip_chars()
        wanted = plans.filter(pl.col(PLAN).str.contains(_RENDERABLE))
        ids = wanted.get_column("account_id")
        # a plan line per row (the plans' ids are distinct, each a row's): every row's id is
        # planned, none is a stray — the look-up below cost ≈ 0.5 µs a candidate, for the
        # chunks with a rejected row only
        strays = (
            []
            if plans.height == frame.height
            else frame.select(stripped)
            .filter(~pl.col("account_id").is_in(plans.get_column("account_id").implode()))
            .unique()
            .get_column("account_id")
            .to_list()
        )
        # each candidate's row as read_account_rows gives it: its first row, every column
        # stripped, without the columns no context reads (left out before the rows are picked:
        # fewer columns copied)
        kept = frame.drop(_dropped(), strict=False).filter(stripped.is_in(ids.implode()))
        kept = kept.with_columns(pl.all().str.strip_chars())
        first = kept.get_column("account_id").is_first_distinct()
        if not first.all():
            kept = kept.filter(first)
        columns = tuple(kept.columns)
        # the row tuples made from the columns' lists: ≈ 40 % less than DataFrame.rows() (the
        # same tuples; measured on the bench snapshot's rows)
        rows = zip(*[kept.get_column(name).to_list() for name in columns], strict=True)
        row_of = dict(zip(kept.get_column("account_id").to_list(), rows, strict=True))
        # the lines as text: orjson reads a str as it reads its UTF-8 (the newline is white
        # space to it), and encoding each again cost ≈ 0.6 µs a line
        lines = wanted.get_column(PLAN).to_list()
        items = [(line, row_of.get(account_id)) for account_id, line in zip(ids.to_list(), lines, strict=True)]
        filled: dict[str, tuple[pl.DataFrame, int]] = {}  # channel: its lines, the CPU they took
        if self.columns is not None and TEMPLATE_KEY in wanted.columns:
            found = self.columns.lines(wanted, kept, row_of.get, columns)
            filled = {channel: (lines_of, self.columns.spent[channel]) for channel, lines_of in found.items()}
        # the emails of lines that hold nothing else (EmailColumns), written here per key
        emailed: list[int] = []
        if self.emails is not None and TEMPLATE_KEY in wanted.columns:
            mailed = ChunkResult()
            started = time.process_time_ns()
            emailed = self.emails.messages(wanted.get_column(TEMPLATE_KEY).to_list(), items, columns, mailed)
            mailed.cpu_ns["email"] = time.process_time_ns() - started
        del kept, row_of, lines
        size = max(1, self.chunk_accounts)
        if not filled and not emailed:
            results = [
                self.renderer.render_chunk(items[start : start + size], columns) for start in range(0, len(items), size)
            ]
        else:
            results = self._merged(items, columns, filled, size, emailed)
        if emailed:
            # their files are written; the manifest sorts the files' hashes, whatever the chunk
            head = results[0]
            head.files.extend(mailed.files)
            for counts, more in ((head.rendered, mailed.rendered), (head.cpu_ns, mailed.cpu_ns)):
                for channel, count in more.items():
                    counts[channel] = counts.get(channel, 0) + count
        spill = self._spill(results) if self.spill_dir is not None else None
        accounts = self._cases(results, screened)
        if self.writer is None:
            return FusedChunk(results, len(items), accounts, strays, spill=spill)
        named = {account_id for result in results for account_id in result.cases}
        written = self.writer.write(_complete(named, {account.account_id: account for account in accounts}))
        return FusedChunk(results, len(items), [], strays, written, spill)

    def _merged(
        self,
        items: list[tuple[str, Any]],
        columns: tuple[str, ...],
        filled: dict[str, tuple[pl.DataFrame, int]],
        size: int,
        emailed: list[int],
    ) -> list[ChunkResult]:
        """Render's chunks of the items whose message was not filled on columns, with the
        chunk's ``calls.csv``, ``calls.jsonl`` and ``sms.jsonl`` lines, both kinds merged in
        plan order (the items' order), in the first of them: the sink appends each chunk's
        lines one after the other, so where they stand among the chunks does not change the
        files. A line whose message filled on columns is its only one is not rendered here;
        a line with others is, without that one (``render_chunk``'s ``skip``). A line whose
        email was written per key (``emailed``: it holds nothing else) is not rendered here."""
        import polars as pl

        assert self.renderer is not None
        skipped = bytearray(len(items))
        done = {channel: frame.get_column("__n").to_list() for channel, (frame, _) in filled.items()}
        beside: dict[int, str] = {}  # the lines with other messages: the channel filled
        for channel, (frame, _) in filled.items():
            for n, alone in zip(done[channel], frame.get_column("__alone").to_list(), strict=True):
                if alone:
                    skipped[n] = 1
                else:
                    beside[n] = channel
        for n in emailed:
            skipped[n] = 1
        rest = [n for n in range(len(items)) if not skipped[n]]
        results = []
        call_lines: list[tuple[int, str, bytes]] = []
        sms_lines: list[tuple[int, bytes]] = []
        for start in range(0, len(rest), size):
            part = rest[start : start + size]
            skip = {i: beside[n] for i, n in enumerate(part) if n in beside}
            result = self.renderer.render_chunk([items[n] for n in part], columns, numbered=True, skip=skip or None)
            texts = calls.csv_texts(result.calls)
            for item, row, text in zip(result.call_items, result.calls, texts, strict=True):
                call_lines.append((part[item], text, orjson.dumps(dict(zip(calls.COLUMNS, row, strict=True))) + b"\n"))
            sms_lines.extend(
                (part[item], line + b"\n") for item, line in zip(result.sms_items, result.sms, strict=True)
            )
            result.calls, result.call_items, result.sms, result.sms_items = [], [], [], []
            results.append(result)
        if not results:
            results.append(ChunkResult())
        first = results[0]
        for channel, (frame, spent) in filled.items():
            started = time.process_time_ns()
            if channel == "call":
                csv_lines = frame.get_column("csv").to_list()
                json_lines = frame.get_column("json").cast(pl.Binary).to_list()
                call_lines.extend(zip(done[channel], csv_lines, json_lines, strict=True))
            else:
                sms_lines.extend(zip(done[channel], frame.get_column("json").cast(pl.Binary).to_list(), strict=True))
            first.rendered[channel] = first.rendered.get(channel, 0) + len(done[channel])
            first.cpu_ns[channel] = first.cpu_ns.get(channel, 0) + spent + time.process_time_ns() - started
        # each two runs, each in plan order: one merge
        started = time.process_time_ns()
        call_lines.sort(key=operator.itemgetter(0))
        first.calls_csv = "".join([text for _, text, _ in call_lines]).encode("utf-8")
        first.calls_jsonl = b"".join([line for _, _, line in call_lines])
        sent = time.process_time_ns()
        sms_lines.sort(key=operator.itemgetter(0))
        first.sms_lines = b"".join([line for _, line in sms_lines])
        for channel, cpu in (("call", sent - started), ("sms", time.process_time_ns() - sent)):
            if channel in first.rendered:
                first.cpu_ns[channel] = first.cpu_ns.get(channel, 0) + cpu
        return results

    def _spill(self, results: list[ChunkResult]) -> tuple[str, tuple[int, int, int]]:
        """Write the chunk's lines of sms.jsonl, calls.csv and calls.jsonl to a file of their own
        (each file's lines in plan order, one file's after the other's) and take them out of
        ``results``: the build's process reads, hashes and appends them from there, instead
        of their coming through the pipe, pickled here, read and unpickled there: 384 MB at
        1M on a Saturday. 95 results of 4 MB through a pool of two: 0.64-0.98 s of the
        parent's CPU and 0.74-0.87 s of the workers' by the pipe, 0.58-0.66 s and 0.51-0.62 s
        by a file each (the parent's hash and write in both; alternated, load 11); in a 1M
        build the parent's thread that takes the results went from 0.48 s to 0.11 s."""
        assert self.spill_dir is not None
        groups = (
            [result.sms_lines for result in results],
            [result.calls_csv for result in results],
            [result.calls_jsonl for result in results],
        )
        fd, path = tempfile.mkstemp(dir=self.spill_dir)  # owner-only
        try:
            for group in groups:
                for data in group:
                    write_all(fd, data)
        finally:
            os.close(fd)
        sms, calls_csv, calls_jsonl = (sum(map(len, group)) for group in groups)
        for result in results:
            result.sms_lines = result.calls_csv = result.calls_jsonl = b""
        return path, (sms, calls_csv, calls_jsonl)

    def _cases(self, results: list[ChunkResult], screened: Screened) -> list[Account]:
        """The accounts of the chunk's case files, as ``dunning case`` reads them: the first
        valid row of the id (the screening is row by row: the chunk's is that of their rows)."""
        import polars as pl

        from dunning.accounts.read import accounts_of

        wanted = {account_id for result in results for account_id in result.cases}
        if not wanted:
            return []
        rows = screened.good.filter(pl.col("account_id").is_in(pl.Series(sorted(wanted), dtype=pl.String).implode()))
        found: dict[str, Account] = {}
        for account in accounts_of(rows, screened.extra_columns):
            found.setdefault(account.account_id, account)
        return list(found.values())


def _complete(wanted: set[str], accounts: dict[str, Account]) -> dict[str, Account]:
    """``accounts`` for the ids of ``wanted``: a case file's account is one a chunk planned,
    so the chunks gave it (a missing one is a KeyError: a bug, not a reason to read the
    snapshot again)."""
    return {account_id: accounts[account_id] for account_id in wanted}


class FusedRender:
    """The build's side of a fused render (plan's :class:`~dunning.plan.build.Following`):
    the messages' sink fed with each chunk's messages in file order while they are valid
    (see the module's docstring), then :meth:`finish` as render's."""

    def __init__(
        self, out_dir: Path, policy: Policy, *, pdf: bool, email_format: str, cases: CaseRequest | None
    ) -> None:
        self.policy, self.cases = policy, cases
        self.follower = ChunkMessages(out_dir, pdf, email_format, cases is not None)
        self.output = Messages(out_dir, policy, pdf=pdf, case_files=cases is not None)
        self.valid = True
        self.last_id = ""  # the greatest account id planned so far
        self.strays: set[str] = set()  # unplanned ids of earlier chunks above last_id
        self.candidates = 0
        # Without a history, each chunk's case files are written by the process that planned
        # and rendered it (ChunkMessages.cases_here), which holds their accounts: written here
        # as the chunks arrived, they were 1.23 s of this process's 3.2 s of CPU beside the
        # workers at 1M accounts (3,028 accounts, two files each; ≈ the same CPU in the
        # workers, where the calendars they read are loaded already), and a planner and the
        # holidays package (≈ 7 MiB) in this process for them alone. With a history, after
        # the plan, here, as render does: the history is read whole for them, which would sit
        # beside the planning workers' peaks (and be read once per worker)
        self.case_accounts: dict[str, Account] = {}  # kept for the case files after the plan
        self.cases_here = cases is not None and cases.history is None
        if self.cases_here:
            self.follower.cases_here = cases
        self.spill = out_dir / SPILL
        make_private_dir(self.spill)
        self.follower.spill_dir = self.spill

    def wanted(self) -> bool:
        return self.valid

    def take(self, result: PlannedChunk, in_order: bool) -> None:
        part: FusedChunk | None = result.followed
        result.followed = None
        if not self.valid:
            return
        if not in_order or part is None:
            self.valid = False
            return
        if result.first_id:
            # a row of one of this chunk's ids stands in an earlier chunk (rejected there):
            # render would read that row, the first of its id, for the account
            if any(result.first_id <= stray <= result.last_id for stray in self.strays):
                self.valid = False
                return
            self.last_id = result.last_id
            self.strays = {stray for stray in self.strays if stray > self.last_id}
        self.strays.update(stray for stray in part.strays if stray > self.last_id)
        sink = self.output.sink
        for rendered in part.results:
            sink.add(rendered)
        if part.spill is not None:
            path, sizes = part.spill
            sink.add_lines(Path(path), sizes)
        self.candidates += part.candidates
        if part.case_files:
            sink.know(part.case_files)
        if not part.cases:
            return
        shift = result.offset if result.local_lines else 0
        self.case_accounts.update(
            (a.account_id, dataclasses.replace(a, line=a.line + shift) if shift else a) for a in part.cases
        )

    def discard(self) -> None:
        """Remove what the fused render wrote (``messages/``, the spool, the hashes, the
        chunks' lines not appended)."""
        self.output.discard()
        shutil.rmtree(self.spill, ignore_errors=True)
        self.case_accounts = {}

    def finish(self, summary: dict[str, Any], accounts: Path, *, workers: int | None, progress: bool) -> RenderSummary:
        """Render's end (print batches, case files, counts; no manifest: the build writes it)."""
        os.rmdir(self.spill)  # every chunk's lines appended: empty
        write = None
        if self.cases is not None:
            request = self.cases

            def write(account_ids: list[str]) -> list[tuple[str, str]]:
                if self.cases_here:
                    return []  # written chunk by chunk, by the workers
                chosen = _complete(set(account_ids), self.case_accounts)
                self.case_accounts = {}
                return CaseWriter(self.output.out_dir, self.policy, request).write(chosen)

        return self.output.finish(summary, accounts, workers=workers, progress=progress, cases=write, manifest=False)
