"""The handbook's Results page: figures for groups of ten or more, nothing about smaller ones,
never an account id or an amount."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from dunning.cli import main

from .results_support import write_portfolio

DATA = Path(__file__).parent / "data"


def build(example_root: Path, out: Path, start: Path, end: Path, history: Path) -> Path:
    result = CliRunner().invoke(
        main,
        [
            "handbook",
            "build",
            str(example_root),
            "--out",
            str(out),
            "--as-of",
            "2026-11-30",
            "--history",
            str(history),
            "--accounts",
            str(start),
            "--accounts-end",
            str(end),
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_results_page_shows_rates_of_groups_of_ten_or_more(example_root: Path, tmp_path: Path) -> None:
    out = build(example_root, tmp_path / "out", *write_portfolio(tmp_path))
    page = (out / "handbook-src" / "docs" / "results.md").read_text(encoding="utf-8")
    assert "| reminder | 15 | 100.0 % | 0.0 % | – | – | 100.0 % | 0.0 % |" in page
    # mid: 15 attempted, 5 reached by a right-party contact; none promised; all rolled to late
    assert "| mid | 15 | 33.3 % | 33.3 % | 0.0 % | – | 0.0 % | 100.0 % |" in page
    assert "| 2026-11-01 – 2026-11-07 | 15 | 100.0 % | 0.0 % | – |" in page
    assert "| 2026-11-08 – 2026-11-14 | 20 | 33.3 % | 33.3 % | 0.0 % |" in page
    assert "| 2026-11-15 – 2026-11-21 | fewer than 10 accounts attempted | | | |" in page
    assert "<title>Cure rate by tier</title>" in page
    site = (out / "handbook" / "results.html").read_text(encoding="utf-8")
    assert "Cure rate by tier" in site
    for forbidden in ("R00", "M14", "300.00", "900.00", "+8613800000"):
        assert forbidden not in site


def test_results_page_hides_every_group_under_ten(example_root: Path, tmp_path: Path) -> None:
    out = build(example_root, tmp_path / "out", DATA / "start.csv", DATA / "end.csv", DATA / "history.csv")
    page = (out / "handbook-src" / "docs" / "results.md").read_text(encoding="utf-8")
    assert "| reminder | fewer than 10 | | | | | | |" in page
    assert "| early-empathetic | fewer than 10 | | | | | | |" in page
    assert "accounts: champion fewer than 10, challenger fewer than 10" in page
    assert "%" not in page.split("## By tier", 1)[1].split("## Week by week", 1)[0]
    site = (out / "handbook" / "results.html").read_text(encoding="utf-8")
    index = json.loads((out / "handbook" / "search" / "search_index.json").read_text(encoding="utf-8"))
    site += json.dumps([d for d in index["docs"] if d["location"].startswith("results")], ensure_ascii=False)
    assert "fewer than 10" in site
    for account in ("R1", "R2", "E1", "E2", "E3", "E5", "M1", "M2", "L1"):
        assert re.search(rf"\b{account}\b", site) is None
    for amount in ("500.00", "1000.00", "5000.00", "400.00", "+8613800000"):
        assert amount not in site


def test_a_results_page_needs_all_its_inputs(example_root: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["handbook", "build", str(example_root), "--out", str(tmp_path / "o"), "--as-of", "2026-11-30",
         "--history", str(DATA / "history.csv")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "a Results page needs --history, --accounts, --from and --to together" in result.output
    assert not (tmp_path / "o").exists()
