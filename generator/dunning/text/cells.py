"""Text that other programs open safely: spreadsheet cells that never run, account text without
control characters.

Every CSV dunning writes goes through :func:`csv_writer` (or :func:`safe_cell` for a cell built
by hand), and every account-supplied string passes :func:`clean_text` before it reaches an SMS,
a call script, a CSV or a letter. One mechanism each, used everywhere (docs/security.md).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any, Protocol

# OWASP "CSV Injection": a cell that begins with one of these is read as a formula by Excel,
# LibreOffice Calc or Google Sheets (tab and CR because some importers strip them first).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Cells that begin with "+" or "-" but can only ever be a number: an E.164 phone number
# (+8613812345678) and a plain decimal (-12.50). A spreadsheet evaluates them to the same
# number and nothing else, so they stay as written and remain readable and sortable.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?|\+[1-9][0-9]{6,14}")  # ASCII digits only

# Control characters (C0 but tab/newline handled below, DEL, C1 including U+0085 NEL), the
# Unicode line and paragraph separators, and every bidirectional formatting character
# (embeddings, overrides, isolates, marks) that can make "\u202egnp.exe" read as "exe.png".
CONTROL_PATTERN = (
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
LINE_BREAK_PATTERN = "[\t\n\r]+"
# the patterns are plain character classes, read alike by Python's re and polars' (Rust)
# regex: the columnar reader cleans whole columns with them (dunning.accounts.read)
_CONTROLS = re.compile(CONTROL_PATTERN)
_LINE_BREAKS = re.compile(LINE_BREAK_PATTERN)


def safe_cell(value: str) -> str:
    """``value`` as a spreadsheet cell that cannot run: a leading apostrophe when it would start
    a formula. Phone numbers in E.164 form and plain decimals are kept as they are."""
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def clean_text(value: str) -> str:
    """Account-supplied text without control or bidirectional-override characters; tabs and line
    breaks become one space (a name or an address line is one line wherever it is printed)."""
    if value.isprintable() and "\ufeff" not in value:
        return value
    return _CONTROLS.sub("", _LINE_BREAKS.sub(" ", value))


class _RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through :func:`safe_cell`."""

    __slots__ = ("_writer",)

    def __init__(self, writer: _RowWriter) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row, each cell neutralised."""
        return self._writer.writerow([safe_cell(cell) if isinstance(cell, str) else cell for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write every row, each cell neutralised."""
        for row in rows:
            self.writerow(row)


def csv_writer(handle: IO[str], **options: Any) -> SafeCsvWriter:
    """A CSV writer over ``handle`` (the ``csv.writer`` options apply) that neutralises formulas."""
    return SafeCsvWriter(csv.writer(handle, **options))


def _quoted_by_csv() -> tuple[str, ...]:
    # the characters that make csv.writer quote a cell (QUOTE_MINIMAL, the excel dialect, "\n"
    # line ends): the delimiter, the quote, the line terminator's, and on the Pythons that
    # quote them whatever the terminator (3.12+? asked, not assumed) the two line breaks
    quoted = [",", '"', "\n"]
    probe = io.StringIO()
    csv.writer(probe, lineterminator="\n").writerow(["a\rb"])
    if probe.getvalue().startswith('"'):
        quoted.append("\r")
    return tuple(quoted)


_QUOTED_BY_CSV = _quoted_by_csv()
_NEEDS_QUOTES = re.compile("[" + re.escape("".join(_QUOTED_BY_CSV)) + "]")


def csv_cell(cell: str) -> str:
    """One text cell as :func:`csv_lines` writes it in a row of several cells."""
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        cell = "'" + cell
    if _NEEDS_QUOTES.search(cell):
        cell = '"' + cell.replace('"', '""') + '"'
    return cell


def csv_lines(rows: Iterable[Sequence[str]]) -> str:
    """What ``csv_writer(handle, lineterminator="\n").writerows(rows)`` writes, for rows of
    strings (a row with another value is written by that writer): each cell neutralised, quoted
    only when it holds a character :data:`_QUOTED_BY_CSV` names (quotes doubled), a row of one
    empty cell written ``""``. The csv module copies every character twice, one at a time:
    ≈ 7 µs for a 450-character call script, the dialer list's largest cost; this asks a
    regular expression (tested equal to the writer on random cells: tests/text)."""
    out: list[str] = []
    for row in rows:
        cells = []
        for cell in row:
            if type(cell) is not str:
                buffer = io.StringIO()
                csv_writer(buffer, lineterminator="\n").writerow(row)
                cells = [buffer.getvalue()[:-1]]
                break
            cells.append(csv_cell(cell))
        else:
            if cells == [""]:
                cells = ['""']
        out.append(",".join(cells))
        out.append("\n")
    return "".join(out)
