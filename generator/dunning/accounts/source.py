"""The account snapshot as a file: its format, its columns, and its records in pieces.

This is what the process that *reads* a snapshot needs (the plan run's parent): detect the
format, check the file is readable and has the required columns, and cut a CSV file into
pieces of whole records for the workers to parse. It does not import polars at module
level: the parent of a planning run stays small (polars and the validation on columns live
in :mod:`dunning.accounts.read`, which the workers import).

Line numbers: CSV — the record number + 1 (the header is line 1; equal to the physical
line unless a quoted field spans lines); JSON Lines — the physical line; Parquet — the
1-based row number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson

from dunning.accounts.model import REQUIRED_COLUMNS
from dunning.accounts.record import RowReject, clean_key, text
from dunning.errors import UserError

if TYPE_CHECKING:
    import polars as pl

FORMATS = ("csv", "jsonl", "parquet")
LINE = "__line"
CHUNK_ROWS = 10_000  # rows per chunk: ~190 MiB per planning worker; smaller chunks cost polars more per row


def detect_format(path: Path, fmt: str | None) -> str:
    """The input format: ``fmt`` when given, else from the extension."""
    if fmt:
        if fmt not in FORMATS:
            raise UserError(f"unknown accounts format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower()
    found = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}.get(suffix)
    if found is None:
        raise UserError(
            f"{path}: cannot tell the format from the extension {suffix or '(none)'}",
            hint="name it .csv, .jsonl or .parquet, or pass --accounts-format",
        )
    return found


class AccountFile:
    """An account snapshot on disk, checked up front (readable, required columns present)."""

    def __init__(self, path: Path, fmt: str | None = None, chunk_rows: int = CHUNK_ROWS) -> None:
        self.path = path
        self.format = detect_format(path, fmt)
        self.chunk_rows = chunk_rows
        if not path.is_file():
            raise UserError(f"{path}: no such accounts file", hint="check the --accounts path")
        try:
            with path.open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise UserError(f"{path}: cannot read the accounts file ({exc.strerror})") from None
        self.columns = self._columns()
        missing = [c for c in REQUIRED_COLUMNS if c not in self.columns]
        if missing:
            raise UserError(
                f"{path}: required column(s) missing: {', '.join(missing)}",
                hint=f"the account snapshot needs {', '.join(REQUIRED_COLUMNS)} (see the account contract)",
            )

    def _columns(self) -> tuple[str, ...]:
        try:
            if self.format == "csv":
                names = self._csv_header()
            elif self.format == "parquet":
                names = list(_parquet_file(self.path).schema_arrow.names)
            else:
                names = self._jsonl_columns()
        except (OSError, ValueError) as exc:  # pyarrow's errors are ValueErrors too
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UserError(f"{self.path}: cannot read it as {self.format}: {first}") from None
        return tuple(clean_key(n) for n in names)

    def _csv_header(self) -> list[str]:
        """The CSV header's column names (the first record, quotes honoured, lossy UTF-8)."""
        with self.path.open("rb") as fh:
            data = b""
            while (block := fh.read(1 << 16)) or data:
                data += block
                end = _record_end(data, 0)
                if end >= 0 or not block:
                    record = data[: end + 1] if end >= 0 else data
                    return next(csv.reader(io.StringIO(record.decode("utf-8", errors="replace"))), [])
        return []

    def _jsonl_columns(self) -> list[str]:
        """Columns of a JSON Lines file: the union of keys (in first-seen order) of its objects."""
        seen: dict[str, None] = {}
        with self.path.open("rb") as fh:
            for raw in fh:
                try:
                    obj = orjson.loads(raw) if raw.strip() else None
                except orjson.JSONDecodeError:
                    continue
                if isinstance(obj, dict):
                    seen.update(dict.fromkeys(obj))
        if not seen:
            raise ValueError("no JSON objects in the file")
        return list(seen)

    def frames(self) -> Iterator[tuple[pl.DataFrame, list[RowReject]]]:
        """Raw chunks: text columns (cleaned names) plus ``__line``, and rows already rejected
        while decoding (JSON Lines lines that are not objects)."""
        import polars as pl

        from dunning.accounts.read import _texts

        if self.format == "csv":
            offset = 0
            for piece in self.csv_pieces():
                text_frame = piece.frame()
                yield text_frame.with_columns(pl.col(LINE) + offset), []
                offset += text_frame.height
        elif self.format == "parquet":
            offset = 1
            for batch in _parquet_file(self.path).iter_batches(batch_size=self.chunk_rows):
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                frame = frame.with_row_index(LINE, offset=offset)
                offset += frame.height
                yield _texts(frame), []
        else:
            yield from self._jsonl_frames()

    def csv_pieces(self) -> Iterator[CsvPiece]:
        """The CSV file cut into pieces of whole records, as bytes (no parsing here: the
        workers parse; the reading process only holds one piece).

        A cut is made after a newline outside quotes: CSV quoting toggles on every ``"``
        (an escaped ``""`` toggles twice), so a newline with an even number of quotes
        before it ends a record.
        """
        budget = max(self.chunk_rows * 256, 1 << 16)
        path = self.path
        with path.open("rb") as fh:
            header = b""
            carry = b""
            at = 0  # where `data` starts in the file
            while True:
                block = fh.read(budget)
                data = carry + block
                if not header:
                    cut = _record_end(data, 0)
                    if cut < 0 and block:
                        carry = data
                        continue
                    header, data = (data[: cut + 1], data[cut + 1 :]) if cut >= 0 else (data, b"")
                    at = len(header)
                if not block:
                    if data.strip():
                        body = data if data.endswith(b"\n") else data + b"\n"
                        yield CsvPiece(header, body, path, at, len(data))
                    return
                cut = _record_end(data, len(data) - 1, backwards=True)
                if cut < 0:
                    carry = data
                    continue
                yield CsvPiece(header, data[: cut + 1], path, at, cut + 1)
                carry = data[cut + 1 :]
                at += cut + 1

    def _jsonl_frames(self) -> Iterator[tuple[pl.DataFrame, list[RowReject]]]:
        from dunning.accounts.read import _jsonl_frame

        rows: list[dict[str, str]] = []
        rejects: list[RowReject] = []
        with self.path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                decoded = raw.decode("utf-8", errors="replace")
                try:
                    obj = orjson.loads(decoded)
                except orjson.JSONDecodeError:
                    obj = None
                if not isinstance(obj, dict):
                    rejects.append(RowReject(number, "", "R013", "the line is not a JSON object"))
                    continue
                row = {clean_key(k): text(v) for k, v in obj.items()}
                row[LINE] = str(number)
                rows.append(row)
                if len(rows) >= self.chunk_rows:
                    yield _jsonl_frame(rows, self.columns), rejects
                    rows, rejects = [], []
        if rows or rejects:
            yield _jsonl_frame(rows, self.columns), rejects


