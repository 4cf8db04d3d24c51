"""The render stage as one call: a plan directory in, ``messages/`` + ``manifest.json`` out.

1. Stream ``plans.jsonl`` and keep the lines with a scheduled or deferred action.
2. Read just those accounts from the snapshot (columnar, see :mod:`account_rows`).
3. Render chunks of plans in parallel (one process per core, results taken in plan order), each
   process writing its per-message files into the staging folder. The letters' markup goes
   to a spool file as results arrive, and the files' hashes to another (both hidden in the
   staging folder, removed before it is published): this process keeps neither while the
   print workers, the build's largest processes, run beside it.
4. Typeset the letters' print batches (one PDF per posting date, jurisdiction, paper and
   postage class, at most 250 letters each, in parallel) with their index CSVs; then, in
   ``dunning build``, the case files (which read the snapshot again).
5. Write the shared files (sms.jsonl, calls.csv/calls.jsonl, mbox files, routes, agency
   files, render-rejects.csv) in plan order, update ``summary.json`` and write ``manifest.json``.
   Everything is written into a staging copy of the plan folder that replaces it in one
   step (:mod:`dunning.outdir`): a failure or a kill leaves the previous ``messages/``
   untouched; same inputs give the same bytes.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import mailbox
import os
import re
import shutil
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from dunning.errors import UserError
from dunning.outdir import (
    MARKER,
    OutputDir,
    append_hashed,
    make_private_dir,
    mark,
    open_private,
    read_marker,
    sha256_file,
    step,
    write_private,
)
from dunning.policy import require_policy
from dunning.policy.model import Policy
from dunning.render import calls, letter, printing, typeset, visits
from dunning.render import email as email_channel
from dunning.render.batch import (
    ACCOUNTS,
    CHANNEL_ORDER,
    EMAIL_FORMATS,
    REJECT_COLUMNS,
    ChunkRenderer,
    ChunkResult,
    PrintedLetter,
)
from dunning.render.cases import CaseRequest, human_step_candidate, write_case_files
from dunning.render.files import sha256_bytes
from dunning.render.manifest import MANIFEST, build_manifest, dump_json, write_atomic
from dunning.templating.sandbox import TemplateSandbox
from dunning.text.cells import csv_writer
from dunning.workers import Workers, resolve_jobs, without_main

PLANS = "plans.jsonl"
# the letters' markup while render runs (a hidden file in the staging folder, removed at the
# end; the manifest skips hidden files): the print workers read it, the parent never holds it
SPOOL = ".print-markup"
# and every output file's sha256 as it is written, read back for the manifest at the end (74k
# files at 1M, ≈ 250 bytes each in a dict) — hidden and removed too
HASHES = ".render-hashes"
# and the letters' other fields (address, account, batch…) until the print stage: ≈ 600 bytes a
# letter as objects (24k letters at 1M), which this process held beside the planning workers'
# peak — hidden and removed too
LETTERS = ".print-letters"
SUMMARY = "summary.json"
MESSAGES = "messages"
CHUNK_ACCOUNTS = 500
# A message costs what planning ≈ 4 KiB of snapshot does (≈ 200 µs against ≈ 10 µs for a
# 240-byte account): the work, in dunning.workers' planning bytes, of rendering one.
MESSAGE_WORK = 4 << 10
# an action's status (the plan's own status is active/paused/excluded, never these two)
_RENDERABLE = re.compile(rb'"status":\s*"(?:scheduled|deferred)"')


@dataclass
class RenderSummary:
    """Counts of one render: messages per channel and actions that failed."""

    rendered: dict[str, int] = field(default_factory=dict)
    cpu_ns: dict[str, int] = field(default_factory=dict)  # CPU per channel: see write_cpu_profile
    failed: int = 0
    files: int = 0
    known: dict[str, str] = field(default_factory=dict)  # output file -> sha256, for the manifest
    inputs: dict[str, Any] = field(default_factory=dict)
    as_of: str | None = None
    cases: int | None = None  # case files written (None: not asked for, as in `dunning render`)

    @property
    def total(self) -> int:
        """Messages rendered, all channels."""
        return sum(self.rendered.values())


@dataclass(frozen=True)
class _Job:
    """One chunk as the parent hands it over: where its plan lines start in ``plans.jsonl``
    (the worker reads them itself) and each line's account row as a tuple (None: the
    account is not in the snapshot)."""

    offsets: list[int]
    rows: list[tuple[Any, ...] | None]
    columns: tuple[str, ...]  # the names of the row tuples' fields


@dataclass(frozen=True)
class _Worker:
    """What every render process shares; set before the pool forks, so that workers inherit
    the compiled policy instead of compiling it again."""

    renderer: ChunkRenderer
    plans: Path

    def items(self, job: _Job) -> list[tuple[bytes, tuple[Any, ...] | None]]:
        """The job's (plan line, account row tuple) pairs."""
        out: list[tuple[bytes, tuple[Any, ...] | None]] = []
        with self.plans.open("rb") as handle:
            for offset, row in zip(job.offsets, job.rows, strict=True):
                handle.seek(offset)
                out.append((handle.readline().rstrip(b"\r\n"), row))
        return out

    def render(self, job: _Job) -> ChunkResult:
        """Render one job."""
        return self.renderer.render_chunk(self.items(job), job.columns)


