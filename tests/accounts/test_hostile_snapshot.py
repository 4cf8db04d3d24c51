"""Hostile account snapshots (issue 14 §4): no input crashes `dunning plan` or prints personal
data. An unusable record is a reject for that row only; an unusable file is exit 2 with the
file, the line and a hint; the counts always add up."""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from dunning.cli import main

from .hostile_support import (
    HEADER,
    ROWS,
    csv_bytes,
    inside,
    jsonl_bytes,
    personal_values,
    plan,
    rows_with,
)

BIG = "1" * 27 + ".00"
NOT_DATE = "is not an ISO date (YYYY-MM-DD) from 1900-01-01 to 2999-12-31"
NOT_DECIMAL = "overdue_amount is not a plain decimal number such as 1250.50"
TOO_BIG = "overdue_amount has more than 15 digits before the decimal point"


def _parquet(path: Path, rows: list[list[str]], **columns: pa.Array) -> None:
    table = pa.table({c: [row[i] for row in rows] for i, c in enumerate(HEADER)})
    for name, array in columns.items():
        if name in table.column_names:
            table = table.set_column(table.schema.get_field_index(name), name, array)
        else:
            table = table.append_column(name, array)
    pq.write_table(table, path)


def _decimal_parquet(path: Path) -> list[list[str]]:
    amounts = [Decimal(BIG)] + [Decimal(row[HEADER.index("overdue_amount")]) for row in ROWS[1:]]
    _parquet(path, ROWS, overdue_amount=pa.array(amounts, pa.decimal128(38, 2)))
    return ROWS


def _binary_parquet(path: Path) -> list[list[str]]:
    names = [row[HEADER.index("name")].encode() for row in ROWS]
    names[2] = b"Jam\xffes"
    _parquet(path, ROWS, name=pa.array(names, pa.binary()))
    return ROWS


def _bad_string_parquet(path: Path) -> list[list[str]]:
    # a string column (UTF8-annotated) that a careless writer filled with bytes that are not
    # UTF-8: pyarrow reads it without a check
    names = [row[HEADER.index("name")].encode() for row in ROWS]
    names[1] = b"Jam\xff\xfees"
    offsets = [0]
    for name in names:
        offsets.append(offsets[-1] + len(name))
    buffers = [None, pa.py_buffer(b"".join(o.to_bytes(4, "little") for o in offsets)), pa.py_buffer(b"".join(names))]
    _parquet(path, ROWS, name=pa.Array.from_buffers(pa.string(), len(names), buffers))
    return ROWS


Rows = list[list[str]]


def _write(name: str, rows: Rows, maker: Callable[[Rows], bytes]) -> Callable[[Path], Rows]:
    def write(path: Path) -> Rows:
        path.write_bytes(maker(rows))
        return rows

    write.__name__ = name
    return write


