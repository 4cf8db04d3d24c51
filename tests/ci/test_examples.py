"""The shipped pre-commit hook and GitHub Actions workflow run what they claim to run."""

from __future__ import annotations

import re

import yaml
from click.testing import CliRunner

from dunning.cli import main

from .workflow_support import ROOT, load_workflow


def test_pre_commit_hook() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "dunning-validate"
    assert hook["entry"] == "dunning validate --strict"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("policies/tiers.yaml") and files.search("templates/sms/sms-early.zh-CN.j2")
    assert not files.search("README.md")
    # the entry is a real command line of this CLI
    args = hook["entry"].split()[1:]
    assert CliRunner().invoke(main, [*args, str(ROOT)]).exit_code == 0


def test_github_workflow_validates_with_annotations_and_uploads_sarif() -> None:
    flow = load_workflow("policy-ci.yml")
    steps = flow["jobs"]["validate"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert "dunning validate --format github --strict ." in runs
    assert any(r.startswith("dunning validate --format sarif . > dunning.sarif") for r in runs)
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "dunning.sarif"
    assert flow["permissions"]["security-events"] == "write"
    assert "pull_request" in flow["on"]
