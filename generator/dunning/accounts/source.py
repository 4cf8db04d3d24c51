"""The account snapshot as a file: its format, its columns, and its records in pieces.

This is what the process that *reads* a snapshot needs (the plan run's parent): detect the
format, check the file is readable and has the required columns, and cut a CSV file into
pieces of whole records for the workers to parse. It does not import polars at module
level: the parent of a planning run stays small (polars and the validation on columns live
in :mod:`dunning.accounts.read`, which the workers import).

Line numbers: CSV — the record number + 1 (the header is line 1; equal to the physical
line unless a quoted field spans lines); JSON Lines — the physical line; Parquet — the
1-based row number.

A file that cannot be read as a snapshot is a :class:`UserError` (exit 2) naming the file,
the line and what is wrong, never the content of a record: compressed or UTF-16 files,
CR-only line ends, binary data, a header or record longer than :data:`MAX_RECORD_BYTES`,
a quote that is never closed, a header name that is not UTF-8 or appears twice, nested
Parquet columns. Blank CSV records (no line content, or only commas) are skipped: they are
not accounts. A record with more fields than the header keeps the first extra one in the
:data:`~dunning.accounts.record.RAGGED` column, which rejects it (R016).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

import orjson

from dunning.accounts.model import REQUIRED_COLUMNS
from dunning.accounts.record import BOM, RAGGED, REPLACEMENT, RowReject, clean_key, text
from dunning.errors import UserError

if TYPE_CHECKING:
    import polars as pl

FORMATS = ("csv", "jsonl", "parquet")
LINE = "__line"
CHUNK_ROWS = 10_000  # rows per chunk: ~190 MiB per planning worker; smaller chunks cost polars more per row
# how much smaller the pieces of a CSV file's tail are (AccountFile.csv_pieces)
TAIL_SPLIT = 4
# The longest header, CSV record or JSON Lines line read (docs/plan.md): real records are a
# few hundred bytes; without a cap a file with no line end is read whole before failing.
MAX_RECORD_BYTES = 1 << 20
_MIB = MAX_RECORD_BYTES >> 20
# What the first bytes of a file that is no snapshot say it is (what to do instead).
_MAGIC = (
    (b"\x1f\x8b", "is gzip-compressed", "decompress it first (gunzip -k FILE) and pass the .csv or .jsonl"),
    (b"PK\x03\x04", "is a ZIP archive (an Excel workbook?)", "export the sheet as 'CSV UTF-8 (comma delimited)'"),
    (b"\xff\xfe", "is UTF-16 text (Excel's 'Unicode Text' export)", "save it as 'CSV UTF-8'; dunning reads UTF-8 only"),
    (b"\xfe\xff", "is UTF-16 text (big-endian)", "save it as UTF-8; dunning reads UTF-8 only"),
    (b"PAR1", "is a Parquet file", "name it .parquet or pass --accounts-format parquet"),
)


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
                start = fh.read(1 << 16)
        except OSError as exc:
            raise UserError(f"{path}: cannot read the accounts file ({exc.strerror})") from None
        if self.format != "parquet":
            for magic, what, hint in _MAGIC:
                if start.startswith(magic):
                    raise UserError(f"{path}: the accounts file {what}, not {self.format}", hint=hint)
            if _looks_binary(start):
                raise UserError(
                    f"{path}: the accounts file is binary data, not {self.format} text",
                    hint="dunning reads UTF-8 text (CSV or JSON Lines) or Parquet",
                )
        self.columns = self._columns()
        self._check_header()
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

    def _check_header(self) -> None:
        """Column names that make the file unusable: one with bytes that are not UTF-8 (every
        row would be rejected), one that appears twice (which one is meant?), nested values."""
        seen: dict[str, int] = {}
        for number, name in enumerate(self.columns, start=1):
            if REPLACEMENT in name:
                raise UserError(
                    f"{self.path}: line 1, column {number}: the header name {name!r} is not valid UTF-8",
                    hint="rename the column or save the file as UTF-8",
                )
            if name in seen:
                raise UserError(
                    f"{self.path}: line 1: column {name!r} appears twice in the header"
                    f" (columns {seen[name]} and {number})",
                    hint="keep one of them: dunning cannot tell which one is meant",
                )
            seen[name] = number
        if self.format == "parquet":
            for field in _parquet_file(self.path).schema_arrow:
                if field.type.num_fields > 0:  # list, struct, map: no flat value to check
                    raise UserError(
                        f"{self.path}: column {field.name!r} holds nested values ({field.type})",
                        hint="every snapshot column holds one value per row (text, number, date or flag)",
                    )

    def _csv_header(self) -> list[str]:
        """The CSV header's column names (the first record, quotes honoured, lossy UTF-8),
        read at most :data:`MAX_RECORD_BYTES` far."""
        with self.path.open("rb") as fh:
            data = fh.read(MAX_RECORD_BYTES + 1)
        end = _record_end(data, 0)
        record = data[:end] if end >= 0 else data[:MAX_RECORD_BYTES]
        if b"\r" in record.rstrip(b"\r"):  # before the length: a CR-only file has no line end
            raise UserError(
                f"{self.path}: line 1: the lines end in CR alone (old Mac line ends)",
                hint="convert the line ends to LF or CRLF (e.g. tr '\\r' '\\n')",
            )
        if end < 0 and len(data) > MAX_RECORD_BYTES:
            raise UserError(
                f"{self.path}: line 1: no line end in the first {_MIB} MiB",
                hint=f"is it a CSV file? a header or record is at most {_MIB} MiB (docs/plan.md)",
            )
        try:
            return next(csv.reader(io.StringIO(record.decode("utf-8", errors="replace"))), [])
        except csv.Error:
            raise UserError(f"{self.path}: line 1: the header is not valid CSV") from None

    def _jsonl_columns(self) -> list[str]:
        """Columns of a JSON Lines file: the union of keys (in first-seen order) of its objects."""
        seen: dict[str, None] = {}
        with self.path.open("rb") as fh:
            for _, raw in _jsonl_lines(self.path, fh):
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
                offset += piece.records
        elif self.format == "parquet":
            offset = 1
            for batch in _parquet_file(self.path).iter_batches(batch_size=self.chunk_rows):
                frame = pl.from_arrow(_binary_as_text(batch))
                assert isinstance(frame, pl.DataFrame)
                frame = frame.with_row_index(LINE, offset=offset)
                offset += frame.height
                yield _texts(frame), []
        else:
            yield from self._jsonl_frames()

    def csv_pieces(self, tail: int = 0) -> Iterator[CsvPiece]:
        """The CSV file cut into pieces of whole records, as bytes (no parsing here: the
        workers parse; the reading process only holds one piece).

        A cut is made after a newline outside quotes: CSV quoting toggles on every ``"``
        (an escaped ``""`` toggles twice), so a newline with an even number of quotes
        before it ends a record.

        ``tail``: the file's last ``tail`` pieces' worth of bytes is cut into pieces
        :data:`TAIL_SPLIT` times smaller (never below 64 KiB), so that the workers (one piece
        each, ``tail`` of them) finish nearly together: a worker that gets no more pieces
        leaves its core idle while the others finish theirs.
        """
        budget = max(self.chunk_rows * 256, 1 << 16)
        small = max(budget // TAIL_SPLIT, 1 << 16)
        path = self.path
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            header = b""
            carry = b""
            at = 0  # where `data` starts in the file
            line = 2  # the physical line `data` starts on
            while True:
                block = fh.read(small if size - fh.tell() <= tail * budget else budget)
                data = carry + block
                if not header:
                    cut = _record_end(data, 0)
                    if cut < 0 and block and len(data) <= MAX_RECORD_BYTES:
                        carry = data
                        continue
                    header, data = (data[: cut + 1], data[cut + 1 :]) if cut >= 0 else (data, b"")
                    at = len(header)
                    line = 1 + header.count(b"\n")
                if not block:
                    if data.strip():
                        if data.count(b'"') % 2:  # a quote opened and never closed
                            cut = _record_end(data, len(data) - 1, backwards=True)
                            if cut >= 0:
                                yield CsvPiece(header, data[: cut + 1], path, at, cut + 1, line)
                                line += data.count(b"\n", 0, cut + 1)
                            raise UserError(
                                f"{path}: line {line}: a quoted field opens in this record and is never closed",
                                hint='close the quote; a quote inside a field is written twice ("")',
                            )
                        body = data if data.endswith(b"\n") else data + b"\n"
                        yield CsvPiece(header, body, path, at, len(data), line)
                    return
                cut = _record_end(data, len(data) - 1, backwards=True)
                if cut < 0:
                    if len(data) > max(budget, MAX_RECORD_BYTES):
                        raise UserError(
                            f"{path}: line {line}: a record runs past {_MIB} MiB without ending",
                            hint="a quote that is never closed, or a file without line ends; "
                            f"a record is at most {_MIB} MiB (docs/plan.md)",
                        )
                    carry = data
                    continue
                yield CsvPiece(header, data[: cut + 1], path, at, cut + 1, line)
                line += data.count(b"\n", 0, cut + 1)
                carry = data[cut + 1 :]
                at += cut + 1

    def _jsonl_frames(self) -> Iterator[tuple[pl.DataFrame, list[RowReject]]]:
        from dunning.accounts.read import _jsonl_frame

        rows: list[dict[str, str]] = []
        rejects: list[RowReject] = []
        with self.path.open("rb") as fh:
            for number, raw in _jsonl_lines(self.path, fh):
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


def _looks_binary(start: bytes) -> bool:
    """Whether the first bytes of a file are binary data rather than text: more than a tenth
    of them undecodable or control characters. A few stray ones in a text file are its
    records' business (removed from free text, rejected in checked columns)."""
    decoded = start.decode("utf-8", errors="replace")
    bad = decoded.count(REPLACEMENT) + sum(decoded.count(c) for c in _BINARY_CONTROLS)
    return bad * 10 > len(decoded)


