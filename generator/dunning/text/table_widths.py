"""A letter table's declared column widths: which tables print as lines of fixed boxes.

A table whose template declares one ``<col style="width: 15mm">`` per column (mm, cm, in, pt,
or % of the text width), together fitting the narrowest text width (A4: 170 mm), is set
without Typst's table: each row is a line of one paragraph, each cell a box of its column's
width (``dunning.render.markup``). Any other declaration (not exactly a width, a ``span``, a
count that differs from the table's columns, widths wider than the text) leaves a table with
``auto`` columns, sized to its content — ≈ 1 ms of CPU a letter more to lay out (a 3-column
payment table: ≈ 1.7 ms with auto columns, ≈ 0.75 ms as boxes; docs/performance.md, "Tables as
lines of boxes" in the entry "Print workers from a fork server, payment tables as lines of
boxes"). Here, below the stages, because render prints by it and validate (T015)
tells a policy owner which of their tables miss it: one reading of a width for both.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_COL_WIDTH = re.compile(r"[ \t]*width[ \t]*:[ \t]*([0-9]{1,3}(?:\.[0-9]{1,2})?)(mm|cm|in|pt|%)[ \t]*;?[ \t]*")
_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72}
TEXT_WIDTH_MM = 170.0  # A4 less the layout's 20 mm margins; US Letter's text is wider (175.9 mm)


def col_width(attrs: list[tuple[str, str | None]]) -> str | None:
    """A ``<col>``'s width as a Typst length or ratio; None when it declares anything else."""
    if len(attrs) != 1 or attrs[0][0] != "style" or attrs[0][1] is None:
        return None
    match = _COL_WIDTH.fullmatch(attrs[0][1])
    return None if match is None else match[1] + match[2]


def width_mm(width: str) -> float:
    """A width :func:`col_width` accepted, in millimetres of the A4 text width."""
    unit = width[-1] if width.endswith("%") else width[-2:]
    number = float(width[: -len(unit)])
    return number * TEXT_WIDTH_MM / 100 if unit == "%" else number * _MM[unit]


def fixed_widths(widths: list[str | None], count: int) -> list[str] | None:
    """A table's declared column widths when they are one per column and fit the page, else
    None (its columns are then sized to their content)."""
    if len(widths) != count or None in widths:
        return None
    fixed = [width for width in widths if width is not None]
    return None if sum(width_mm(width) for width in fixed) > TEXT_WIDTH_MM else fixed


class AutoTable:
    """A table that prints with ``auto`` columns, as :func:`auto_tables` reports it."""

    __slots__ = ("columns", "number", "widths")

    def __init__(self, number: int, columns: int, widths: list[str | None]) -> None:
        self.number = number  # the body's tables counted from 0 in the order they start
        self.columns = columns  # its widest row's cells
        self.widths = widths  # its <col>s' widths, None where a <col> declares something else

    def why(self) -> str:
        """Why its widths are not fixed, in a policy owner's words."""
        declared = [width for width in self.widths if width is not None]
        if not self.widths:
            return "declares no column widths"
        if len(self.widths) != self.columns:
            return f"declares {len(self.widths)} <col> for its {self.columns} columns"
        if len(declared) != len(self.widths):
            return "has a <col> whose style is not exactly one width"
        total = sum(width_mm(width) for width in declared)
        return f"declares widths of {total:.1f} mm, wider than the {TEXT_WIDTH_MM:.0f} mm text"


class _Tables(HTMLParser):
    # what dunning.render.markup decides for each table, without writing its markup: the <col>s
    # and the cells of every row, a table closed where markup's translation closes it (its end
    # tag, an enclosing element's end tag, the body's end); the two are tested to agree on
    # every bundled letter and on crafted bodies (tests/text/test_table_widths.py)
    _VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tables: list[tuple[int, list[int], list[str | None]]] = []  # open: number, cells a row, widths
        self.started = 0
        self.auto: list[AutoTable] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._VOID:
            if tag == "col" and self.tables:
                self.tables[-1][2].append(col_width(attrs))
            return
        self.open.append(tag)
        if tag == "table":
            self.tables.append((self.started, [], []))
            self.started += 1
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append(0)
        elif tag in ("td", "th") and self.tables:
            rows = self.tables[-1][1]
            if not rows:
                rows.append(0)
            rows[-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._VOID or tag not in self.open:
            return
        while self.open:
            open_tag = self.open.pop()
            if open_tag == "table":
                self._closed()
            if open_tag == tag:
                break

    def close(self) -> None:
        super().close()
        while self.open:
            if self.open.pop() == "table":
                self._closed()

    def _closed(self) -> None:
        number, rows, widths = self.tables.pop()
        columns = max(rows, default=0)
        if columns and fixed_widths(widths, columns) is None:
            self.auto.append(AutoTable(number, columns, widths))


def auto_tables(html: str) -> tuple[int, list[AutoTable]]:
    """How many tables a letter's HTML holds, and those that print with ``auto`` columns (in
    the order they close)."""
    parser = _Tables()
    parser.feed(html)
    parser.close()
    return parser.started, parser.auto