# name: (file name, writer → the rows written, the expected rejects.csv rows, the hostile values)
ROW_CASES: dict[str, tuple[str, Callable[[Path], list[list[str]]], list[list[str]], list[str]]] = {
    "27-digit amount, CSV": (
        "accounts.csv",
        _write("csv", rows_with({1: {"overdue_amount": BIG}}), csv_bytes),
        [["3", "US-0002", "R015", TOO_BIG]],
        [BIG],
    ),
    "27-digit amount, JSON Lines": (
        "accounts.jsonl",
        _write("jsonl", rows_with({1: {"overdue_amount": BIG}}), jsonl_bytes),
        [["2", "US-0002", "R015", TOO_BIG]],
        [BIG],
    ),
    "27-digit amount, Parquet decimal128(38,2)": (
        "accounts.parquet",
        _decimal_parquet,
        [["1", "CN-0001", "R015", TOO_BIG]],
        [BIG],
    ),
    "full-width digits": (
        "accounts.csv",
        _write("csv", rows_with({0: {"overdue_amount": "１２３"}, 3: {"overdue_amount": "١٢٣"}}), csv_bytes),
        [["2", "CN-0001", "R002", NOT_DECIMAL], ["5", "US-0004", "R002", NOT_DECIMAL]],
        ["１２３", "١٢٣"],
    ),
    "year 0000 and 9999-12-31": (
        "accounts.csv",
        _write(
            "csv",
            rows_with({0: {"due_date": "0000-01-01"}, 2: {"promise_to_pay_date": "9999-12-31"}}),
            csv_bytes,
        ),
        [["2", "CN-0001", "R005", f"due_date {NOT_DATE}"], ["4", "CN-0003", "R005", f"promise_to_pay_date {NOT_DATE}"]],
        ["0000-01-01", "9999-12-31"],
    ),
    "extra fields": (
        "accounts.csv",
        lambda path: (path.write_bytes(csv_bytes(ROWS).replace(b",east\n", b",east,EXTRA,FIELDS\n", 1)), ROWS)[1],
        [["3", "US-0002", "R016", "the row has more fields than the header"]],
        ["EXTRA", "FIELDS"],
    ),
    "over-long account id": (
        "accounts.csv",
        _write("csv", rows_with({2: {"account_id": "ID" * 40}}), csv_bytes),
        [["4", "ID" * 40, "R017", "account_id is longer than 64 characters (128 bytes in UTF-8)"]],
        [],
    ),
    "Parquet binary column with a bad byte": (
        "accounts.parquet",
        _binary_parquet,
        [["3", "CN-0003", "R012", "the row is not valid UTF-8"]],
        ["Jam"],
    ),
    "Parquet string column with bad bytes": (
        "accounts.parquet",
        _bad_string_parquet,
        [["2", "US-0002", "R012", "the row is not valid UTF-8"]],
        ["Jam"],
    ),
}


@pytest.mark.parametrize("case", sorted(ROW_CASES))
def test_an_unusable_record_is_a_reject_for_its_row_only(case: str, example_copy: Path) -> None:
    name, write, expected, hostile = ROW_CASES[case]
    rows = write(example_copy / name)
    run = plan(example_copy, name)
    assert run.exit_code == 0, run.stderr
    assert run.stderr == ""
    assert run.rejects() == expected
    assert run.summary()["accounts_in"] == 5
    assert run.summary()["rejected"] == len(expected)
    assert run.balanced()
    messages = " ".join(r[3] for r in run.rejects())
    for value in [*hostile, *personal_values(rows)]:
        assert value not in messages and value not in run.stdout, value


def test_a_27_digit_amount_in_20k_rows_on_two_workers_rejects_that_row(example_copy: Path) -> None:
    rows = [list(ROWS[i % 5]) for i in range(20_000)]
    for i, row in enumerate(rows):
        row[0] = f"Z{i:06d}"
    rows[12_345][HEADER.index("overdue_amount")] = BIG
    (example_copy / "accounts.csv").write_bytes(csv_bytes(rows))
    run = plan(example_copy, "accounts.csv", "--jobs", "2")
    assert run.exit_code == 0, run.stderr
    assert run.rejects() == [["12347", "Z012345", "R015", TOO_BIG]]
    assert run.summary() == {"accounts_in": 20_000, "planned": 19_999, "excluded": 0, "rejected": 1}
    assert run.balanced()


def test_a_utf8_bom_in_json_lines_is_accepted(example_copy: Path) -> None:
    (example_copy / "accounts.jsonl").write_bytes(b"\xef\xbb\xbf" + jsonl_bytes(ROWS))
    run = plan(example_copy, "accounts.jsonl")
    assert (run.exit_code, run.rejects(), run.summary()["planned"]) == (0, [], 5)


