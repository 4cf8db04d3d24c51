"""Accounts and history from PostgreSQL plan byte-identically to the CSV. The server is the
one in DUNNING_TEST_POSTGRES (a libpq URI without password; `.ci/run` starts one and sets it);
without a reachable server these tests are skipped, saying so."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from dunning.cli import main

ROOT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("DUNNING_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH = Path("/work/shared/bench/make_accounts.py")


@pytest.fixture(scope="module")
def schema() -> Iterator[str]:
    """A fresh schema on the test server holding the example's and a 5,000-account bench
    portfolio's tables (all text columns, as the CSV has them); dropped afterwards."""
    dbapi = pytest.importorskip("adbc_driver_postgresql.dbapi")
    try:
        connection = dbapi.connect(SERVER)
    except Exception as exc:  # any failure to connect means: no server here
        pytest.skip(f"no PostgreSQL server reachable at {SERVER} ({type(exc).__name__}); .ci/run starts one")
    name = f"dunning_test_{uuid.uuid4().hex[:8]}"
    tables = {
        "accounts": ROOT / "examples" / "accounts.csv",
        "history": ROOT / "examples" / "history.csv",
    }
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{name}"')
        for table, source in tables.items():
            frame = pl.read_csv(source, infer_schema=False)
            cursor.adbc_ingest(table, frame.to_arrow(), mode="create", db_schema_name=name)
    connection.commit()
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{name}" CASCADE')
        connection.commit()
        connection.close()


def plan(out: Path, accounts: str, history: str) -> str:
    args = ["plan", "--accounts", accounts, "--history", history, "--as-of", "2026-11-28", "--horizon", "7"]
    result = CliRunner().invoke(main, [*args, "--out", str(out), str(ROOT)])
    assert result.exit_code == 0, result.output
    return result.output


def test_example_from_postgres_plans_as_the_csv(tmp_path: Path, schema: str) -> None:
    output = plan(tmp_path / "db", f"{SERVER}?table={schema}.accounts", f"{SERVER}?table={schema}.history")
    assert "accounts_in 66 == planned 51 + excluded 8 + rejected 7" in output
    plan(tmp_path / "csv", str(ROOT / "examples" / "accounts.csv"), str(ROOT / "examples" / "history.csv"))
    for name in ("plans.jsonl", "actions.csv"):
        assert (tmp_path / "db" / name).read_bytes() == (tmp_path / "csv" / name).read_bytes()


@pytest.mark.skipif(not BENCH.is_file(), reason="the shared bench generator is not on this machine")
def test_bench_portfolio_from_postgres_plans_as_the_csv(tmp_path: Path, schema: str) -> None:
    dbapi = pytest.importorskip("adbc_driver_postgresql.dbapi")
    csv = tmp_path / "bench.csv"
    subprocess.run([sys.executable, str(BENCH), "5000", str(csv), "7"], check=True)
    with dbapi.connect(SERVER) as connection, connection.cursor() as cursor:
        frame = pl.read_csv(csv, infer_schema=False)
        cursor.adbc_ingest("bench", frame.to_arrow(), mode="create", db_schema_name=schema)
        connection.commit()
    query = f"SELECT%20*%20FROM%20{schema}.bench"
    plan(tmp_path / "db", f"{SERVER}?query={query}", str(ROOT / "examples" / "history.csv"))
    plan(tmp_path / "csv", str(csv), str(ROOT / "examples" / "history.csv"))
    assert (tmp_path / "db" / "plans.jsonl").read_bytes() == (tmp_path / "csv" / "plans.jsonl").read_bytes()


def test_a_password_on_the_command_line_is_refused() -> None:
    accounts = "postgresql://collector:s3cret@db.example.org:5432/book?table=accounts"
    result = CliRunner().invoke(main, ["plan", "--accounts", accounts, "--as-of", "2026-11-28", str(ROOT)])
    assert result.exit_code == 2
    assert "postgresql://db.example.org:5432/book: the location holds a password" in result.output
    assert "PGPASSWORD" in result.output and "s3cret" not in result.output and "collector" not in result.output