def _parquet_file(path: Path) -> Any:
    """A pyarrow ParquetFile. pyarrow is imported here, not at the top: it is ~50 MiB of
    resident memory in every planning process, and only Parquet input needs it."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path)


@dataclass
class CsvPiece:
    """Whole CSV records as bytes, with the header; lines are numbered from the piece's start."""

    header: bytes
    body: bytes
    path: Path | None = None  # where the body lies in the file (``size`` bytes from ``start``)
    start: int = 0
    size: int = 0

    def located(self) -> CsvPiece:
        """The piece without its body, which the worker reads from the file itself: a million
        accounts are 200 MB that would otherwise be pickled through a pipe to the workers."""
        return replace(self, body=b"")

    def frame(self) -> pl.DataFrame:
        """The records as text columns; ``__line`` counts from 2 (add the records before)."""
        return self.read()[0]

    def read(self) -> tuple[pl.DataFrame, bool]:
        """The records as text columns, and whether no cell can hold U+FFFD (the bytes are
        valid UTF-8 without one), which spares the screening its per-cell search."""
        import polars as pl

        from dunning.accounts.read import _texts

        body = self.body
        if not body and self.path is not None and self.size:
            with self.path.open("rb") as fh:
                fh.seek(self.start)
                body = fh.read(self.size)
            if len(body) != self.size:
                raise UserError(
                    f"{self.path}: the file changed while it was being planned",
                    hint="plan a snapshot that nothing writes to during the run",
                )
            if not body.endswith(b"\n"):
                body += b"\n"
        data = self.header + body
        # strict UTF-8 first (it is also the faster parse); bad bytes make polars refuse, and
        # the lossy parse turns them into U+FFFD, which the screening rejects per row (R012)
        # (its first byte, 0xEF, is looked for first: one memchr, and rare outside CJK punctuation)
        clean = _REPLACEMENT_UTF8 not in data if _REPLACEMENT_UTF8[:1] in data else True
        try:
            frame = _read_csv(data, "utf8")
        except pl.exceptions.ComputeError:
            frame, clean = _read_csv(data, "utf8-lossy"), False
        return _texts(frame.with_row_index(LINE, offset=2)), clean


_REPLACEMENT_UTF8 = "\ufffd".encode()


def _read_csv(data: bytes, encoding: Literal["utf8", "utf8-lossy"]) -> pl.DataFrame:
    import polars as pl

    return pl.read_csv(io.BytesIO(data), infer_schema=False, encoding=encoding, truncate_ragged_lines=True)


def _record_end(data: bytes, start: int, *, backwards: bool = False) -> int:
    """Index of a newline that ends a record (even quote count before it), or -1; linear."""
    if backwards:
        at = data.rfind(b"\n", 0, start + 1)
        quotes = data.count(b'"', 0, at) if at >= 0 else 0
        while at >= 0:
            if quotes % 2 == 0:
                return at
            before = data.rfind(b"\n", 0, at)
            quotes -= data.count(b'"', before + 1, at)
            at = before
        return -1
    at = data.find(b"\n", start)
    quotes = data.count(b'"', 0, at) if at >= 0 else 0
    while at >= 0:
        if quotes % 2 == 0:
            return at
        after = data.find(b"\n", at + 1)
        if after >= 0:
            quotes += data.count(b'"', at, after)
        at = after
    return -1