_WORKER: _Worker | None = None


# young objects (allocations less deallocations) before the collector runs in a chunk worker
WORKER_GC_THRESHOLD = 10_000


def _freeze_inherited() -> None:
    """In a chunk worker, just forked: what it inherited (the compiled policy, the templates,
    every imported module: ≈ 60k objects and more) goes to the collector's permanent
    generation. A full collection would otherwise walk all of it again as a chunk's contexts
    pass through the old generation (35 ms, measured), and write into every page it walks,
    which stops sharing them with the parent. A chunk's plan lines and contexts (500
    accounts' worth, freed with the chunk) stay under WORKER_GC_THRESHOLD young objects: the
    default 700 collected them ≈ 125 times and promoted them ≈ 11 times a 20k-account render
    while they were alive (18 ms of 330, ≈ 3 µs a message); reference cycles, if a message
    makes any, are still collected, once the threshold is passed."""
    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, 10, 10)


def _render_in_worker(job: _Job) -> ChunkResult:
    assert _WORKER is not None
    return _WORKER.render(job)


@dataclass(frozen=True)
class _PrintBatch:
    """One print batch to typeset: its file stem and its letters in print order, with where
    each letter's markup is in the spool (offset, length; empty without PDFs)."""

    name: str
    paper: str
    posting_date: str
    letters: list[PrintedLetter]
    spans: list[tuple[int, int]]


_ID_PREFIX = b'{"account_id":"'