_BINARY_CONTROLS = tuple(chr(c) for c in range(32) if chr(c) not in "\t\n\r")


def _jsonl_lines(path: Path, fh: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """The numbered lines of a JSON Lines file, a UTF-8 byte-order mark before the first one
    dropped, each at most :data:`MAX_RECORD_BYTES` long (a longer one is a UserError)."""
    number = 0
    while raw := fh.readline(MAX_RECORD_BYTES + 1):
        number += 1
        if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
            raise UserError(
                f"{path}: line {number}: longer than {_MIB} MiB",
                hint=f"one account per line; a line is at most {_MIB} MiB (docs/plan.md)",
            )
        if number == 1 and raw.startswith(_BOM_UTF8):
            raw = raw[len(_BOM_UTF8) :]
        yield number, raw


_BOM_UTF8 = BOM.encode()


def _binary_as_text(batch: Any) -> Any:
    """A Parquet batch whose text is valid UTF-8: binary columns (``BYTE_ARRAY`` without a
    string annotation), and string columns a writer filled with bytes that are not UTF-8
    (pyarrow does not check on reading; polars panics on them), decoded as UTF-8 with
    U+FFFD for bad bytes, so their row is rejected (R012) as a CSV row with bad bytes is.
    Rare, so decoded in Python; a valid string column costs one vectorised check."""
    import pyarrow as pa

    for index, field in enumerate(batch.schema):
        column = batch.column(index)
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            try:
                column.validate(full=True)
                continue
            except pa.ArrowInvalid:
                column = column.view(pa.binary() if pa.types.is_string(field.type) else pa.large_binary())
        elif not (pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type)):
            continue
        values = [None if v is None else v.decode("utf-8", errors="replace") for v in column.to_pylist()]
        batch = batch.set_column(index, field.name, pa.array(values, pa.string()))
    return batch


