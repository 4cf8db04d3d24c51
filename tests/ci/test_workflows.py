"""The GitHub Actions examples work as copied: each workflow's `run:` steps replayed in a
scratch policy repository, with dunning installed from this checkout where the workflow
installs it from git (no network), and the `if:` conditions GitHub would evaluate."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from .workflow_support import (
    ROOT,
    evaluate,
    install_from_checkout,
    load_workflow,
    offline_env,
    policy_repository,
    replay,
)

REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]["Repository"]
PINNED = re.compile(rf"dunning @ git\+{re.escape(REPOSITORY)}@[0-9a-f]{{40}}")
WORKFLOWS = ("policy-ci.yml", "policy-diff.yml")


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str]:
    """The step environment and the requirement that replaces the workflows' git URL."""
    venv, requirement = install_from_checkout(tmp_path_factory.mktemp("install"))
    return offline_env(venv), requirement


def github_context(repo: Path, *, fork: bool, event: str = "pull_request") -> dict[str, object]:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    return {
        "event_name": event,
        "repository": "lender/policy",
        "server_url": "https://github.com",
        "base_ref": "main",
        "event": {
            "pull_request": {
                "number": 7,
                "head": {"sha": head, "repo": {"full_name": "someone/policy" if fork else "lender/policy"}},
            }
        },
    }