def _account_id(line: bytes, plans: Path, number: int) -> str:
    # plans.jsonl lines start with the account id (the contract's key order); read it without
    # decoding the whole line, unless it holds an escape
    if line.startswith(_ID_PREFIX):
        end = line.find(b'"', len(_ID_PREFIX))
        if end > 0 and b"\\" not in line[len(_ID_PREFIX) : end]:
            return line[len(_ID_PREFIX) : end].decode("utf-8")
    try:
        return str(orjson.loads(line)["account_id"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise UserError(f"{plans}:{number}: not a plan line", "re-run `dunning plan`") from None


def _candidates(plans: Path, human: set[str] | None = None) -> tuple[list[str], array[int]]:
    """Account ids and byte offsets of the plan lines with something to render, in file order;
    into ``human``, when given, the ids of those that may hold a human step (a superset, see
    :func:`human_step_candidate`: their snapshot rows are kept for the case files).

    One pass over the file; the workers read the lines again by offset, so the parent never
    holds more than one line (an array of offsets costs 8 bytes a message)."""
    ids: list[str] = []
    offsets = array("q")
    position = 0
    with plans.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if _RENDERABLE.search(raw):
                ids.append(_account_id(raw.rstrip(b"\r\n"), plans, number))
                offsets.append(position)
                if human is not None and human_step_candidate(raw):
                    human.add(ids[-1])
            position += len(raw)
    return ids, offsets


def _accounts_path(plans_dir: Path, summary: dict[str, Any], accounts: Path | None) -> Path:
    if accounts is not None:
        return accounts
    recorded = (summary.get("inputs") or {}).get("accounts") or {}
    path = recorded.get("path") if isinstance(recorded, dict) else None
    if not path:
        raise UserError(f"{plans_dir / SUMMARY} names no accounts input", "pass --accounts FILE")
    for candidate in (Path(path), plans_dir / path):
        if candidate.is_file():
            return candidate
    raise UserError(f"accounts file {path!r} (recorded in {plans_dir / SUMMARY}) not found", "pass --accounts FILE")


def _csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def print_batches(letters: list[PrintedLetter], spans: Sequence[int] = ()) -> list[_PrintBatch]:
    """Letters grouped into print batches (posting date, jurisdiction, paper, postage), each
    sorted by postal code then reference (postal presort) and cut every BATCH_LETTERS.
    ``spans``: each letter's markup offset and length in the spool, one after the other (empty
    without PDFs)."""
    groups: dict[tuple[str, str, str, str], list[int]] = {}
    for n, item in enumerate(letters):
        groups.setdefault(item.batch_key(), []).append(n)
    batches: list[_PrintBatch] = []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda n: (letters[n].postal_code, letters[n].action_id))
        for part, start in enumerate(range(0, len(ordered), letter.BATCH_LETTERS), start=1):
            name = letter.batch_name(*key, part)
            chosen = ordered[start : start + letter.BATCH_LETTERS]
            where = [(spans[2 * n], spans[2 * n + 1]) for n in chosen] if spans else []
            batches.append(_PrintBatch(name, key[2], key[0], [letters[n] for n in chosen], where))
    return batches


def _print_jobs(out_dir: Path, spool: Path, batches: list[_PrintBatch]) -> Iterator[printing.BatchJob]:
    """Each batch's print job, made as the pool takes it: where its letters' markup is in the
    spool, which the print worker reads itself."""
    for batch in batches:
        letters = [
            (item.action_id, item.archive, offset, length)
            for item, (offset, length) in zip(batch.letters, batch.spans, strict=True)
        ]
        yield str(out_dir), batch.name, batch.paper, batch.posting_date, str(spool), letters


def batch_index(batch: _PrintBatch, pages: list[int] | None) -> list[list[str]]:
    """The index rows of one batch: sequence and page range of every letter in the PDF
    (``pages``: each letter's page count, None without PDFs)."""
    rows: list[list[str]] = []
    page = 1
    for sequence, item in enumerate(batch.letters, start=1):
        count = pages[sequence - 1] if pages else 0
        first, last = (str(page), str(page + count - 1)) if count else ("", "")
        page += count
        rows.append(
            [str(sequence), first, last, item.account_id, item.action_id, item.address_block, item.postage,
             item.paper, item.posting_date, item.jurisdiction, item.locale, item.template, item.archive]
        )  # fmt: skip
    return rows


class _Sink:
    """The shared output files, appended to chunk by chunk in plan order."""

    def __init__(
        self,
        staging: Path,
        policy: Policy,
        hashes: Path,
        letters: Path,
        case_files: bool = False,
        spool: Path | None = None,
    ) -> None:
        self.staging = staging
        self.policy = policy
        self.case_files = case_files
        self.cases: list[str] = []  # accounts whose case file is wanted, in plan order
        self.sms = open_private(staging / "sms.jsonl", "wb")
        self.calls_jsonl = open_private(staging / "calls.jsonl", "wb")
        self.calls_handle = open_private(staging / "calls.csv", "wb")
        # the appended files' sha256, taken as their bytes are written: the manifest would
        # read them back at the end (≈ 400 MB at 1M on a Saturday, ≈ 1 s of serial CPU)
        self.digests = {name: hashlib.sha256() for name in ("sms.jsonl", "calls.jsonl", "calls.csv")}
        header = calls.csv_bytes([calls.COLUMNS])
        self.calls_handle.write(header)
        self.calls_handle.flush()  # add_lines writes to the descriptor
        self.digests["calls.csv"].update(header)
        self.rejects_handle = open_private(staging / "render-rejects.csv", "w", encoding="utf-8", newline="")
        self.rejects = csv_writer(self.rejects_handle, lineterminator="\n")
        self.rejects.writerow(REJECT_COLUMNS)
        self.mboxes: dict[str, mailbox.mbox] = {}
        # each chunk's letters, without their markup, as a line of LETTERS (read back by letters())
        self.letters_path = letters
        self.letters = open_private(letters, "wb")
        # with PDFs, the letters' markup goes to the spool as it arrives, and this process keeps
        # where (offset, length, flattened): ≈ 16 bytes a letter, not ≈ 700 (24k letters at 1M)
        self.spool = open_private(spool, "wb") if spool is not None else None
        self.spooled = 0
        self.spans = array("q")
        self.routes: list[list[str]] = []
        self.agency: dict[str, list[list[str]]] = {}
        self.hashes_path = hashes
        self.hashes = open_private(hashes, "wb")  # (file, sha256) pairs: see HASHES
        self.summary = RenderSummary()

    def add(self, result: ChunkResult) -> None:
        self.sms.write(result.sms_lines)
        self.calls_handle.write(result.calls_csv)
        self.calls_jsonl.write(result.calls_jsonl)
        self.digests["sms.jsonl"].update(result.sms_lines)
        self.digests["calls.csv"].update(result.calls_csv)
        self.digests["calls.jsonl"].update(result.calls_jsonl)
        for batch, message in result.emails:
            box = self.mboxes.get(batch)
            if box is None:
                path = self.staging / "email" / f"{batch}.mbox"
                make_private_dir(path.parent)
                open_private(path).close()  # owner-only, as every message file (mailbox keeps the mode)
                box = self.mboxes[batch] = mailbox.mbox(path, create=False)
            # mbox is a Unix format (LF); the From_ line carries the message's own date, not the clock's
            box.add(email_channel.mbox_from_line(message) + b"\n" + message.replace(b"\r\n", b"\n"))
        self.rejects.writerows(result.rejects)
        if result.letters:
            self.letters.write(orjson.dumps([_letter_fields(item) for item in result.letters]) + b"\n")
        if self.spool is not None:
            for item in result.letters:
                self.spool.write(item.markup)
                self.spans.append(self.spooled)
                self.spans.append(len(item.markup))
                self.spooled += len(item.markup)
        self.routes.extend(result.routes)
        for agency_id, rows in result.agency.items():
            self.agency.setdefault(agency_id, []).extend(rows)
        self.know(result.files)
        self.cases.extend(result.cases)
        for channel, count in result.rendered.items():
            self.summary.rendered[channel] = self.summary.rendered.get(channel, 0) + count
        for channel, spent in result.cpu_ns.items():
            self.summary.cpu_ns[channel] = self.summary.cpu_ns.get(channel, 0) + spent
        self.summary.failed += len(result.rejects)

    def add_lines(self, source: Path, sizes: tuple[int, int, int]) -> None:
        """Append a chunk's lines of sms.jsonl, calls.csv and calls.jsonl from the file
        ``source`` its worker wrote them to (one file's lines after the other's, ``sizes``
        bytes each; :meth:`dunning.render.fused.ChunkMessages.chunk`), hashed on the way; the
        file is removed. In plan order with :meth:`add`, which writes nothing for them then."""
        names = ("sms.jsonl", "calls.csv", "calls.jsonl")
        handles = (self.sms, self.calls_handle, self.calls_jsonl)
        for handle in handles:
            handle.flush()
        pieces = [
            (size, handle.fileno(), self.digests[name])
            for size, handle, name in zip(sizes, handles, names, strict=True)
        ]
        append_hashed(source, pieces)
        source.unlink()

    def printed(self) -> list[PrintedLetter]:
        """Every letter added, in order, without its markup; the record is removed."""
        self.letters.close()
        letters: list[PrintedLetter] = []
        with self.letters_path.open("rb") as handle:
            for line in handle:
                for fields in orjson.loads(line):
                    # the fields most letters share, once (24k letters at 1M, ≈ 60 bytes a field)
                    letters.append(
                        PrintedLetter(
                            posting_date=sys.intern(fields[0]), jurisdiction=sys.intern(fields[1]),
                            paper=sys.intern(fields[2]), postage=sys.intern(fields[3]), postal_code=fields[4],
                            action_id=fields[5], account_id=fields[6], address_block=fields[7],
                            locale=sys.intern(fields[8]), template=sys.intern(fields[9]), archive=fields[10],
                            markup=b"",
                        )
                    )  # fmt: skip
        self.letters_path.unlink()
        return letters

    def know(self, files: Iterable[tuple[str, str]]) -> None:
        """Record written files' hashes (relative path, sha256) for the manifest."""
        self.hashes.write("".join(f"{relative}\0{digest}\0" for relative, digest in files).encode("utf-8"))

    def known(self) -> dict[str, str]:
        """Every recorded file's sha256 (the last recorded for a path), in the order recorded;
        the record is removed."""
        self.hashes.close()
        fields = self.hashes_path.read_bytes().decode("utf-8").split("\0")
        self.hashes_path.unlink()
        return dict(zip(fields[0:-1:2], fields[1:-1:2], strict=True))

    def _write(self, relative: str, data: bytes) -> None:
        path = self.staging / relative
        make_private_dir(path.parent)
        write_private(path, data)
        self.know([(f"{MESSAGES}/{relative}", sha256_bytes(data))])

    def close(self) -> None:
        for handle in (self.sms, self.calls_handle, self.calls_jsonl, self.rejects_handle, self.spool, self.letters):
            if handle is not None:
                handle.close()
        if self.digests:
            self.know((f"{MESSAGES}/{name}", digest.hexdigest()) for name, digest in self.digests.items())
            self.digests = {}
        for box in self.mboxes.values():
            box.close()
        self.mboxes.clear()
        if self.routes:
            self.routes.sort(key=lambda r: (r[0], r[4], r[5], r[3], r[2]))
            day, n = "", 0
            for row in self.routes:
                n = n + 1 if row[0] == day else 1
                day, row[1] = row[0], str(n)
            self._write("visits/routes.csv", _csv_bytes(visits.ROUTE_COLUMNS, self.routes))
        for agency_id in sorted(self.agency):
            fields = self.policy.agencies[agency_id].fields
            self._write(f"agency/{agency_id}.csv", _csv_bytes(fields, self.agency[agency_id]))
        self.routes, self.agency = [], {}  # written once (close runs again on a failure)

    def write_batches(self, batches: list[_PrintBatch], printed: list[printing.Printed] | None) -> None:
        """Each batch's index CSV (and the hashes of the PDFs and archive copies when they were typeset)."""
        for n, batch in enumerate(batches):
            letter_pages: list[int] | None = None
            if printed is not None:
                relative, digest, pages, letter_pages, archives, _ = printed[n]
                if pages != sum(letter_pages) or len(letter_pages) != len(batch.letters):
                    # the index must match the PDF, page for page
                    raise UserError(
                        f"{relative}: {pages} pages, the letters hold {sum(letter_pages)}", "report this as a bug"
                    )
                self.know([(relative, digest), *archives])
            rows = batch_index(batch, letter_pages)
            self._write(f"letters/{batch.name}.csv", _csv_bytes(letter.INDEX_COLUMNS, rows))


def _letter_fields(item: PrintedLetter) -> list[str]:
    # PrintedLetter's fields in order, but its markup (see _Sink.printed)
    return [
        item.posting_date, item.jurisdiction, item.paper, item.postage, item.postal_code, item.action_id,
        item.account_id, item.address_block, item.locale, item.template, item.archive,
    ]  # fmt: skip


def _jobs(ids: list[str], offsets: array[int], rows: Any, size: int) -> Iterator[_Job]:
    """Chunks of ``size`` candidate lines, each with its account rows (built as needed)."""
    index = {account_id: n for n, account_id in enumerate(rows.get_column("account_id").to_list())}
    columns = tuple(rows.columns)
    for start in range(0, len(ids), size):
        positions = [index.get(account_id) for account_id in ids[start : start + size]]
        found = [p for p in positions if p is not None]
        tuples = iter(rows[found].rows()) if found else iter(())
        rows_of = [next(tuples) if p is not None else None for p in positions]
        yield _Job(list(offsets[start : start + size]), rows_of, columns)


def _bar(total: int, unit: str, shown: bool) -> Any:
    """A count/rate/ETA bar on stderr (nothing when not ``shown``)."""
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, disable=not shown, leave=False, dynamic_ncols=True)