def _parquet_file(path: Path) -> Any:
    """A pyarrow ParquetFile. pyarrow is imported here, not at the top: it is ~50 MiB of
    resident memory in every planning process, and only Parquet input needs it."""
    from dunning.extras import require

    require("parquet")
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
    line: int = 2  # the physical line the body starts on (for messages about the piece)
    records: int = 0  # records parsed, blank ones included (set by :meth:`read`)

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
        # one column more than the header names: a record with more fields fills it (R016)
        header = self.header.rstrip(b"\r\n") + b"," + RAGGED.encode() + b"\n"
        data = header + body
        # strict UTF-8 first (it is also the faster parse); bad bytes make polars refuse, and
        # the lossy parse turns them into U+FFFD, which the screening rejects per row (R012)
        # (its first byte, 0xEF, is looked for first: one memchr, and rare outside CJK punctuation)
        clean = _REPLACEMENT_UTF8 not in data if _REPLACEMENT_UTF8[:1] in data else True
        try:
            try:
                frame = _read_csv(data, "utf8")
            except pl.exceptions.ComputeError:
                frame, clean = _read_csv(data, "utf8-lossy"), False
        except pl.exceptions.PolarsError:
            # polars' message quotes the records: never printed (they hold personal data)
            last = self.line + body.count(b"\n") - 1
            raise UserError(
                f"{self.path}: lines {self.line}-{last}: not valid CSV (a stray quote inside a field?)",
                hint='quote a field that holds a quote, and write the quote twice ("")',
            ) from None
        self.records = frame.height
        frame = _texts(frame.with_row_index(LINE, offset=2))
        # Blank records (an empty line, or the ",,,," Excel writes for an empty row) are no
        # accounts: dropped. Only a record without an account id can be one, so that column
        # is looked at first (real files rarely have such a record).
        if (frame["account_id"].str.strip_chars() == "").any():
            data_columns = [c for c in frame.columns if c != LINE]
            frame = frame.filter(pl.any_horizontal(pl.col(c).str.strip_chars() != "" for c in data_columns))
        return frame, clean


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