def git(repo: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def pull_request(tmp_path: Path, env: dict[str, str], edit: tuple[str, str, str]) -> Path:
    """A policy repository whose branch `change` edits one file (path, old text, new text)
    on top of `main`, with `origin/main` fetched as `fetch-depth: 0` leaves it."""
    repo = policy_repository(tmp_path / "policy")
    git(repo, env, "init", "-q", "-b", "main")
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", "policy")
    git(tmp_path, env, "clone", "-q", "--bare", str(repo), str(tmp_path / "origin.git"))
    git(repo, env, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(repo, env, "fetch", "-q", "origin")
    git(repo, env, "checkout", "-q", "-b", "change")
    path, old, new = edit
    text = (repo / path).read_text(encoding="utf-8")
    assert old in text
    (repo / path).write_text(text.replace(old, new), encoding="utf-8")
    git(repo, env, "commit", "-q", "-am", "change")
    return repo


@pytest.mark.parametrize("name", WORKFLOWS)
def test_install_is_pinned_and_cache_free(name: str) -> None:
    flow = load_workflow(name)
    assert PINNED.fullmatch(flow["env"]["DUNNING"]), flow["env"]["DUNNING"]
    (steps,) = flow["jobs"].values()
    runs = [s["run"] for s in steps["steps"] if "run" in s]
    assert 'pip install "$DUNNING"' in runs
    setup = next(s for s in steps["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    # `cache: pip` needs a requirements file to key on; a policy repository has none
    assert "cache" not in setup["with"]


def test_pre_commit_example_pins_the_same_commit() -> None:
    config = yaml.safe_load((ROOT / "examples" / "pre-commit-config.yaml").read_text(encoding="utf-8"))
    (entry,) = config["repos"]
    assert entry["repo"] == REPOSITORY
    assert [h["id"] for h in entry["hooks"]] == ["dunning-validate"]
    for name in WORKFLOWS:
        assert load_workflow(name)["env"]["DUNNING"].endswith("@" + entry["rev"])


def test_policy_ci_on_a_clean_policy(tmp_path: Path, offline: tuple[dict[str, str], str]) -> None:
    env, requirement = offline
    repo = policy_repository(tmp_path / "policy")
    git(repo, env, "init", "-q", "-b", "main")
    flow = load_workflow("policy-ci.yml")
    job = replay(flow, "validate", repo, env, github_context(repo, fork=False), {"DUNNING": requirement})
    assert [(s.name, s.ran, s.code) for s in job.steps] == [
        ("actions/checkout@v4", True, None),
        ("actions/setup-python@v5", True, None),
        ("Install dunning", True, 0),
        ("Validate (annotations + job summary)", True, 0),
        ("Validate (SARIF for code scanning)", True, 0),
        ("Upload SARIF", True, None),
    ], job.steps
    assert "Successfully installed dunning-0.1.0" in job.step("Install dunning").output
    assert "## dunning validate: ✅ policy is valid" in job.summary
    sarif = json.loads((repo / "dunning.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["name"] == "dunning"


def test_policy_ci_on_a_policy_with_findings_from_a_fork(tmp_path: Path, offline: tuple[dict[str, str], str]) -> None:
    env, requirement = offline
    repo = policy_repository(tmp_path / "policy")
    tiers = repo / "policies" / "tiers.yaml"
    tiers.write_text(tiers.read_text(encoding="utf-8").replace("dpd: {min: 8, max: 30}", "dpd: {min: 9, max: 30}"))
    flow = load_workflow("policy-ci.yml")
    job = replay(flow, "validate", repo, env, github_context(repo, fork=True), {"DUNNING": requirement})
    assert [(s.name, s.ran, s.code) for s in job.steps][2:] == [
        ("Install dunning", True, 0),
        ("Validate (annotations + job summary)", True, 1),
        # the SARIF is written whatever the findings …
        ("Validate (SARIF for code scanning)", True, 0),
        # … and not uploaded with a fork's read-only token
        ("Upload SARIF", False, None),
    ]
    # a gap before tier 'early' leaves a step that never fires: a warning, which --strict fails
    log = job.step("Validate (annotations + job summary)").output
    assert "::warning file=policies/strategies.yaml,line=27,col=14,title=P110::" in log
    results = json.loads((repo / "dunning.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert ("P110", "warning") in {(r["ruleId"], r["level"]) for r in results}


@pytest.mark.parametrize(
    ("event", "fork", "uploads"),
    [("pull_request", False, True), ("pull_request", True, False), ("push", False, True), ("push", True, True)],
)
def test_sarif_upload_only_with_a_writable_token(tmp_path: Path, event: str, fork: bool, uploads: bool) -> None:
    upload = next(
        s for s in load_workflow("policy-ci.yml")["jobs"]["validate"]["steps"] if s.get("name") == "Upload SARIF"
    )
    tmp_path.joinpath(".git").mkdir()
    context = {"github": github_context(tmp_path, fork=fork, event=event), "job": {"ok": False}}
    assert evaluate(upload["if"], context) is uploads


def test_policy_diff_wording_change(tmp_path: Path, offline: tuple[dict[str, str], str]) -> None:
    env, requirement = offline
    repo = pull_request(
        tmp_path, env, ("policies/tiers.yaml", "One text and one email, nothing more.", "One text and one email.")
    )
    flow = load_workflow("policy-diff.yml")
    job = replay(flow, "diff", repo, env, github_context(repo, fork=False), {"DUNNING": requirement})
    assert [(s.name, s.ran, s.code) for s in job.steps][2:] == [
        ("Install dunning", True, 0),
        ("Diff the policy against the base branch", True, 0),
        ("Post or update the pull-request comment", True, None),
        ("Fail when a --fail-on condition holds", False, None),
    ], job.step("Diff the policy against the base branch").output
    assert job.step("Diff the policy against the base branch").outputs == {"exit_code": "0"}
    report = (repo / "policy-diff.md").read_text(encoding="utf-8")
    assert report.startswith("<!-- dunning-diff -->")
    assert "One text and one email." in report and report in job.summary


def test_policy_diff_crossing_a_limit_from_a_fork(tmp_path: Path, offline: tuple[dict[str, str], str]) -> None:
    env, requirement = offline
    repo = pull_request(tmp_path, env, ("policies/tiers.yaml", "dpd: {min: 8, max: 30}", "dpd: {min: 8, max: 20}"))
    tiers = repo / "policies" / "tiers.yaml"
    tiers.write_text(tiers.read_text(encoding="utf-8").replace("dpd: {min: 31, max: 60}", "dpd: {min: 21, max: 60}"))
    git(repo, env, "commit", "-q", "-am", "mid starts at 21")
    flow = load_workflow("policy-diff.yml")
    job = replay(flow, "diff", repo, env, github_context(repo, fork=True), {"DUNNING": requirement})
    assert [(s.name, s.ran, s.code) for s in job.steps][2:] == [
        ("Install dunning", True, 0),
        ("Diff the policy against the base branch", True, 0),
        ("Post or update the pull-request comment", False, None),
        ("Fail when a --fail-on condition holds", True, 1),
    ], job.step("Diff the policy against the base branch").output
    assert "tier-moves" in job.summary
    assert not job.succeeded
