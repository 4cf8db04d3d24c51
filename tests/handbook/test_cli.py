"""`dunning handbook build`: exit codes and messages (no traceback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dunning.cli import main

from .handbook_support import ROOT, copy_example


def test_build_writes_the_site_and_says_where(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    result = CliRunner().invoke(
        main, ["handbook", "build", str(root), "--out", str(tmp_path / "out"), "--as-of", "2026-11-28"]
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"handbook: {tmp_path / 'out' / 'handbook' / 'index.html'}\n"
    assert (tmp_path / "out" / "handbook" / "tiers.html").is_file()


def test_without_as_of_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    result = CliRunner().invoke(main, ["handbook", "build", str(root), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "error: no --as-of date and the policy is not in git" in result.output
    assert "hint: pass the date the holiday calendar starts from: --as-of YYYY-MM-DD" in result.output
    assert not (tmp_path / "out").exists()


def test_a_broken_policy_is_refused_with_its_problems(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    (root / "policies" / "tiers.yaml").write_text("tiers:\n  - id: early\n    dpd: {min: 1, max: 7\n")
    result = CliRunner().invoke(
        main, ["handbook", "build", str(root), "--out", str(tmp_path / "out"), "--as-of", "2026-11-28"]
    )
    assert result.exit_code == 1
    assert "policies/tiers.yaml:" in result.output
    assert "error: the policy has errors; fix them first (`dunning validate`)" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_build_and_handbook_build_validate_once_and_show_the_same_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the review page shows the findings of the validation the command already ran: the
    # semantic rules run once per command (they ran twice, ≈ 0.2 s of CPU, until 2026-12-07)
    import dunning.validate
    from dunning.rules import run_rules as rules

    root = copy_example(tmp_path / "repo")
    runs: list[Path] = []

    def counted(policy: Any, repo: Any) -> Any:
        runs.append(Path(policy.root))
        return rules(policy, repo)

    monkeypatch.setattr(dunning.validate, "run_rules", counted)
    monkeypatch.chdir(root)
    (root / "accounts.csv").write_bytes((ROOT / "examples" / "accounts.csv").read_bytes())
    common = ["--as-of", "2026-11-28", "-q"]
    built = CliRunner().invoke(
        main, ["build", "--accounts", "accounts.csv", "--out", "out", "--jobs", "1", "--no-pdf", *common, "."]
    )
    assert built.exit_code == 0, built.output
    assert len(runs) == 1
    alone = CliRunner().invoke(main, ["handbook", "build", "--out", "hb", *common, "."])
    assert alone.exit_code == 0, alone.output
    assert len(runs) == 2
    review = Path("out/handbook-src/docs/review.md").read_text(encoding="utf-8")
    assert review == Path("hb/handbook-src/docs/review.md").read_text(encoding="utf-8")
    assert "| [L002](rules.md#l002) |" in review  # the example's acknowledged finding