def render_plans(
    plans_dir: Path,
    policy_root: Path,
    accounts: Path | None = None,
    *,
    policy: Policy | None = None,
    workers: int | None = None,
    pdf: bool = True,
    chunk_accounts: int = CHUNK_ACCOUNTS,
    manifest: bool = True,
    email_format: str = "eml",
    progress: bool = False,
) -> RenderSummary:
    """Render every scheduled and deferred action of ``plans_dir`` into ``plans_dir/messages``.

    The plan folder must carry dunning's marker (``dunning plan`` wrote it). Its plans are
    carried into a staging folder, the messages rendered there, and the whole folder swapped
    into place in one step (:class:`dunning.outdir.OutputDir`): a failed or killed render
    leaves the previous messages and summary as they were.

    ``email_format`` is ``eml`` (a file per email) or ``mbox`` (one mbox per send date);
    ``progress`` shows a count, rate and ETA on stderr for the accounts and the print batches."""
    if not (plans_dir / PLANS).is_file():
        raise UserError(
            f"{plans_dir / PLANS}: no plans here", "run `dunning plan --out DIR` first, or pass --plans DIR"
        )
    if read_marker(plans_dir) is None:
        raise UserError(
            f"{plans_dir} was not written by `dunning plan` (no {MARKER} marker)",
            "re-run `dunning plan --out DIR`; render writes only into folders dunning wrote",
        )
    policy = policy or require_policy(policy_root)
    output = OutputDir(plans_dir, protect=(Path(policy.root),))
    # summary.json is carried over too: it is rewritten by rename, never in place
    with output.replace(keep=lambda name: name not in (MESSAGES, MANIFEST)) as staging:
        return render_into(
            staging,
            policy_root,
            accounts,
            policy=policy,
            workers=workers,
            pdf=pdf,
            chunk_accounts=chunk_accounts,
            manifest=manifest,
            origin=plans_dir,
            email_format=email_format,
            progress=progress,
        )


