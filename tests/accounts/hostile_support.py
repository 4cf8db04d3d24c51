"""Helpers for the hostile-snapshot tests: a small valid snapshot to spoil, and `dunning plan`
run as the README shows it (relative paths, default options, in the policy repository)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
from click.testing import CliRunner

from dunning.cli import main

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-28"
# the example snapshot's first five rows: all valid, all planned
_LINES = (ROOT / "examples" / "accounts.csv").read_text(encoding="utf-8").splitlines()
HEADER = _LINES[0].split(",")
ROWS = [next(csv.reader([line])) for line in _LINES[1:6]]
# the columns holding personal data: never in a message
PERSONAL = ("customer_id", "name", "phone", "email", "address", "postal_code")


def rows_with(changes: Mapping[int, Mapping[str, str]]) -> list[list[str]]:
    """The five rows, row ``i`` (0-based) with ``changes[i]`` applied."""
    out = [list(row) for row in ROWS]
    for index, values in changes.items():
        for column, value in values.items():
            out[index][HEADER.index(column)] = value
    return out


def csv_bytes(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    """The rows as a CSV file (LF line ends, the csv module's quoting)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def jsonl_bytes(rows: list[list[str]]) -> bytes:
    """The rows as JSON Lines (every value a string)."""
    return b"".join(orjson.dumps(dict(zip(HEADER, row, strict=True))) + b"\n" for row in rows)


@dataclass
class PlanRun:
    """What a `dunning plan` run printed and wrote."""

    exit_code: int
    stdout: str
    stderr: str
    out: Path

    def summary(self) -> dict[str, int]:
        """summary.json's counts."""
        data = orjson.loads((self.out / "summary.json").read_bytes())
        return {k: data[k] for k in ("accounts_in", "planned", "excluded", "rejected")}

    def rejects(self) -> list[list[str]]:
        """rejects.csv's rows, header excluded."""
        with (self.out / "rejects.csv").open(encoding="utf-8", newline="") as fh:
            return list(csv.reader(fh))[1:]

    def balanced(self) -> bool:
        """accounts_in == planned + excluded + rejected, in summary.json and in the printed line."""
        s = self.summary()
        line = (
            f"accounts_in {s['accounts_in']} == planned {s['planned']} + excluded {s['excluded']}"
            f" + rejected {s['rejected']}"
        )
        return s["accounts_in"] == s["planned"] + s["excluded"] + s["rejected"] and line in self.stdout


@contextmanager
def inside(repo: Path) -> Iterator[None]:
    """Run with ``repo`` as the working directory (the README's commands use relative paths)."""
    before = Path.cwd()
    os.chdir(repo)
    try:
        yield
    finally:
        os.chdir(before)


def plan(repo: Path, accounts: str, *options: str, env: Mapping[str, str] | None = None) -> PlanRun:
    """``dunning plan --accounts ACCOUNTS --as-of 2026-11-28 --quiet [OPTIONS]`` in ``repo``."""
    with inside(repo):
        result = CliRunner().invoke(
            main, ["plan", "--accounts", accounts, "--as-of", AS_OF, "--quiet", *options], env=dict(env or {})
        )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return PlanRun(result.exit_code, result.stdout, result.stderr, repo / "out")


def personal_values(rows: list[list[str]]) -> list[str]:
    """Every personal-data value of ``rows`` (what no message may hold)."""
    return [row[HEADER.index(c)] for row in rows for c in PERSONAL if row[HEADER.index(c)]]