@pytest.mark.parametrize("jobs", ["1", "2"])  # lines are numbered by the parent, or by the workers
def test_blank_csv_lines_are_skipped_and_lines_keep_their_numbers(example_copy: Path, jobs: str) -> None:
    # an empty line, a CRLF one, and the ",,,,…" Excel writes for an empty row
    lines = csv_bytes(rows_with({4: {"overdue_amount": "x"}})).split(b"\n")
    blank = b"," * (len(HEADER) - 1)
    data = b"\n".join([lines[0], lines[1], b"", lines[2], b"\r", blank, *lines[3:]])
    (example_copy / "accounts.csv").write_bytes(data)
    run = plan(example_copy, "accounts.csv", "--jobs", jobs)
    assert run.exit_code == 0, run.stderr
    assert run.summary() == {"accounts_in": 5, "planned": 4, "excluded": 0, "rejected": 1}
    assert run.rejects() == [["9", "CN-0005", "R002", NOT_DECIMAL]]  # its physical line
    assert run.balanced()


def test_a_header_and_blank_lines_only_is_an_empty_snapshot(example_copy: Path) -> None:
    (example_copy / "accounts.csv").write_bytes(csv_bytes([]) + b"\n\n" + b"," * (len(HEADER) - 1) + b"\n")
    run = plan(example_copy, "accounts.csv")
    assert (run.exit_code, run.stderr, run.rejects()) == (0, "", [])
    assert run.summary() == {"accounts_in": 0, "planned": 0, "excluded": 0, "rejected": 0}


def _random(_: Path) -> bytes:
    return random.Random(14).randbytes(5000)