def render_into(
    out_dir: Path,
    policy_root: Path,
    accounts: Path | None = None,
    *,
    policy: Policy | None = None,
    workers: int | None = None,
    pdf: bool = True,
    chunk_accounts: int = CHUNK_ACCOUNTS,
    manifest: bool = True,
    origin: Path | None = None,
    email_format: str = "eml",
    progress: bool = False,
    cases: CaseRequest | None = None,
) -> RenderSummary:
    """Render the plans of ``out_dir`` into ``out_dir/messages`` in place: ``out_dir`` is a
    staging folder (:func:`render_plans`, ``dunning build``). ``origin`` is the plan folder
    the user named (a relative accounts path in summary.json is resolved against it).
    With ``cases`` (``dunning build``), the accounts with a human step get their case files in
    ``messages/cases/`` (:mod:`dunning.render.cases`), linked from their sheets and rows."""
    check_email_format(email_format)
    global _WORKER
    origin = origin or out_dir
    plans = out_dir / PLANS
    if not plans.is_file():
        raise UserError(f"{origin / PLANS}: no plans here", "run `dunning plan --out DIR` first, or pass --plans DIR")
    summary_path = out_dir / SUMMARY
    summary: dict[str, Any] = orjson.loads(summary_path.read_bytes()) if summary_path.is_file() else {}
    policy = policy or require_policy(policy_root)
    accounts_path = _accounts_path(origin, summary, accounts)

    # polars: here, not at the module's import (a build that renders in its plan's workers
    # never needs it in its own process, see dunning.render.fused); before the fork below,
    # as it always was
    from dunning.render.account_rows import CONTEXT_UNUSED, RawRows, read_account_rows

    human: set[str] | None = set() if cases is not None else None
    wanted, offsets = _candidates(plans, human)
    # the human-step accounts' rows, kept as render reads the snapshot, for their case files
    raw = RawRows(frozenset(human)) if human is not None else None
    del human

    output = Messages(out_dir, policy, pdf=pdf, case_files=cases is not None)
    renderer = make_renderer(policy, out_dir, pdf=pdf, email_format=email_format, case_files=cases is not None)
    sink = output.sink
    chunks = -(-len(wanted) // max(1, chunk_accounts))
    jobs = resolve_jobs(workers, len(wanted) * MESSAGE_WORK, chunks)
    if pdf and typeset.started_here():  # a forked child would wait for Typst's threads
        jobs = 1
    _WORKER = _Worker(renderer, plans)
    try:
        with contextlib.ExitStack() as stack:
            # forked before the snapshot is read: the workers get rows as tuples per job and
            # do not inherit the table (nor the memory polars keeps after reading it)
            pool = stack.enter_context(Workers(jobs, start="fork", initializer=_freeze_inherited))
            # without the columns no context reads: less to hold here, to pickle and to
            # unpickle. Read before the chunks, not beside them: reading while the workers
            # render put this process's peak during the read beside theirs (1M Monday: 612
            # MiB over the tree against 524)
            rows = read_account_rows(accounts_path, wanted, drop=CONTEXT_UNUSED, raw=raw)
            jobs_ = _jobs(wanted, offsets, rows, chunk_accounts)
            del rows  # the jobs' generator holds it until the last job is made
            bar = stack.enter_context(_bar(len(wanted), " accounts", progress))
            # two chunks in flight per worker keep them busy while this process writes
            results = pool.map(_render_in_worker, jobs_, window=2 * jobs, local=_WORKER.render)
            for n, chunk_result in enumerate(results):
                sink.add(chunk_result)
                bar.update(min(chunk_accounts, len(wanted) - n * chunk_accounts))
            bar.close()
    except BaseException:
        output.close()
        raise
    finally:
        _WORKER = None
    del wanted, offsets  # not needed by the print stage (≈ 80 bytes an id: 309k of them at 1M)
    case_files = None
    if cases is not None:

        def case_files(account_ids: list[str]) -> list[tuple[str, str]]:
            return write_case_files(out_dir, policy, accounts_path, account_ids, cases, raw)

    return output.finish(
        summary, accounts_path, workers=workers, progress=progress, cases=case_files, manifest=manifest
    )


def check_email_format(email_format: str) -> None:
    """A UserError for an email format render does not write."""
    if email_format not in EMAIL_FORMATS:
        raise UserError(f"unknown email format {email_format!r}", f"use one of {', '.join(EMAIL_FORMATS)}")


def make_renderer(policy: Policy, out_dir: Path, *, pdf: bool, email_format: str, case_files: bool) -> ChunkRenderer:
    """The chunk renderer of one render (one per process that renders chunks)."""
    templates = TemplateSandbox(Path(policy.root) / "templates")
    return ChunkRenderer(policy, templates, out_dir, pdf=pdf, email_format=email_format, case_files=case_files)


class Messages:
    """What one render writes into ``out_dir``: ``messages/`` (made anew), the shared files'
    sink, the letters' spool and the files' hashes (both hidden, removed at the end).

    Fed chunk by chunk in plan order (``sink.add``) by :func:`render_into` or, in ``dunning
    build``, by :class:`dunning.render.fused.FusedRender`; :meth:`finish` then typesets the
    print batches, writes the case files and the counts; :meth:`discard` removes all of it."""

    def __init__(self, out_dir: Path, policy: Policy, *, pdf: bool, case_files: bool) -> None:
        self.out_dir, self.policy, self.pdf = out_dir, policy, pdf
        self.messages = out_dir / MESSAGES
        if self.messages.exists():
            shutil.rmtree(self.messages)
        make_private_dir(self.messages)
        self.spool, self.hashes, self.letters = out_dir / SPOOL, out_dir / HASHES, out_dir / LETTERS
        self.sink = _Sink(
            self.messages, policy, self.hashes, self.letters, case_files=case_files, spool=self.spool if pdf else None
        )

    def close(self) -> None:
        """Close the open files and remove the hidden ones (a render that failed)."""
        self.sink.close()
        self.sink.hashes.close()
        for hidden in (self.spool, self.hashes, self.letters):
            hidden.unlink(missing_ok=True)

    def discard(self) -> None:
        """Remove everything this render wrote (:meth:`close`, and ``messages/``)."""
        self.close()
        shutil.rmtree(self.messages, ignore_errors=True)

    def finish(
        self,
        summary: dict[str, Any],
        accounts_path: Path,
        *,
        workers: int | None,
        progress: bool,
        cases: Callable[[list[str]], list[tuple[str, str]]] | None,
        manifest: bool,
    ) -> RenderSummary:
        """After the last chunk: the print batches, the case files, summary.json's render
        block, the CPU profile and (with ``manifest``) manifest.json. ``summary``: summary.json
        as read before the chunks ({} when there is none); ``cases`` writes the case files of
        the accounts the chunks named (with repeats, in plan order) and gives their
        ``(relative path, sha256)`` (None: no case files, as in ``dunning render``)."""
        out_dir, policy, pdf, sink, spool = self.out_dir, self.policy, self.pdf, self.sink, self.spool
        try:
            sink.close()
            # the chunk workers are gone: the print batches, in one pool of print workers, before
            # the case files (which read the snapshot again): this process is at its smallest
            # while the print workers, the build's largest processes, run beside it
            batches = print_batches(sink.printed(), sink.spans)
            sink.spans = array("q")
            printed: list[printing.Printed] | None = None
            if pdf and batches:
                printed = []
                count = resolve_jobs(workers, chunks=len(batches))
                printers = Workers(
                    count,
                    start="forkserver",
                    separate=True,
                    max_tasks_per_child=printing.recycle_after(count),
                    initializer=printing.take_turns,
                    initargs=(printing.turns(count),),
                    preload=printing.PRELOAD,
                )
                with _bar(len(batches), " print batches", progress) as typeset_bar, without_main(), printers:
                    for done in printers.map(printing.typeset_batch, _print_jobs(out_dir, spool, batches)):
                        printed.append(done)
                        sink.summary.cpu_ns["print_batches"] = sink.summary.cpu_ns.get("print_batches", 0) + done[-1]
                        typeset_bar.update(1)
            spool.unlink(missing_ok=True)
            sink.write_batches(batches, printed)
            del batches, printed
            if cases is not None:
                sink.know(cases(sink.cases))
                sink.summary.cases = len(set(sink.cases))
            known = sink.known()
            sink.summary.files = len(known)
        except BaseException:
            sink.close()
            sink.hashes.close()
            raise
        finally:
            for hidden in (spool, self.hashes, self.letters):
                hidden.unlink(missing_ok=True)
        step("messages rendered")

        summary_path = out_dir / SUMMARY
        result = sink.summary
        counts = {channel: result.rendered.get(channel, 0) for channel in CHANNEL_ORDER}
        if summary:
            summary["render"] = {"rendered": result.total, "failed": result.failed, "by_channel": counts}
            data = dump_json(summary, sort_keys=False)  # keep the planner's key order
            write_atomic(summary_path, data)
            known[SUMMARY] = sha256_bytes(data)
        result.inputs = dict(summary.get("inputs") or {})
        # not setdefault: its argument would hash the snapshot (0.14-0.2 s at 1M) to keep plan's digest
        if "accounts" not in result.inputs:
            result.inputs["accounts"] = {"path": str(accounts_path), "sha256": sha256_file(accounts_path)}
        result.known, result.as_of = known, summary.get("as_of")
        write_cpu_profile(result)
        if manifest:
            write_manifest(policy, out_dir, result)
        return result


def _count(result: RenderSummary, channel: str) -> int:
    # the print batches' cost is shared by the letters in them, the plan lines' and account
    # rows' by every message
    if channel == ACCOUNTS:
        return result.total
    return result.rendered.get("letter" if channel == "print_batches" else channel, 0)


def write_cpu_profile(result: RenderSummary) -> None:
    """With ``DUNNING_RENDER_PROFILE=FILE``, write render's CPU time per channel (µs a message)
    to FILE, for benchmarks/build_bench.py. Kept out of the output directory, whose bytes must
    not depend on the machine."""
    target = os.environ.get("DUNNING_RENDER_PROFILE")
    if not target:
        return
    profile = {
        channel: {"messages": _count(result, channel), "cpu_s": spent / 1e9,
                  "us_per_message": spent / 1e3 / max(1, _count(result, channel))}
        for channel, spent in sorted(result.cpu_ns.items())
    }  # fmt: skip
    Path(target).write_bytes(orjson.dumps(profile, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


def channel_counts(result: RenderSummary) -> dict[str, int]:
    """Messages per channel (every channel listed) plus the failures."""
    counts = {channel: result.rendered.get(channel, 0) for channel in CHANNEL_ORDER}
    if result.cases is not None:
        counts["case_files"] = result.cases
    return {**counts, "render_failed": result.failed}


def write_manifest(policy: Policy, out_dir: Path, result: RenderSummary) -> None:
    """(Re)write ``out_dir/manifest.json`` — after the handbook too, so that it is listed."""
    mark("manifest's walk")
    document = build_manifest(policy, out_dir, result.inputs, channel_counts(result), result.known, result.as_of)
    write_atomic(out_dir / MANIFEST, dump_json(document))
