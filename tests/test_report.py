"""Reporters: GitHub workflow commands (escaping, caps, summary) and SARIF 2.1.0."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.problems import Level, Problem
from dunning.report import github, sarif

DATA = Path(__file__).resolve().parent / "data"
CASES = Path(__file__).resolve().parent / "cases"


def problem(n: int, level: Level = Level.ERROR, **kw: str) -> Problem:
    return Problem(
        kw.get("file", "policies/tiers.yaml"), n, 3, level, kw.get("code", "P102"), kw.get("message", f"m{n}"), "h"
    )


def test_github_escapes_data_and_properties() -> None:
    p = Problem("policies/a,b:c.yaml", 4, 7, Level.ERROR, "S001", "100% wrong\r\nnext", "fix: it")
    assert github.annotation(p) == (
        "::error file=policies/a%2Cb%3Ac.yaml,line=4,col=7,title=S001::100%25 wrong%0D%0Anext%0Ahint: fix: it"
    )


def test_github_whole_file_finding_has_no_line() -> None:
    p = Problem("policies", 0, 0, Level.ERROR, "X003", "no portfolio", "")
    assert github.annotation(p) == "::error file=policies,title=X003::no portfolio"


def test_github_caps_annotations_per_level_but_lists_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    problems = sorted([problem(i) for i in range(1, 13)] + [problem(100 + i, Level.WARNING) for i in range(11)])
    lines = github.render(problems).splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert sum(line.startswith("::warning ") for line in lines) == 10
    assert lines[20] == (
        "::notice title=dunning validate::2 error(s), 1 warning(s) not shown as annotations "
        "(GitHub shows 10 of each level per step); all are listed below"
    )
    plain = [line for line in lines if line.startswith("policies/")]
    assert len(plain) == 23
    assert plain[0] == "policies/tiers.yaml:1:3: error P102 m1 (hint: h)"
    assert lines[-1] == "12 error(s), 11 warning(s), 0 note(s)"


def test_github_appends_step_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    github.render([problem(2, message="a | b")])
    assert summary.read_text(encoding="utf-8") == (
        "earlier step\n"
        "## dunning validate: ❌ policy has errors\n\n**1 error(s), 0 warning(s), 0 note(s)**\n\n"
        "| Location | Level | Code | Message |\n| --- | --- | --- | --- |\n"
        "| `policies/tiers.yaml:2:3` | error | P102 | a \\| b — hint: h |\n\n"
    )


def test_auto_format_is_github_inside_actions(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CASES / "_base", repo)
    shutil.copytree(CASES / "tier-overlap" / "policies", repo / "policies", dirs_exist_ok=True)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": ""}
    result = CliRunner().invoke(main, ["validate", str(repo)], env=env)
    assert result.exit_code == 0
    assert result.output.startswith("::warning file=policies/tiers.yaml,line=4,col=5,title=P102::")
    # outside Actions auto is text
    result = CliRunner().invoke(main, ["validate", str(repo)], env={"GITHUB_ACTIONS": ""})
    assert result.output.startswith("policies/tiers.yaml:4:5: warning P102")


def _sarif_for(case: str, tmp_path: Path) -> dict[str, object]:
    repo = tmp_path / case
    shutil.copytree(CASES / "_base", repo)
    for part in ("policies", "templates"):
        if (CASES / case / part).is_dir():
            shutil.copytree(CASES / case / part, repo / part, dirs_exist_ok=True)
    result = CliRunner().invoke(main, ["validate", str(repo), "--format", "sarif"])
    assert result.exit_code == 1
    doc: dict[str, object] = json.loads(result.output)
    return doc


def test_sarif_is_valid_and_exact(tmp_path: Path) -> None:
    doc = _sarif_for("template-variables", tmp_path)
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    run = doc["runs"][0]  # type: ignore[index]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    t002 = next(r for r in rules if r["id"] == "T002")
    assert t002["name"] == "template-undeclared"
    assert t002["defaultConfiguration"] == {"level": "error"}
    assert "Passing::" in t002["help"]["text"] and "Failing" in t002["help"]["text"]
    first = run["results"][0]
    assert first["ruleId"] == "T002"
    assert rules[first["ruleIndex"]]["id"] == "T002"
    assert first["level"] == "error"
    assert first["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "templates/email/email-reminder.en-US.j2"},
                "region": {"startLine": 2, "startColumn": 60},
            }
        }
    ]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]] == [
        ("T002", 2),
        ("T004", 4),
        ("T003", 6),
        ("T003", 6),
    ]


def test_sarif_is_byte_identical_across_runs() -> None:
    problems = [problem(1), problem(2, Level.WARNING), Problem("policies", 0, 0, Level.ERROR, "X003", "x", "")]
    assert sarif.render(problems) == sarif.render(problems)
    doc = json.loads(sarif.render(problems))
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    assert "region" not in doc["runs"][0]["results"][2]["locations"][0]["physicalLocation"]
    assert doc["runs"][0]["results"][1]["level"] == "warning"


def test_github_unwritable_summary_is_a_warning_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing-dir" / "summary.md"))
    lines = github.render([problem(2)]).splitlines()
    assert lines[0].startswith("::error file=policies/tiers.yaml,line=2,col=3,title=P102::")
    assert lines[-1].startswith("::warning title=dunning validate::cannot write the job summary: ")
