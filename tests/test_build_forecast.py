"""`dunning build --forecast-days N` adds the simulation's forecast page to the handbook."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dunning.cli import main


def test_forecast_page_is_built_and_in_the_nav(example_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        "build", "--accounts", str(example_root / "examples" / "accounts.csv"),
        "--history", str(example_root / "examples" / "history.csv"), "--as-of", "2026-11-28",
        "--out", str(out), "--no-pdf", "--forecast-days", "5", "--quiet", str(example_root),
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    page = (out / "handbook-src" / "docs" / "forecast.md").read_text(encoding="utf-8")
    assert "The policy projected over 5 days from 2026-11-28 on 59 accounts" in page
    assert "| call | 58 | 10 | 5 | 64 | 2026-11-28 | 19 |" in page
    assert (out / "handbook" / "forecast.html").is_file()
    assert (out / "handbook" / "forecast" / "load.svg").is_file()
    assert 'href="forecast.html"' in (out / "handbook" / "index.html").read_text(encoding="utf-8")