# name: (file name, content, the exact error lines on stderr)
FILE_CASES: dict[str, tuple[str, Callable[[Path], bytes], list[str]]] = {
    "unterminated quote": (
        "accounts.csv",
        lambda _: csv_bytes(ROWS).replace(b"James Brown", b'"James Brown', 1),
        [
            "error: accounts.csv: line 3: a quoted field opens in this record and is never closed",
            '  hint: close the quote; a quote inside a field is written twice ("")',
        ],
    ),
    "stray quote inside a field": (
        "accounts.csv",
        lambda _: csv_bytes(ROWS).replace(b"James Brown", b'"James" Brown ""x', 1),
        [
            "error: accounts.csv: lines 2-6: not valid CSV (a stray quote inside a field?)",
            '  hint: quote a field that holds a quote, and write the quote twice ("")',
        ],
    ),
    "100 MB single-line file": (
        "accounts.csv",
        lambda _: b"account_id," + b"x" * 100_000_000,
        [
            "error: accounts.csv: line 1: no line end in the first 1 MiB",
            "  hint: is it a CSV file? a header or record is at most 1 MiB (docs/plan.md)",
        ],
    ),
    "100 MB record": (
        "accounts.csv",
        lambda _: csv_bytes(ROWS[:1]) + b"A9," + b"y" * 100_000_000 + b"\n" + csv_bytes(ROWS[1:]).split(b"\n", 1)[1],
        [
            "error: accounts.csv: line 3: a record runs past 1 MiB without ending",
            "  hint: a quote that is never closed, or a file without line ends; a record is at most 1 MiB"
            " (docs/plan.md)",
        ],
    ),
    "100 MB JSON Lines line": (
        "accounts.jsonl",
        lambda _: jsonl_bytes(ROWS[:2]) + b'{"account_id": "' + b"z" * 100_000_000 + b'"}\n',
        [
            "error: accounts.jsonl: line 3: longer than 1 MiB",
            "  hint: one account per line; a line is at most 1 MiB (docs/plan.md)",
        ],
    ),
    "UTF-16": (
        "accounts.csv",
        lambda _: csv_bytes(ROWS).decode().encode("utf-16"),
        [
            "error: accounts.csv: the accounts file is UTF-16 text (Excel's 'Unicode Text' export), not csv",
            "  hint: save it as 'CSV UTF-8'; dunning reads UTF-8 only",
        ],
    ),
    "CR-only line ends, over 1 MiB": (
        "accounts.csv",
        lambda _: csv_bytes(ROWS[:1] * 8000).replace(b"\n", b"\r"),
        [
            "error: accounts.csv: line 1: the lines end in CR alone (old Mac line ends)",
            "  hint: convert the line ends to LF or CRLF (e.g. tr '\\r' '\\n')",
        ],
    ),
    "random bytes": (
        "accounts.csv",
        _random,
        [
            "error: accounts.csv: the accounts file is binary data, not csv text",
            "  hint: dunning reads UTF-8 text (CSV or JSON Lines) or Parquet",
        ],
    ),
    ".csv.gz read as CSV": (
        "accounts.csv",
        lambda _: gzip.compress(csv_bytes(ROWS), mtime=0),
        [
            "error: accounts.csv: the accounts file is gzip-compressed, not csv",
            "  hint: decompress it first (gunzip -k FILE) and pass the .csv or .jsonl",
        ],
    ),
    "a bad byte in an optional header column": (
        "accounts.csv",
        lambda _: csv_bytes(ROWS).replace(b"branch", b"bra\xffnch", 1),
        [
            f"error: accounts.csv: line 1, column {HEADER.index('branch') + 1}: the header name 'bra\ufffdnch' "
            "is not valid UTF-8",
            "  hint: rename the column or save the file as UTF-8",
        ],
    ),
    "a duplicated header column": (
        "accounts.csv",
        lambda _: csv_bytes([[*row, "x"] for row in ROWS], [*HEADER, "name"]),
        [
            f"error: accounts.csv: line 1: column 'name' appears twice in the header (columns 3 and {len(HEADER) + 1})",
            "  hint: keep one of them: dunning cannot tell which one is meant",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_an_unusable_file_is_exit_2_with_file_line_and_hint(case: str, example_copy: Path) -> None:
    name, content, expected = FILE_CASES[case]
    (example_copy / "good.csv").write_bytes(csv_bytes(ROWS))
    assert plan(example_copy, "good.csv").exit_code == 0  # the previous output, dunning's own
    previous = (example_copy / "out" / "plans.jsonl").read_bytes()
    (example_copy / name).write_bytes(content(example_copy))
    run = plan(example_copy, name)
    assert run.exit_code == 2
    assert run.stderr.splitlines() == expected
    assert "Traceback" not in run.stdout + run.stderr
    for value in personal_values(ROWS):
        assert value not in run.stderr, value
    assert (example_copy / "out" / "plans.jsonl").read_bytes() == previous


def test_a_parquet_list_column_is_exit_2(example_copy: Path) -> None:
    _parquet(example_copy / "accounts.parquet", ROWS, tags=pa.array([["vip"]] * 5, pa.list_(pa.string())))
    run = plan(example_copy, "accounts.parquet")
    assert run.exit_code == 2
    assert run.stderr.splitlines() == [
        "error: accounts.parquet: column 'tags' holds nested values (list<element: string>)",
        "  hint: every snapshot column holds one value per row (text, number, date or flag)",
    ]


def test_a_run_rejecting_everything_fails_unless_allowed(example_copy: Path) -> None:
    rows = rows_with({i: {"currency": "usd"} for i in range(5)})
    (example_copy / "accounts.csv").write_bytes(csv_bytes(rows))
    run = plan(example_copy, "accounts.csv")
    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        "error: 5 of 5 accounts rejected (100.0%), more than --max-reject-rate 0.5; see out/rejects.csv",
        "  hint: is it the right file, with the contract's columns and codes? (docs/plan.md)",
    ]
    assert run.summary() == {"accounts_in": 5, "planned": 0, "excluded": 0, "rejected": 5}
    assert run.balanced()  # the outputs are written: rejects.csv says why
    allowed = plan(example_copy, "accounts.csv", env={"DUNNING_MAX_REJECT_RATE": "1"})
    assert (allowed.exit_code, allowed.stderr) == (0, "")
    # 2 of 5 rejected: within the default, beyond a stricter rate
    (example_copy / "accounts.csv").write_bytes(csv_bytes(rows_with({0: {"currency": "usd"}, 1: {"currency": "x"}})))
    assert plan(example_copy, "accounts.csv").exit_code == 0
    strict = plan(example_copy, "accounts.csv", "--max-reject-rate", "0.2")
    assert strict.exit_code == 1
    assert strict.stderr.splitlines()[0] == (
        "error: 2 of 5 accounts rejected (40.0%), more than --max-reject-rate 0.2; see out/rejects.csv"
    )


def test_build_stops_at_a_plan_rejecting_everything(example_copy: Path) -> None:
    (example_copy / "accounts.csv").write_bytes(csv_bytes(rows_with({i: {"currency": "usd"} for i in range(5)})))
    with inside(example_copy):
        result = CliRunner().invoke(
            main, ["build", "--accounts", "accounts.csv", "--as-of", "2026-11-28", "--no-pdf", "--no-handbook", "-q"]
        )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-3:] == [
        "error: 5 of 5 accounts rejected (100.0%), more than --max-reject-rate 0.5; see out/rejects.csv",
        "  hint: is it the right file, with the contract's columns and codes? (docs/plan.md)",
        "build stopped: plan failed",
    ]
    assert not (example_copy / "out" / "messages").exists()


def _with_bad_history(repo: Path, account_ids: list[str]) -> None:
    """The example's snapshot and history, plus one line per id whose event is not a word of
    the contract (H003: rejected, its account held)."""
    root = Path(__file__).resolve().parents[2] / "examples"
    (repo / "accounts.csv").write_bytes((root / "accounts.csv").read_bytes())
    bad = "".join(f"{account_id},2026-11-27T10:00:00+08:00,call,shouted,,,,,\n" for account_id in account_ids)
    (repo / "history.csv").write_bytes((root / "history.csv").read_bytes() + bad.encode())


def test_max_reject_rate_counts_history_lines_rejected(example_copy: Path) -> None:
    # 14 unreadable lines of accounts not in the snapshot, beside the 13 readable ones: no
    # account is held, but more than half the history is unreadable (the wrong file?)
    _with_bad_history(example_copy, [f"ZZ-{n:04d}" for n in range(14)])
    run = plan(example_copy, "accounts.csv", "--history", "history.csv")
    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        "error: 14 of 27 history lines rejected (51.9%), more than --max-reject-rate 0.5; see out/history-rejects.csv",
        "  hint: is it the right history file, with the contract's columns and event words? (docs/data.md)",
    ]
    assert run.balanced()  # every output written: history-rejects.csv says why
    allowed = plan(example_copy, "accounts.csv", "--history", "history.csv", "--max-reject-rate", "0.52")
    assert (allowed.exit_code, allowed.stderr) == (0, "")


