"""The core install runs validate, plan, gate, explain and diff; a command that needs an
optional extra that is missing says so in one line naming the extra (exit 2), before it
writes anything."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = str(ROOT / "examples" / "accounts.csv")
HISTORY = str(ROOT / "examples" / "history.csv")
# the modules each extra brings (pyarrow is no longer used at all)
EXTRA_MODULES = ("typst", "pikepdf", "material", "matplotlib", "pyarrow")


def without(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make ``import module`` fail as it does when the package is not installed."""
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        (
            "material",
            ["build", "--accounts", ACCOUNTS, "--as-of", "2026-11-28", "--no-pdf"],
            "error: the handbook needs the 'handbook' extra: pip install 'dunning[handbook]' "
            "(or build with --no-handbook)\n",
        ),
        (
            "matplotlib",
            ["build", "--accounts", ACCOUNTS, "--as-of", "2026-11-28", "--no-pdf", "--forecast-days", "7"],
            "error: charts need the 'charts' extra: pip install 'dunning[charts]' (or build without --forecast-days)\n",
        ),
        (
            "typst",
            ["build", "--accounts", ACCOUNTS, "--as-of", "2026-11-28", "--no-handbook", "--quiet"],
            "error: PDF letters need the 'pdf' extra: pip install 'dunning[pdf]' (or build with --no-pdf)\n",
        ),
        (
            "pikepdf",  # typst alone is not enough: the archive copies are cut with pikepdf
            ["build", "--accounts", ACCOUNTS, "--as-of", "2026-11-28", "--no-handbook", "--quiet"],
            "error: PDF letters need the 'pdf' extra: pip install 'dunning[pdf]' (or build with --no-pdf)\n",
        ),
        (
            "material",
            ["handbook", "build", "--as-of", "2026-11-28"],
            "error: the handbook needs the 'handbook' extra: pip install 'dunning[handbook]'\n",
        ),
        (
            "matplotlib",
            ["simulate", "--accounts", ACCOUNTS, "--from", "2026-11-28", "--days", "3"],
            "error: charts need the 'charts' extra: pip install 'dunning[charts]'\n",
        ),
    ],
)
def test_a_missing_extra_is_one_line(
    module: str, args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without(monkeypatch, module)
    monkeypatch.chdir(tmp_path)
    for name in ("policies", "templates", "site"):
        shutil.copytree(ROOT / name, tmp_path / name)
    result = CliRunner().invoke(main, [*args, "--out", "out", "."])
    assert (result.exit_code, result.stderr) == (2, message)
    assert not (tmp_path / "out").exists()


def test_postgres_without_its_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    without(monkeypatch, "adbc_driver_postgresql")
    accounts = "postgresql://db.example.org/book?table=accounts"
    result = CliRunner().invoke(main, ["plan", "--accounts", accounts, "--as-of", "2026-11-28", str(ROOT)])
    assert (result.exit_code, result.stderr) == (
        2,
        "error: PostgreSQL sources need the 'postgres' extra: pip install 'dunning[postgres]'\n",
    )


def test_render_without_the_pdf_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plans = tmp_path / "plans"
    planned = CliRunner().invoke(
        main,
        ["plan", "--accounts", ACCOUNTS, "--as-of", "2026-11-28", "--horizon", "7", "--out", str(plans), str(ROOT)],
    )
    assert planned.exit_code == 0, planned.output
    without(monkeypatch, "typst")
    result = CliRunner().invoke(main, ["render", "--plans", str(plans), str(ROOT)])
    assert (result.exit_code, result.stderr) == (
        2,
        "error: PDF letters need the 'pdf' extra: pip install 'dunning[pdf]' (or render with --no-pdf)\n",
    )
    assert not (plans / "messages").exists()
    # --no-pdf renders every letter as HTML without the extra
    result = CliRunner().invoke(main, ["render", "--plans", str(plans), "--no-pdf", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert list((plans / "messages" / "letters").rglob("*.html"))


CORE_ONLY = f"""
import sys
sys.modules.update(dict.fromkeys({EXTRA_MODULES!r}))
from dunning.cli import main
sys.exit(main())
"""


def core(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CORE_ONLY, *args], cwd=tmp_path, capture_output=True, text=True, input=stdin, check=False
    )


def test_core_commands_need_no_extra(tmp_path: Path) -> None:
    for name in ("policies", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name)
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "policy"], cwd=tmp_path, check=True)
    validated = core(tmp_path, "validate", "--strict", ".")
    assert validated.returncode == 0, validated.stderr
    planned = core(
        tmp_path, "plan", "--accounts", ACCOUNTS, "--history", HISTORY, "--as-of", "2026-11-28", "--out", "p"
    )
    assert planned.returncode == 0, planned.stderr
    summary = json.loads((tmp_path / "p" / "summary.json").read_text(encoding="utf-8"))
    assert summary["accounts_in"] == 66
    explained = core(tmp_path, "explain", "CN-0001", "--accounts", ACCOUNTS, "--as-of", "2026-11-28")
    assert explained.returncode == 0 and "CN-0001" in explained.stdout, explained.stderr
    account = {"account_id": "G1", "jurisdiction": "US", "currency": "USD", "overdue_amount": "10"}
    account |= {"due_date": "2026-10-01", "phone": "+12125550100"}
    request = {"account": account, "channel": "call", "at": "2026-11-02T20:59:00-05:00"}
    diffed = core(tmp_path, "diff", "--base", "HEAD", "--accounts", ACCOUNTS, "--as-of", "2026-11-28")
    assert diffed.returncode == 0 and diffed.stdout.startswith("<!-- dunning-diff -->"), diffed.stderr
    gated = core(tmp_path, "gate", "-", stdin=json.dumps(request) + "\n")
    assert gated.returncode == 0 and json.loads(gated.stdout)["legal_verdict"] == "allow", gated.stderr


def test_parquet_without_its_extra(tmp_path: Path) -> None:
    import polars as pl

    pl.read_csv(ACCOUNTS, infer_schema=False).write_parquet(tmp_path / "accounts.parquet")
    for name in ("policies", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name)
    planned = core(tmp_path, "plan", "--accounts", "accounts.parquet", "--as-of", "2026-11-28", "--out", "pq")
    assert (planned.returncode, planned.stderr) == (
        2,
        "error: Parquet input needs the 'parquet' extra: pip install 'dunning[parquet]'\n",
    )
    assert not (tmp_path / "pq").exists()
