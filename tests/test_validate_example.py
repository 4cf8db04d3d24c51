"""The bundled example validates clean, and a schema mistake is found at its place."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dunning.cli import main


def test_example_is_clean(example_root: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(example_root), "--strict", "--format", "text"])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("0 error(s), 0 warning(s), 0 note(s), 4 acknowledged\n")


def test_unknown_key_has_did_you_mean(example_copy: Path) -> None:
    tiers = example_copy / "policies" / "tiers.yaml"
    tiers.write_text(tiers.read_text() + "  - id: extra\n    dpdd: 5\n    dpd: {min: 999}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(example_copy), "--format", "text"])
    assert result.exit_code == 1
    line = len(tiers.read_text().splitlines()) - 1
    assert f"policies/tiers.yaml:{line}:5: error S001 unknown key 'dpdd'" in result.output
    assert "did you mean 'dpd'?" in result.output


def test_missing_repository_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no `policies/` folder" in result.output


def test_quiet_reports_only_what_fails_the_run(example_copy: Path) -> None:
    # the example acknowledges its four L002 notes: listed once normally, not with --quiet;
    # an error is reported with --quiet alone, without them
    loud = CliRunner().invoke(main, ["validate", str(example_copy), "--format", "text"])
    assert (loud.exit_code, loud.output.count(" info L002 ")) == (0, 0)
    assert loud.output.startswith("acknowledged:\n  L002 policies/strategies.yaml:39:9, 69:9, 100:9, 172:9\n")
    quiet = CliRunner().invoke(main, ["validate", str(example_copy), "--format", "text", "--quiet"])
    assert (quiet.exit_code, quiet.output) == (0, "")
    tiers = example_copy / "policies" / "tiers.yaml"
    tiers.write_text(tiers.read_text() + "  - id: extra\n    dpdd: 5\n    dpd: {min: 999}\n", encoding="utf-8")
    quiet = CliRunner().invoke(main, ["validate", str(example_copy), "--format", "text", "-q"])
    assert quiet.exit_code == 1
    assert " error S001 unknown key 'dpdd'" in quiet.output
    assert " info " not in quiet.output and "acknowledged" not in quiet.output
    assert quiet.output.endswith("error(s), 0 warning(s), 0 note(s)\n")
