"""The rule catalogue the handbook and SARIF print: complete, documented, deterministic."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.problems import Level
from dunning.rules import RULES, catalogue

PACKAGE = Path(__file__).resolve().parents[1] / "generator" / "dunning"
CASES = Path(__file__).resolve().parent / "cases"


def test_every_rule_module_documents_itself() -> None:
    for code, rule in RULES.items():
        doc = rule.__doc__ or ""
        assert doc.startswith(f"{code} {rule.NAME}: "), code
        assert "Passing" in doc and "Failing" in doc, code
        assert re.fullmatch(r"[a-z0-9-]+", rule.NAME), code
        assert isinstance(rule.LEVEL, Level), code


def test_catalogue_covers_every_code_the_stages_raise() -> None:
    raised = set()
    for module in ("load/yaml_source.py", "load/repository.py", "policy/schema.py", "policy/compile.py"):
        raised |= set(re.findall(r'"([YSX]\d{3})"', (PACKAGE / module).read_text(encoding="utf-8")))
    codes = [doc.code for doc in catalogue()]
    assert codes == sorted(codes)
    assert raised <= set(codes)
    assert set(RULES) <= set(codes)


def test_catalogue_entries() -> None:
    docs = {doc.code: doc for doc in catalogue()}
    assert docs["Y002"].name == "duplicate-key"
    assert docs["Y002"].summary == "a mapping has the same key twice."
    assert docs["P103"].summary == "every account a tier could take is taken by earlier tiers."
    assert docs["P103"].level is Level.ERROR
    assert docs["T005"].body.startswith("Each SMS template is rendered")
    for doc in docs.values():
        assert doc.summary and "Passing" in doc.doc and "Failing" in doc.doc, doc.code


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_output_is_byte_identical_across_runs(fmt: str, tmp_path: Path) -> None:
    outputs = []
    for run in range(2):
        repo = tmp_path / f"run{run}"
        shutil.copytree(CASES / "_base", repo)
        for case in ("template-tone", "offers", "experiments"):
            for part in ("policies", "templates"):
                if (CASES / case / part).is_dir():
                    shutil.copytree(CASES / case / part, repo / part, dirs_exist_ok=True)
        result = CliRunner().invoke(main, ["validate", str(repo), "--format", fmt], env={"GITHUB_STEP_SUMMARY": ""})
        assert result.exit_code == 1
        outputs.append(result.output)
    assert outputs[0] == outputs[1]
    assert "offers.yaml" in outputs[0] and "email-reminder.en-US.j2" in outputs[0]
