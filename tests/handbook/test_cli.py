"""`dunning handbook build`: exit codes and messages (no traceback)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dunning.cli import main

from .handbook_support import copy_example


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
