"""Text that other programs open safely: spreadsheet cells that never run, account text without
control characters.

Every CSV dunning writes goes through :func:`csv_writer` (or :func:`safe_cell` for a cell built
by hand), and every account-supplied string passes :func:`clean_text` before it reaches an SMS,
a call script, a CSV or a letter. One mechanism each, used everywhere (docs/security.md).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
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