def test_max_reject_rate_counts_accounts_held_for_history_rejects(example_copy: Path) -> None:
    # 7 of the 66 accounts are rejected (10.6 %); holding 7 planned ones more makes 14 (21.2 %)
    held = ["CN-0001", "CN-0003", "CN-0005", "CN-0007", "CN-0009", "CN-0011", "CN-0013"]
    _with_bad_history(example_copy, held)
    assert plan(example_copy, "accounts.csv", "--max-reject-rate", "0.2").exit_code == 0  # without the history
    run = plan(example_copy, "accounts.csv", "--history", "history.csv", "--max-reject-rate", "0.2")
    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        "error: 14 of 66 accounts rejected or held (21.2%): 7 rejected, 7 held for unreadable history lines,"
        " more than --max-reject-rate 0.2; see out/rejects.csv and out/history-rejects.csv",
        "  hint: is it the right file, with the contract's columns and codes? (docs/plan.md)",
        "error: 7 of 20 history lines rejected (35.0%), more than --max-reject-rate 0.2; see out/history-rejects.csv",
        "  hint: is it the right history file, with the contract's columns and event words? (docs/data.md)",
    ]
    assert run.summary() == {"accounts_in": 66, "planned": 51, "excluded": 8, "rejected": 7}
    within = plan(example_copy, "accounts.csv", "--history", "history.csv", "--max-reject-rate", "0.36")
    assert (within.exit_code, within.stderr) == (0, "")
