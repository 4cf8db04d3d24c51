"""A plain CSV history checked on columns, a batch of lines at a time.

Most histories are plain CSV — UTF-8, no quotes, one record a line — and polars reads
those as the csv module does: each batch is read as text columns and checked vectorised
(:func:`_check`), and only the lines a check flags go through the row reader
(:func:`~dunning.accounts.history.rows.read_event`), which says what is wrong with them, so
the rejects are the row reader's, line for line. A history that is not plain is read by
the row reader in batches of lines too (:func:`checked_batches` chooses).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from dunning.accounts import events as ev
from dunning.accounts.history.rows import LINE, HistoryReject, read_event, require_columns, row_batches
from dunning.accounts.record import REPLACEMENT, clean_key, text
from dunning.errors import UserError

if TYPE_CHECKING:
    import polars as pl


_AT_RE = (
    r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]|Z)$"
)
_DATE_VEC_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_AMOUNT_VEC_RE = r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
_COUNT_VEC_RE = r"^[1-9][0-9]{0,4}$"
# a value whose first or last character is not printable ASCII: Python's str.strip() and
# polars' may disagree on it, so its line goes through the row reader
_EDGE_RE = r"^[^!-~]|[^!-~]$"
_PRINTABLE = bytes(range(0x21, 0x7F)) + b"\n"  # a batch of these alone has no such edge
_CHECK_BYTES = 1 << 24  # bytes read at a time to tell a plain CSV history
_REPLACEMENT_BYTES = REPLACEMENT.encode()


class NotPlain(Exception):
    """A piece of the history is not plain CSV: the row reader must read the file whole."""


def checked_batches(path: Path, batch_rows: int) -> Iterator[tuple[pl.DataFrame, list[HistoryReject]]]:
    """(readable lines, rejects) of each batch of ``batch_rows`` event lines of the file, in
    file order: checked on columns for a plain CSV history, by the row reader otherwise
    (JSON Lines — which a database, a Parquet dataset or a JSON stdin arrives as — and CSV
    with quotes). The first batch is yielded even when empty."""
    if not path.is_file():
        raise UserError(f"{path}: no such history file", hint="check the --history path")
    try:
        with path.open("rb") as handle:
            names = plain_header(path, handle)
            if names is None:
                handle.seek(0)
                yield from row_batches(path, handle, batch_rows)
            else:
                handle.seek(0)
                header = handle.readline().removeprefix(codecs.BOM_UTF8)
                yield from plain_batches(handle, header, names, batch_rows)
    except OSError as exc:
        raise UserError(f"{path}: cannot read the history file ({exc.strerror})") from None


def plain_header(path: Path, handle: BinaryIO) -> list[str] | None:
    """The cleaned column names of a CSV history that is plain — UTF-8, no quotes, no lone
    CR, no blank line, distinct column names — so that each record is one line and polars
    reads it as the csv module does; None otherwise (the row reader reads it). Checked in
    blocks that end at a line's end (no pattern spans two)."""

    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return None
    first = True
    while True:
        block = handle.read(_CHECK_BYTES)
        if not block:
            if first:  # an empty file
                return None
            break
        block += handle.readline()
        if first:
            block = block.removeprefix(codecs.BOM_UTF8)
            if not block:
                return None
            first = False
        if not plain_block(block):
            return None
    handle.seek(0)
    return plain_names(path, handle.readline().removeprefix(codecs.BOM_UTF8))


