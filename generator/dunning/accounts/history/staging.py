"""The history read once for a plan run: checked a batch at a time and staged for the
workers, or scanned into memory for the commands that read one account's.

A plan run reads the history once, as columns, a batch of lines at a time
(:func:`stage_history`): each batch is checked (:mod:`.plain`), and its readable lines are
written to a Parquet part before the next batch is read, so the memory of the scan is
that of one batch whatever the file's length. The readable lines stay text columns; the
events of an account become objects only in the worker that plans it
(:class:`HistoryLookup`, :mod:`.timeline`). A history that is not plain CSV (JSON Lines,
quoted values) is read by the row reader, in batches of lines too; the columns of its
batches may differ (a JSON Lines line names the columns it has), and a column a part lacks
reads as empty text, as a key a line lacks does.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dunning.accounts import events as ev
from dunning.accounts.history.plain import (
    NotPlain,
    checked_batches,
    plain_batches,
    plain_block,
    plain_names,
    read_plain,
)
from dunning.accounts.history.rows import LINE, History, HistoryReject
from dunning.accounts.history.timeline import events_of
from dunning.errors import UserError

if TYPE_CHECKING:
    import polars as pl


BATCH_ROWS = 131_072  # lines checked and staged at a time: the parent's memory for the history
_STAGE_ROWS = 8_192  # rows per Parquet row group of a staged part: a chunk's id range skips most
_COUNT_BYTES = 1 << 20  # bytes of a history read at a time to count its lines


@dataclass(frozen=True)
class HistoryScan:
    """A history file read and checked once: the readable lines as text columns (cleaned
    column names, stripped values, file order, their line in :data:`LINE`), the rejects, the
    accounts they hold, and whether the history records sends."""

    frame: pl.DataFrame
    rejects: tuple[HistoryReject, ...]
    held: frozenset[str]
    tracks_sent: bool

    @property
    def lines(self) -> int:
        """Event lines read, readable or not."""
        return self.frame.height + len(self.rejects)


@dataclass(frozen=True)
class HistoryChecked:
    """What checking a history found: its unreadable lines, the accounts they hold, and the
    number of event lines read, readable or not."""

    rejects: tuple[HistoryReject, ...]
    held: frozenset[str]
    lines: int


@dataclass(frozen=True)
class StagedHistory:
    """A scanned history handed to the plan workers: its readable lines in Parquet parts
    (one a batch, each sorted by account id, so a chunk's id range skips most row groups),
    held accounts and whether it records sends (small: pickled to each worker)."""

    parts: tuple[Path, ...]
    held: frozenset[str]
    tracks_sent: bool
    # each part's columns (a JSON Lines batch has those its lines name)
    columns: tuple[tuple[str, ...], ...] = ()


class HistoryLookup:
    """The events of the accounts one chunk plans, built as objects only for them."""

    def __init__(self, lines: pl.LazyFrame, held: frozenset[str], tracks_sent: bool) -> None:
        self.lines = lines
        self.held = held
        self.tracks_sent = tracks_sent

    @classmethod
    def of(cls, history: HistoryScan | StagedHistory) -> HistoryLookup:
        """A lookup over a scan in memory, or over a staged file."""
        import polars as pl

        if isinstance(history, HistoryScan):
            return cls(history.frame.lazy(), history.held, history.tracks_sent)
        # a text column a batch left empty is staged as nulls (_emptied): empty text again,
        # the id apart (never emptied: a filter on it must reach the Parquet scan)
        texts = pl.col(pl.String).exclude("account_id").fill_null("")
        if len(set(history.columns)) <= 1:  # one set of columns (a CSV history): one scan
            lines = pl.scan_parquet(list(history.parts)).with_columns(texts)
            return cls(lines, history.held, history.tracks_sent)
        names = _union(history.columns)
        pairs = zip(history.parts, history.columns, strict=True)
        parts = [_widened(pl.scan_parquet(part).with_columns(texts), names, have) for part, have in pairs]
        return cls(pl.concat(parts), history.held, history.tracks_sent)

    def history(self, account_ids: pl.Series) -> History:
        """The history of ``account_ids``: their events (and every held account)."""
        import polars as pl

        if account_ids.is_empty():
            return History(held=self.held)
        ids = account_ids.cast(pl.String)
        account = pl.col("account_id")
        # the range first: it lets Parquet skip the row groups outside the chunk
        lines = self.lines.filter(
            account.is_between(pl.lit(ids.min()), pl.lit(ids.max())) & account.is_in(ids.implode())
        ).collect()
        return History(events_of(lines.sort(LINE)), (), self.held)


def read_history(path: Path | None, batch_rows: int = BATCH_ROWS) -> History:
    """Events per account id, each account's events in time order (empty without a file);
    unreadable lines as rejects, and the accounts they hold. ``batch_rows``: lines checked
    at a time (see :func:`scan_history`)."""
    if path is None:
        return History()
    scan = scan_history(path, batch_rows)
    return History(events_of(scan.frame), scan.rejects, scan.held)


def scan_history(path: Path, batch_rows: int = BATCH_ROWS) -> HistoryScan:
    """Read and check the history file once (see above), into memory; a file that cannot be
    read at all (no file, no required column) is a :class:`UserError`. A plan run stages
    the lines instead (:func:`stage_history`), so that its memory does not grow with them."""
    import polars as pl

    frames: list[pl.DataFrame] = []
    rejects: list[HistoryReject] = []
    for good, bad in checked_batches(path, batch_rows):
        frames.append(good)
        rejects.extend(bad)
    names = _union(tuple(frame.columns) for frame in frames)
    return _scan(pl.concat([_widened(frame.lazy(), names) for frame in frames]).collect(), rejects)


def stage_history(path: Path, directory: Path, batch_rows: int = BATCH_ROWS) -> tuple[StagedHistory, HistoryChecked]:
    """Read and check the history file one batch of ``batch_rows`` lines at a time, each
    batch's readable lines appended to ``directory`` as a Parquet part (sorted by account
    id) as soon as it is checked: the process holds one batch, never the file. The staged
    history for the workers, and what the check found (rejects, held accounts, lines)."""
    directory.mkdir()
    return joined_pieces([_stage_batches(checked_batches(path, batch_rows), directory, "", first=True)])


def stage_history_task(task: tuple[Path, Path, int]) -> tuple[StagedHistory, HistoryChecked]:
    """:func:`stage_history` of (path, directory, batch_rows), for a worker process."""
    return stage_history(*task)


# ------------------------------------------------------------- staged by several workers
# A plain CSV history's records are its lines, so it can be cut at line ends into pieces
# whose first line numbers are known from the newlines before them: each piece is read,
# checked and staged by a worker of its own (:func:`stage_piece`), the rejects keeping the
# file's line numbers. Whether a piece is plain is known only once it is read (a quote may
# come at any line), so each checks its own batches as the whole-file scan checks its
# blocks (:func:`plain_block`, the same test); a piece that is not plain gives up, and the
# file is read by the row reader as a whole, as it is when read by one process.
@dataclass(frozen=True)
class HistoryPiece:
    """Whole lines of a plain CSV history for one staging worker: from byte ``start``, the
    number of its first line, how many lines (None: to the end of the file), and the file's
    header line (without a BOM) and cleaned column names."""

    path: Path
    index: int
    start: int
    first_line: int
    lines: int | None
    header: bytes
    names: tuple[str, ...]


@dataclass(frozen=True)
class StagedPiece:
    """A piece (or a whole file) staged: its Parquet parts and their columns, its rejects,
    its event lines (readable or not), and whether it records sends."""

    parts: tuple[Path, ...]
    columns: tuple[tuple[str, ...], ...]
    rejects: tuple[HistoryReject, ...]
    lines: int
    tracks_sent: bool


def cut_history(path: Path, pieces: int) -> Iterator[HistoryPiece] | None:
    """The history cut at line ends into at most ``pieces`` pieces of about equal bytes; None
    when it is not a CSV whose header line is plain (JSON Lines, an empty file, quotes…):
    one process reads it (:func:`stage_history`). A missing required column is a
    :class:`UserError` here, as it is there.

    The pieces come as their line numbers are known: a piece's first is the count of the
    newlines before it (one pass over the bytes, no parsing), so a worker can start on a
    piece while the parent counts the next one's (a generator for :meth:`Workers.map`)."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return None
    if not path.is_file():
        raise UserError(f"{path}: no such history file", hint="check the --history path")
    try:
        with path.open("rb") as handle:
            header = handle.readline().removeprefix(codecs.BOM_UTF8)
            names = plain_names(path, header, read=False) if header and plain_block(header) else None
            if names is None:
                return None
            bounds = [handle.tell()]
            size = os.fstat(handle.fileno()).st_size
            for k in range(1, pieces):
                # the first line that starts at or after this share of the bytes
                handle.seek(max(bounds[0] + (size - bounds[0]) * k // pieces - 1, bounds[-1]))
                handle.readline()
                if bounds[-1] < handle.tell() < size:
                    bounds.append(handle.tell())
    except OSError as exc:
        raise UserError(f"{path}: cannot read the history file ({exc.strerror})") from None
    return _numbered(path, header, tuple(names), bounds)


def _numbered(path: Path, header: bytes, names: tuple[str, ...], bounds: list[int]) -> Iterator[HistoryPiece]:
    """The pieces starting at ``bounds``, each once its lines are counted (the last's are not:
    it reads to the end of the file)."""
    first_line = 2  # the line after the header
    try:
        with path.open("rb") as handle:
            handle.seek(bounds[0])
            for index, start in enumerate(bounds):
                lines = None
                if index + 1 < len(bounds):
                    lines = _newlines(handle, bounds[index + 1] - start)
                yield HistoryPiece(path, index, start, first_line, lines, header, names)
                first_line += lines or 0
    except OSError as exc:
        raise UserError(f"{path}: cannot read the history file ({exc.strerror})") from None


def _newlines(handle: io.BufferedReader, size: int) -> int:
    """The newlines in the next ``size`` bytes of ``handle``, read into one small buffer: a
    block allocated anew each time stays with the parent's heap (glibc raises its mmap
    threshold to a freed block's size), 30 MiB for the rest of the run with 16 MiB blocks."""
    buffer = bytearray(_COUNT_BYTES)
    found = 0
    while size > 0 and (got := handle.readinto(memoryview(buffer)[: min(size, _COUNT_BYTES)])):
        found += buffer.count(b"\n", 0, got)
        size -= got
    return found


def stage_piece(piece: HistoryPiece, directory: Path, batch_rows: int = BATCH_ROWS) -> StagedPiece | None:
    """Read, check and stage one piece of the history (into ``directory``, which exists) a
    batch of ``batch_rows`` lines at a time, as :func:`stage_history` does the whole file;
    None when a batch is not plain (then the file must be read whole by the row reader)."""
    if read_plain(piece.header, b"").width != len(piece.names):
        return None  # pragma: no cover - polars reads a header otherwise than the csv module
    try:
        with piece.path.open("rb") as handle:
            handle.seek(piece.start)
            batches = plain_batches(
                handle, piece.header, list(piece.names), batch_rows, piece.first_line, piece.lines, checked=True
            )
            return _stage_batches(batches, directory, f"{piece.index:04d}-", first=piece.index == 0)
    except NotPlain:
        return None
    except OSError as exc:
        raise UserError(f"{piece.path}: cannot read the history file ({exc.strerror})") from None


def stage_piece_task(task: tuple[HistoryPiece, Path, int]) -> StagedPiece | None:
    """:func:`stage_piece` of (piece, directory, batch_rows), for a worker process."""
    return stage_piece(*task)


def joined_pieces(pieces: Sequence[StagedPiece]) -> tuple[StagedHistory, HistoryChecked]:
    """The staged history of the file whose pieces (in file order) these are, and what their
    checks found."""
    parts = [part for piece in pieces for part in piece.parts]
    columns = [names for piece in pieces for names in piece.columns]
    rejects = tuple(reject for piece in pieces for reject in piece.rejects)
    held = frozenset(r.account_id for r in rejects if r.account_id)
    checked = HistoryChecked(rejects, held, sum(piece.lines for piece in pieces))
    assert parts, "the first piece stages its first batch, even when empty"
    sends = any(piece.tracks_sent for piece in pieces)
    return StagedHistory(tuple(parts), held, sends, tuple(columns)), checked


def _stage_batches(
    batches: Iterable[tuple[pl.DataFrame, list[HistoryReject]]], directory: Path, prefix: str, *, first: bool
) -> StagedPiece:
    """Each batch's readable lines written to ``directory`` as a Parquet part named
    ``prefix`` and its number, sorted by account id, as soon as it is checked. ``first``:
    the file's first piece, whose first batch is staged even when empty (the workers read the
    columns of the history from it)."""
    parts: list[Path] = []
    columns: list[tuple[str, ...]] = []
    rejects: list[HistoryReject] = []
    lines = 0
    sends = False
    for good, bad in batches:
        rejects.extend(bad)
        lines += good.height + len(bad)
        sends = sends or _sends(good)
        if good.height or (first and not parts):
            part = directory / f"{prefix}{len(parts):06d}.parquet"
            # a batch is in line order: a stable sort by id keeps it within an id. Polars'
            # multithreaded sort path costs twice the single-threaded one even on one thread
            # (a bench batch of 131,072 lines: 42 against 18 ms by id and line), and the
            # workers that stage run with one polars thread each
            # not compressed: the part lives for the run only, and each line is written and
            # read once (zstd cost a fifth of the staging's writing and the workers' reading)
            _emptied(good.sort("account_id", maintain_order=True, multithreaded=False)).write_parquet(
                part, row_group_size=_STAGE_ROWS, compression="uncompressed"
            )
            parts.append(part)
            columns.append(tuple(good.columns))
        del good
    return StagedPiece(tuple(parts), tuple(columns), tuple(rejects), lines, sends)


def _emptied(lines: pl.DataFrame) -> pl.DataFrame:
    """``lines`` with each text column that is empty on every line (an optional column the
    batch does not use: a debt, a phone, a note…) as nulls, which :meth:`HistoryLookup.of`
    reads back as empty text — staged text is never null otherwise. Polars' Parquet writer
    takes ≈ 15 ms for 131,072 empty strings and ≈ 2.6 ms for as many nulls (a third of the
    bench's batch writing, its `date` column)."""
    import polars as pl

    names = [n for n, kind in lines.schema.items() if kind == pl.String and n != "account_id"]
    if not names or lines.is_empty():
        return lines
    used = lines.select((pl.col(n) != "").any() for n in names).row(0)
    empty = [n for n, use in zip(names, used, strict=True) if not use]
    return lines.with_columns(pl.lit(None, pl.String).alias(n) for n in empty) if empty else lines


def _union(columns: Iterable[tuple[str, ...]]) -> list[str]:
    """Every batch's columns, in the order they first appear (the whole file's order)."""
    return list(dict.fromkeys(name for names in columns for name in names))


def _widened(lines: pl.LazyFrame, names: list[str], have: Sequence[str] | None = None) -> pl.LazyFrame:
    """A batch's lines with the columns ``names``: one it lacks is empty text, as the value of
    a key a JSON Lines line lacks is (``have``: its columns, when known without reading)."""
    import polars as pl

    present = set(have if have is not None else lines.collect_schema().names())
    return lines.with_columns(pl.lit("", pl.String).alias(n) for n in names if n not in present).select(names)


def _scan(good: pl.DataFrame, rejects: list[HistoryReject]) -> HistoryScan:

    held = frozenset(r.account_id for r in rejects if r.account_id)
    return HistoryScan(good, tuple(rejects), held, _sends(good))


def _sends(good: pl.DataFrame) -> bool:
    """True when some readable line is a `sent` event."""
    import polars as pl

    word = pl.col("event") if "event" in good.columns else pl.lit("")
    if "outcome" in good.columns:
        word = pl.when(word != "").then(word).otherwise(pl.col("outcome"))
    return good.height > 0 and bool(good.select(word.replace(dict(ev.ALIASES)).eq("sent").any()).item())
