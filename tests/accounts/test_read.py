"""The columnar reader and parse_record agree row for row, in every input format."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunning.accounts.model import Account
from dunning.accounts.read import _AMOUNT_OK, read_accounts
from dunning.accounts.record import (
    AMOUNT_INTEGER_DIGITS,
    DECIMAL_RE,
    RowReject,
    msg_date,
    msg_negative,
    parse_record,
)
from dunning.errors import UserError

SERVED = frozenset({"CN", "US", "US-MA"})
HEADER = [
    "account_id", "jurisdiction", "currency", "overdue_amount", "due_date", "timezone", "phone", "locale",
    "principal", "promise_to_pay_date", "sms_opt_out", "dispute", "note", "name",
    "creditor", "itemization_date", "itemization_amount", "interest_since_itemization", "fees_since_itemization",
    "payments_since_itemization", "credits_since_itemization",
]  # fmt: skip
ITEMIZED = ["Example Bank", "2026-10-01", "10.00", "0", "0.00", "0", "0"]
_ROWS = [
    ["A1", "US", "USD", "10.00", "2026-11-01", "", "+14155550123", "en-US", "", "", "yes", "", "x"],
    ["A2", "US-MA", "USD", "0", "2026-11-01", "America/New_York", "", "", "100.5", "2026-12-01", "No", "TRUE", ""],
    ["A3", "CN", "CNY", " 12.3 ", "2026-11-01", "Asia/Shanghai", "+8613812345678", "zh-CN", "", "", "", "", ""],
    ["B1", "US", "USD", "1,0", "2026-11-01", "", "", "", "", "", "", "", ""],
    ["B2", "US", "USD", "-0.01", "2026-11-01", "", "", "", "", "", "", "", ""],
    ["B3", "US", "USD", "-0.00", "2026-11-01", "", "", "", "", "", "", "", ""],
    ["B4", "US", "USD", "1.", "2026-11-01", "", "", "", "1.234", "", "", "", ""],
    ["B5", "US", "USD", "1", "2026-11-31", "", "", "", "", "", "", "", ""],
    ["B6", "US", "USD", "1", "2026-11-01", "", "", "", "", "26-12-01", "", "", ""],
    ["B7", "US-", "USD", "1", "2026-11-01", "", "", "", "", "", "", "", ""],
    ["B8", "GB", "GBP", "1", "2026-11-01", "", "", "", "", "", "", "", ""],
    ["B9", "US", "usd", "1", "2026-11-01", "", "", "", "", "", "", "", ""],
    ["B10", "US", "USD", "1", "2026-11-01", "EST5EDT ", "", "", "", "", "", "", ""],
    ["B11", "US", "USD", "1", "2026-11-01", "Not/AZone", "", "", "", "", "", "", ""],
    ["B12", "US", "USD", "1", "2026-11-01", "", "+10005550123", "", "", "", "", "", ""],
    ["B13", "US", "USD", "1", "2026-11-01", "", "", "en_US", "", "", "", "", ""],
    ["B14", "US", "USD", "1", "2026-11-01", "", "", "", "", "", "y", "", ""],
    ["", "US", "USD", "1", "2026-11-01", "", "", "", "", "", "", "", ""],
    ["B15", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["B16", "US", "JPY", "1.5", "2026-11-01", "", "", "", "", "", "", "", ""],
]
# Hostile values (issue 14): the columnar checks and parse_record must agree on them too.
HOSTILE_ROWS = [
    ["H1", "US", "USD", "1" * 27 + ".00", "2026-11-01", "", "", "", "", "", "", "", "", ""],
    ["H2", "US", "USD", "1", "2026-11-01", "", "", "", "9" * 16, "", "", "", "", ""],
    ["H3", "US", "USD", "１２３", "2026-11-01", "", "", "", "", "", "", "", "", ""],
    ["H4", "US", "USD", "١٢٣", "2026-11-01", "", "", "", "", "", "", "", "", ""],
    ["H5", "US", "USD", "1", "0000-01-01", "", "", "", "", "", "", "", "", ""],
    ["H6", "US", "USD", "1", "2026-11-01", "", "", "", "", "9999-12-31", "", "", "", ""],
    ["H7", "US", "USD", "1", "２０２６-１１-０１", "", "", "", "", "", "", "", "", ""],
    ["X" * 65, "US", "USD", "1", "2026-11-01", "", "", "", "", "", "", "", "", ""],
    ["账" * 43, "US", "USD", "1", "2026-11-01", "", "", "", "", "", "", "", "", ""],
    ["H8\u202e", "US", "USD", "1", "2026-11-01", "", "", "", "", "", "", "", "", ""],
    ["H9", "US", "USD", "1", "2026-11-01", "", "+１４１５５５５０１２３", "", "", "", "", "", "", ""],
    ["=HYPERLINK(1)", "US", "USD", "1", "2026-11-01", "", "", "", "", "", "", "", "@SUM(1+1)", "+1+1"],
    [
        "H10", "CN", "CNY", "1", "2026-11-01", "", "", "", "", "", "", "",
        "\u2066x\u2069\x07 y\t", "【示例金融】\u202egnp.exe\u202c\u200e\x85\ufeff",
    ],
    ["H11", "US", "USD", "9" * 15 + ".99", "2026-11-01", "", "", "", "", "", "", "", "", " a\r\nb "],
]  # fmt: skip
# every row above with a complete Regulation F itemization, then rows that differ in it
_PLAIN = ["", "USD", "1", "2026-11-01", "", "", "", "", "", "", "", "", ""]
ROWS = [
    *([*row, "", *ITEMIZED] for row in _ROWS),
    *([*row, *ITEMIZED] for row in HOSTILE_ROWS),
    ["C1", "US", *_PLAIN[1:], "", *ITEMIZED[1:]],  # no creditor: R018
    ["C2", "US-MA", *_PLAIN[1:], *ITEMIZED[:-1], ""],  # no credits: R018
    ["C3", "CN", "CNY", *_PLAIN[2:], "", "", "", "", "", "", ""],  # CN needs none
    ["C4", "US", *_PLAIN[1:], "Example Bank", "2026-10-01", "1,0", "0", "0", "0", "0"],  # R002
    ["C5", "US", *_PLAIN[1:], "Example Bank", "2026-10-01", "10", "0", "-1", "0", "0"],  # R003
    ["C6", "US", *_PLAIN[1:], "Example Bank", "2026-10-01", "10", "0", "0", "0.001", "0"],  # R004
    ["C7", "US", *_PLAIN[1:], "Example Bank", "2026-10-32", "10", "0", "0", "0", "0"],  # R005
]


def _expected() -> list[object]:
    out: list[object] = []
    for line, row in enumerate(ROWS, start=2):
        out.append(parse_record(dict(zip(HEADER, row, strict=True)), line, SERVED))
    return out


def _csv(tmp_path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(ROWS)
    path = tmp_path / "a.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_reader_agrees_with_parse_record(tmp_path: Path, fmt: str) -> None:
    source = _csv(tmp_path)
    if fmt != "csv":
        frame = pl.read_csv(source, infer_schema=False)
        source = tmp_path / f"a.{fmt}"
        frame.write_ndjson(source) if fmt == "jsonl" else frame.write_parquet(source)
    found: list[Account | RowReject] = []
    for chunk in read_accounts(source, None, SERVED, chunk_rows=7):
        found.extend(chunk.accounts)
        found.extend(chunk.rejects)
    offset = 0 if fmt == "csv" else -1  # JSON Lines and Parquet number rows from 1, CSV counts the header
    expected = _expected()
    by_line = sorted(found, key=lambda r: r.line)
    assert len(by_line) == len(ROWS)
    for want, got in zip(expected, by_line, strict=True):
        if isinstance(want, RowReject):
            assert isinstance(got, RowReject)
            assert (got.line, got.account_id, got.code, got.message) == (
                want.line + offset,
                want.account_id,
                want.code,
                want.message,
            )
        else:
            assert isinstance(want, Account)
            assert got == replace(want, line=want.line + offset)


def test_codes_in_the_corpus() -> None:
    codes = [r.code if isinstance(r, RowReject) else "ok" for r in _expected()]
    assert codes == [
        "ok", "ok", "ok", "R002", "R003", "ok", "R004", "R005", "R005", "R006", "R006", "R007", "ok",
        "R008", "ok", "R014", "R010", "R001", "R001", "R004",
        "R015", "R015", "R002", "R002", "R005", "R005", "R005", "R017", "R017", "R001", "ok", "ok", "ok", "ok",
        "R018", "R018", "ok", "R002", "R003", "R004", "R005",
    ]  # fmt: skip
    cleaned = [r for r in _expected() if isinstance(r, Account) and r.account_id in ("H10", "H11")]
    assert [(a.name, dict(a.extra)) for a in cleaned] == [
        ("【示例金融】gnp.exe", {"note": "x y"}),
        ("a b", {"note": ""}),
    ]
    rejects = {r.account_id: r.message for r in _expected() if isinstance(r, RowReject)}
    assert rejects["C2"] == (
        "credits_since_itemization is empty; a US account needs the Regulation F itemization for its "
        "validation notice (12 CFR 1006.34(c)(2); write 0 for no interest, fees, payments or credits)"
    )
    assert rejects["C5"] == msg_negative("fees_since_itemization")
    assert rejects["C7"] == msg_date("itemization_date")
    first = next(r for r in _expected() if isinstance(r, Account))
    assert (first.creditor, first.itemization_date, first.itemization_amount, first.current_amount()) == (
        "Example Bank",
        date(2026, 10, 1),
        Decimal("10.00"),
        Decimal("10.00"),
    )


def test_bad_utf8_row_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"account_id,jurisdiction,currency,overdue_amount,due_date,name\nA,US,USD,1,2026-11-01,\xff\xfe\n")
    (chunk,) = read_accounts(path, None, SERVED)
    assert chunk.rejects == [RowReject(2, "A", "R012", "the row is not valid UTF-8")]


def test_unreadable_or_unknown_format_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such accounts file"):
        list(read_accounts(tmp_path / "missing.csv"))
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="cannot tell the format"):
        list(read_accounts(tmp_path / "a.txt"))


def test_csv_pieces_cut_only_between_records(tmp_path: Path) -> None:
    # Quoted fields with newlines and escaped quotes around the 64 KiB cut points: every piece
    # holds whole records, and the chunked reader numbers rows exactly as one read does.
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["account_id", "jurisdiction", "currency", "overdue_amount", "due_date", "note"])
    for i in range(3000):
        note = f'line one\nline "two" {i}' if i % 7 == 0 else f"plain {i}" * 3
        writer.writerow([f"A{i:05d}", "CN", "CNY", "1.00", "2026-11-01", note])
    path = tmp_path / "a.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    from dunning.accounts.source import AccountFile

    source = AccountFile(path, chunk_rows=1)
    pieces = list(source.csv_pieces())
    assert len(pieces) > 2
    assert b"".join(p.body for p in pieces) == path.read_bytes()[len(pieces[0].header) :]
    found = [a for chunk in read_accounts(path, None, SERVED, chunk_rows=1) for a in chunk.accounts]
    assert [(a.account_id, a.line) for a in found] == [(f"A{i:05d}", i + 2) for i in range(3000)]
    assert found[7].extra == {"note": 'line one line "two" 7'}  # free text: a line break is a space
    # a worker is handed where a piece lies, not its bytes, and reads the same records
    for piece in pieces:
        located = piece.located()
        assert located.body == b"" and located.frame().equals(piece.frame())


def test_a_located_piece_without_a_last_newline_or_of_a_changed_file(tmp_path: Path) -> None:
    from dunning.accounts.source import AccountFile

    path = tmp_path / "a.csv"
    path.write_bytes(b"account_id,jurisdiction,currency,overdue_amount,due_date\nA-1,US,USD,1.00,2026-11-01")
    (piece,) = AccountFile(path).csv_pieces()
    assert (piece.start, piece.size, piece.body) == (57, 26, b"A-1,US,USD,1.00,2026-11-01\n")  # newline added
    assert piece.located().frame()["account_id"].to_list() == ["A-1"]
    path.write_bytes(b"account_id,jurisdiction,currency,overdue_amount,due_date\nA-1")  # truncated since
    with pytest.raises(UserError, match="the file changed while it was being planned") as caught:
        piece.located().frame()
    assert caught.value.hint == "plan a snapshot that nothing writes to during the run"
    import pickle

    assert pickle.loads(pickle.dumps(caught.value)).hint == caught.value.hint  # survives a worker's pipe


@pytest.mark.parametrize(
    ("name", "replacement_free"),
    [
        ("Zoë 孙军".encode(), True),
        ("上海市，浦东".encode(), True),  # U+FF0C starts with the byte EF, as U+FFFD does
        (b"Zo\xe9", False),  # not UTF-8: the lossy parse makes it U+FFFD
        ("Zo\ufffd".encode(), False),  # U+FFFD written into the file itself
    ],
)
def test_a_piece_says_whether_a_cell_can_hold_the_replacement_character(
    tmp_path: Path, name: bytes, replacement_free: bool
) -> None:
    from dunning.accounts.source import AccountFile

    path = tmp_path / "a.csv"
    header = b"account_id,jurisdiction,currency,overdue_amount,due_date,name\n"
    path.write_bytes(header + b"A-1,CN,CNY,1.00,2026-11-01," + name)
    (piece,) = AccountFile(path).csv_pieces()
    frame, clean = piece.located().read()
    assert clean is replacement_free
    assert frame["name"].to_list() == [name.decode("utf-8", errors="replace")]


def test_flags_read_alike_in_any_spelling(tmp_path: Path) -> None:
    # a chunk written only with true/false/"" takes exact comparisons; any other spelling
    # lower-cases every cell; both must give the same flags
    header = "account_id,jurisdiction,currency,overdue_amount,due_date,dispute,hardship,sms_opt_out\n"
    plain = ["true,false,", "false,,true", ",true,true"]
    spelled = ["TRUE,no,0", "False,,Yes", " ,1, true "]
    flags = []
    for name, rows in (("plain", plain), ("spelled", spelled)):
        path = tmp_path / f"{name}.csv"
        body = "".join(f"A{i},CN,CNY,1.00,2026-11-01,{row}\n" for i, row in enumerate(rows))
        path.write_text(header + body, encoding="utf-8")
        (chunk,) = read_accounts(path, None, SERVED)
        assert chunk.rejects == []
        flags.append([sorted(a.flags) for a in chunk.accounts])
    assert flags[0] == flags[1] == [["dispute"], ["sms_opt_out"], ["hardship", "sms_opt_out"]]


def test_phone_block_verdicts_carry_across_chunks_and_start_over_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    from dunning.accounts import read

    verdicts = read._BlockVerdicts()
    asked: list[str] = []

    def valid(block: str) -> bool:
        asked.append(block)
        return block.startswith("+86")

    monkeypatch.setattr(read, "_valid_block", valid)
    first = pl.Series(["+8613800000000", "", "+12120000000", "+8613800000000"])
    assert verdicts(first).to_list() == [True, True, False, True]  # "" (no phone) is fine
    assert sorted(asked) == ["+12120000000", "+8613800000000"]  # each distinct block asked once
    second = pl.Series(["+12120000000", "+8613911110000"])
    assert verdicts(second).to_list() == [False, True]
    assert sorted(asked) == ["+12120000000", "+8613800000000", "+8613911110000"]  # only the new one
    monkeypatch.setattr(read, "_BLOCK_TABLE_LIMIT", 3)
    third = pl.Series(["+8613800000000", "+12120000000"])  # the table is full: every verdict asked again
    assert verdicts(third).to_list() == [True, False]
    assert len(asked) == 5 and verdicts.table.height == 2


def test_known_values_ask_each_value_once_and_start_over_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    from dunning.accounts import read

    asked: list[str] = []

    def passes(value: str) -> bool:
        asked.append(value)
        return value.startswith("Asia/")

    known = read._KnownValues(passes)
    first = pl.Series(["Asia/Shanghai", "Mars/Base", "Asia/Shanghai"])
    assert known(first).to_list() == [True, False, True]
    assert sorted(asked) == ["Asia/Shanghai", "Mars/Base"]
    assert known(pl.Series(["Asia/Shanghai", "Mars/Base", "Asia/Tokyo"])).to_list() == [True, False, True]
    assert asked[2:] == ["Asia/Tokyo"]  # a failing value is not asked again either
    monkeypatch.setattr(read, "_KNOWN_LIMIT", 2)
    assert known(pl.Series(["Venus/Base"])).to_list() == [False]  # over the limit: asked afresh
    assert asked[3:] == ["Venus/Base"] and known.asked == {"Venus/Base"}
    assert known(pl.Series(["Asia/Shanghai"])).to_list() == [True]
    assert asked[4:] == ["Asia/Shanghai"]


def test_dictionary_encoded_parquet_text_is_cleaned_like_any_text(tmp_path: Path) -> None:
    # pandas' category dtype writes dictionary columns, which polars reads as categorical
    import pyarrow as pa
    import pyarrow.parquet as pq

    values = {"name": ["x\u202ey", "z"], "note": ["\u2066a\t", "b"]}
    base = {"account_id": ["A1", "A2"], "jurisdiction": ["CN"] * 2, "currency": ["CNY"] * 2}
    base |= {"overdue_amount": ["1", "2"], "due_date": ["2026-11-01"] * 2}
    table = pa.table({**base, **{k: pa.array(v).dictionary_encode() for k, v in values.items()}})
    pq.write_table(table, tmp_path / "a.parquet")
    found = [a for chunk in read_accounts(tmp_path / "a.parquet", None, SERVED) for a in chunk.accounts]
    rows = [{**{k: v[i] for k, v in base.items()}, **{k: v[i] for k, v in values.items()}} for i in range(2)]
    assert found == [parse_record(row, i + 1, SERVED) for i, row in enumerate(rows)]
    assert [(a.name, dict(a.extra)) for a in found] == [("xy", {"note": "a"}), ("z", {"note": "b"})]


def test_an_arrears_reason_event_needs_its_reason() -> None:
    from dunning.accounts.history.rows import HistoryReject, read_event

    base = {"account_id": "A-1", "at": "2026-11-20T10:00:00+08:00", "event": "arrears_reason", "channel": "call"}
    found = read_event({**base, "reason": "illness"}, 2)
    assert not isinstance(found, HistoryReject) and found.outcome == "arrears_reason"
    missing = read_event(base, 3)
    assert missing == HistoryReject(3, "A-1", "H006", "an arrears_reason event needs reason")


_AMOUNT_TEXT = st.text(alphabet="0123456789.-+e ", max_size=22) | st.from_regex(
    r"\A-?0{0,17}[0-9]{0,17}(\.[0-9]{0,5})?\Z", fullmatch=True
)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_AMOUNT_TEXT, min_size=1, max_size=30), digits=st.sampled_from([0, 2, 3]))
def test_one_amount_search_fails_the_rows_the_three_checks_failed(values: list[str], digits: int) -> None:
    """screen_frame's single search for an amount (_AMOUNT_OK) with the places check fails
    exactly the values that the decimal pattern, the R015 digit count, the float sign and the
    places check failed together (only whether some check fails matters to the screening)."""
    col = pl.col("v")
    present = col != ""
    places = (col.str.len_bytes() - col.str.find(".", literal=True) - 1).fill_null(0)
    too_precise = present & (places > digits)
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    before = frame.select(
        (present & ~col.str.contains(DECIMAL_RE.pattern))
        | col.str.contains(f"^-?[0-9]{{{AMOUNT_INTEGER_DIGITS + 1}}}")
        | (present & (col.cast(pl.Float64, strict=False) < 0))
        | too_precise
    ).to_series()
    after = frame.select((present & ~col.str.contains(_AMOUNT_OK)) | too_precise).to_series()
    assert before.to_list() == after.to_list(), values


def test_the_csv_files_last_pieces_are_cut_smaller_for_the_workers_to_end_together(tmp_path: Path) -> None:
    # 1,240,000 bytes of 31-byte records, pieces of 256 KiB (1,024 rows): the last ``tail``
    # pieces' worth in pieces of 64 KiB (TAIL_SPLIT), each of whole records, read as one read
    from dunning.accounts.source import TAIL_SPLIT, AccountFile

    path = tmp_path / "a.csv"
    body = "".join(f"A{i:06d},US,USD,1.00,2026-10-01\n" for i in range(40000)).encode()
    path.write_bytes(b"account_id,jurisdiction,currency,overdue_amount,due_date\n" + body)
    source = AccountFile(path, chunk_rows=1024)
    sizes = {tail: [len(piece.body) for piece in source.csv_pieces(tail=tail)] for tail in (0, 1, 2)}
    assert TAIL_SPLIT == 4
    assert sizes[0] == [262074, 262136, 262136, 262167, 191487]
    assert sizes[1] == [262074, 262136, 262136, 262167, 65534, 65534, 60419]
    assert sizes[2] == [262074, 262136, 262136, 65565, 65534, 65534, 65534, 65534, 65534, 60419]
    for tail in (1, 2):
        pieces = list(source.csv_pieces(tail=tail))
        assert b"".join(piece.body for piece in pieces) == body
        assert all(len(piece.body) % 31 == 0 for piece in pieces)
        firsts = [piece.frame()["account_id"][0] for piece in pieces]
        starts = [sum(sizes[tail][:n]) // 31 for n in range(len(pieces))]
        assert firsts == [f"A{start:06d}" for start in starts]