def plain_block(block: bytes) -> bool:
    """True when ``block`` — whole lines, starting after a line's end — is plain: UTF-8, no
    quote, no lone CR, no blank line (see :func:`plain_header`). The tests a plain block
    passes in one memchr go first: the others only when they can fail (a CR, non-ASCII)."""
    # a block starts after a line's end: a newline there is a blank line
    if b'"' in block or b"\n\n" in block or block.startswith((b"\n", b"\r")):
        return False
    if b"\r" in block and (block.count(b"\r") != block.count(b"\r\n") or b"\n\r\n" in block):
        return False
    if block.isascii():
        return True
    if _REPLACEMENT_BYTES in block:
        return False
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def plain_names(path: Path, header: bytes, *, read: bool = True) -> list[str] | None:
    """The cleaned column names of a plain history's header line (BOM removed); None when
    they are not distinct, or (``read``) polars would not read them as the csv module does
    (the plan run's parent does not load polars: each staging worker reads them)."""
    names = [clean_key(n) for n in header.removesuffix(b"\n").removesuffix(b"\r").decode().split(",")]
    if len(set(names)) != len(names) or LINE in names:
        return None
    require_columns(path, names)
    if read and read_plain(header, b"").width != len(names):
        return None
    return names


def read_plain(header: bytes, lines: bytes) -> pl.DataFrame:
    """Plain CSV lines as text columns, under the file's header line (its names and width)."""
    import polars as pl

    return pl.read_csv(
        header + lines,
        has_header=True,
        infer_schema=False,
        quote_char=None,
        truncate_ragged_lines=True,
        raise_if_empty=False,
    )


def plain_batches(
    handle: BinaryIO,
    header: bytes,
    names: list[str],
    batch_rows: int,
    number: int = 2,
    lines: int | None = None,
    *,
    checked: bool = False,
) -> Iterator[tuple[pl.DataFrame, list[HistoryReject]]]:
    """Each batch of a plain CSV history's lines checked, from where ``handle`` stands (after
    the header line): a plain file's records are its lines, so a batch's first line number
    is known (``number``: the first's). ``lines``: at most so many (None: to the end).
    The first batch is yielded even when empty (its columns are the file's). ``checked``:
    each batch's bytes are tested plain first (a piece of a file not scanned whole), and
    :class:`NotPlain` raised for one that is not."""
    import polars as pl

    first = True
    guess = 64  # bytes a line, to size a batch's first read (then the last batch's, rounded up)
    while lines is None or lines > 0 or first:
        want = batch_rows if lines is None else min(batch_rows, lines)
        batch = _read_lines(handle, want, guess)
        guess = len(batch) // max(want, 1) + 1
        if not batch and not first:
            return
        if checked and not plain_block(batch):
            raise NotPlain
        first = False
        frame = read_plain(header, batch)
        # only printable ASCII between the newlines: no value has an edge to strip or to send
        # to the row reader (most histories; 2M lines staged: 3.3 → 2.9 s of CPU without the two)
        printable = not batch.translate(None, _PRINTABLE)
        del batch
        frame.columns = names
        height = frame.height
        lines_now = frame.with_columns(pl.int_range(number, number + height, dtype=pl.Int64).alias(LINE))
        found = _check(lines_now, names, printable=printable)
        del frame
        yield found
        del found
        number += height
        if lines is not None:
            lines -= height
        if height < want:
            return


def _read_lines(handle: BinaryIO, want: int, guess: int) -> bytes:
    """The next ``want`` lines of ``handle`` (fewer at its end), newlines kept, as one block,
    ``handle`` left after the last: read in blocks of about ``guess`` bytes a line and cut
    after the want-th newline. Iterating the file a line at a time made a bytes object per
    line before joining them (2M lines: ≈ 0.35 s of the staging's CPU). A last line without
    a newline is read with the lines before it, as iterating gives it."""
    blocks: list[bytes] = []
    found = 0
    while found < want:
        block = handle.read(max((want - found) * guess, 1 << 16))
        if not block:
            break
        count = block.count(b"\n")
        if found + count < want:
            blocks.append(block)
            found += count
            continue
        # the end of the (want - found)-th newline: count - (want - found) newlines come after it
        end = len(block)
        for _ in range(count - (want - found) + 1):
            end = block.rindex(b"\n", 0, end)
        handle.seek(end + 1 - len(block), io.SEEK_CUR)
        blocks.append(block[: end + 1])
        break
    return b"".join(blocks)


def _check(
    frame: pl.DataFrame, names: list[str], *, printable: bool = False
) -> tuple[pl.DataFrame, list[HistoryReject]]:
    """A batch of lines as text columns (and :data:`LINE`) checked vectorised: its readable
    lines (stripped values, file order) and its rejects. A line a check flags goes through
    the row reader, which says what is wrong with it (or reads it after all).

    One lazy pass: the values are stripped once, into the columns every check reads (a
    check on an expression of them strips again, and did so a dozen times per column), and
    the flagged lines keep these stripped values for the row reader, whose own strip of all
    whitespace gives what it gives on the raw value. ``printable``: the batch's bytes are
    printable ASCII and newlines alone, so no value has a space, a tab or another character
    at an edge: neither the strip nor the edge test can change or flag one, and both are
    left out."""
    import polars as pl

    value = {n: pl.col(n) for n in names}
    blank = pl.lit("")
    word_of = (
        pl.when(value["event"] != "").then(value["event"]).otherwise(value.get("outcome", blank))
        if "event" in value
        else value["outcome"]
    )
    canon = word_of.replace(dict(ev.ALIASES))
    given = value.get("channel", blank)
    channel = pl.when(given != "").then(given).otherwise(canon.replace_strict(dict(ev.IMPLIED_CHANNEL), default=""))

    def absent_or(column: str, check: pl.Expr) -> pl.Expr:
        return (value[column] == "") | check if column in value else pl.lit(True)

    def real_date(expr: pl.Expr) -> pl.Expr:
        # a value of the form YYYY-MM-DD that is a day of the calendar (not year 0)
        return (expr.str.slice(0, 4) != "0000") & expr.str.slice(0, 10).str.to_date(
            "%Y-%m-%d", strict=False
        ).is_not_null()

    def valid_date(expr: pl.Expr) -> pl.Expr:
        return expr.str.contains(_DATE_VEC_RE) & real_date(expr)

    checks = [] if printable else [~pl.any_horizontal(value[n].str.contains(_EDGE_RE) for n in names)]
    checks += [
        value["account_id"] != "",
        # _AT_RE holds the date's form: only whether it is a day of the calendar is left
        value["at"].str.contains(_AT_RE) & real_date(value["at"]),
        word_of.is_in(sorted(ev.EVENTS) + sorted(ev.ALIASES)),
        channel.is_in(list(ev.HISTORY_CHANNELS)) | ((channel == "") & ~canon.is_in(sorted(ev.NEEDS_CHANNEL))),
        absent_or("amount", value.get("amount", blank).str.contains(_AMOUNT_VEC_RE)),
        absent_or("date", valid_date(value.get("date", blank))),
        absent_or("instalments", value.get("instalments", blank).str.contains(_COUNT_VEC_RE)),
        absent_or("interval_days", value.get("interval_days", blank).str.contains(_COUNT_VEC_RE)),
    ]
    for word, needed in ev.NEEDS.items():
        present = [value[c] != "" for c in needed if c in value]
        has_all = pl.all_horizontal(present) if len(present) == len(needed) else pl.lit(False)
        checks.append((canon != word) | has_all)
    flagged = (
        frame.lazy()
        .with_columns(pl.col(names).fill_null("") if printable else pl.col(names).fill_null("").str.strip_chars(" \t"))
        .with_columns(pl.all_horizontal(checks).alias("\x00good"))
        .collect()
    )
    readable_now = flagged["\x00good"]
    good = flagged.filter(readable_now).select(LINE, *names)
    rest = flagged.filter(~readable_now).select(LINE, *names)
    del flagged, readable_now
    rejects: list[HistoryReject] = []
    readable: list[dict[str, object]] = []
    for number, *values in rest.iter_rows():
        row = {n: text(v).strip() for n, v in zip(names, values, strict=True)}
        found = read_event(row, number)
        if isinstance(found, HistoryReject):
            rejects.append(found)
        else:
            readable.append({LINE: number, **row})
    if readable:
        good = pl.concat([good, pl.DataFrame(readable, schema=good.schema)]).sort(LINE)
    return good, rejects
