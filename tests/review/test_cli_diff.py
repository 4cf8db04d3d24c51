"""``dunning diff`` end to end: exit codes, Markdown comment, JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dunning.cli import main

from .review_support import commit_all, git


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["diff", *args])
    return result.exit_code, result.stdout, result.stderr


def test_markdown_comment_starts_with_marker_and_summary(policy_git: Path) -> None:
    code, out, _ = _run("--base", "base", "--head", "main", str(policy_git))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "<!-- dunning-diff -->"
    base, head = (git(policy_git, "rev-parse", ref)[:12] for ref in ("base", "main"))
    assert lines[1] == f"### Policy diff: `base` ({base}) → `main` ({head})"
    assert lines[3] == (
        "**43 changes**: Compliance packs 2 · Stricter law settings 2 · Tiers 6 · Strategies 1 · "
        "Cadence steps 5 · Contact windows 3 · Blackout dates 3 · Frequency caps 3 · Exclusions 3 · Offers 4 · "
        "Experiments 1 · Experiment arms 2 · Templates 5 · Other template files 3. ⚖️ **4 law changes.**"
    )
    assert "- ⚖️ Jurisdiction `CN` now applies compliance pack `cn-extra`. — `policies/policy.yaml:13:3`" in lines
    assert "- Strategy `early`: email step on day 14 removed. — `policies/policy.yaml:52:9` (base)" in lines
    assert "  <details><summary>word diff</summary>" in lines


def test_json_is_sorted_and_stable(policy_git: Path) -> None:
    code, out, _ = _run("--base", "base", "--head", "main", "--format", "json", str(policy_git))
    assert code == 0
    data = json.loads(out)
    assert list(data) == sorted(data)
    assert data["schema_version"] == 1
    assert data["base"]["label"] == "base" and len(data["base"]["commit"]) == 40
    assert len(data["changes"]) == 43
    assert data["changes"][0] == {
        "after": "cn-extra",
        "before": None,
        "detail": "",
        "kind": "pack.added",
        "law": True,
        "path": "jurisdictions/CN/packs/cn-extra",
        "side": "head",
        "source": "policies/policy.yaml:13:3",
        "summary": "Jurisdiction `CN` now applies compliance pack `cn-extra`.",
    }
    assert data["impact"] is None and data["failed"] is False
    assert _run("--base", "base", "--head", "main", "--format", "json", str(policy_git))[1] == out


def test_fail_on_sets_exit_code_1_only_when_a_condition_holds(policy_git: Path) -> None:
    code, out, _ = _run("--base", "base", "--head", "main", "--fail-on", "any-law-change", str(policy_git))
    assert code == 1
    assert "❌ **Fails**: `any-law-change` (measured 4)" in out
    code, out, _ = _run("--base", "base", "--head", "main", "--fail-on", "changes>43", str(policy_git))
    assert code == 0
    assert "✅ No `--fail-on` condition holds: `changes>43` (43)" in out


def test_no_changes(policy_git: Path) -> None:
    code, out, _ = _run("--base", "main", str(policy_git))
    assert code == 0
    assert "**No semantic changes**: the head policy does the same as the base policy." in out
    assert "→ the working tree" in out


def test_bad_revision_is_a_usage_error_with_a_hint(policy_git: Path) -> None:
    code, out, err = _run("--base", "no-such-branch", str(policy_git))
    assert (code, out) == (2, "")
    assert err == (
        "error: unknown git revision 'no-such-branch'\n"
        "  hint: fetch it first (`git fetch origin main`); in GitHub Actions check out with `fetch-depth: 0`, "
        "or pass a commit id\n"
    )
    code, _, err = _run("--base", "--upload-pack=touch /tmp/x", str(policy_git))
    assert code == 2 and "is not a git revision" in err


def test_bad_condition_is_a_usage_error(policy_git: Path) -> None:
    code, _, err = _run("--base", "main", "--fail-on", "tier-moves>>5", str(policy_git))
    assert code == 2
    assert err.startswith("error: --fail-on 'tier-moves>>5': not a condition\n  hint: write METRIC")


def test_not_a_git_repository(example_copy: Path) -> None:
    code, _, err = _run("--base", "main", str(example_copy))
    assert code == 2 and "is not inside a git work tree" in err


def test_base_that_does_not_compile(policy_git: Path) -> None:
    (policy_git / "policies" / "policy.yaml").write_text("tiers: [oops\n", encoding="utf-8")
    commit_all(policy_git, "broken")
    code, _, err = _run("--base", "HEAD", "--head", "base", str(policy_git))
    assert code == 2
    assert err.startswith("error: the policy at HEAD (")
    assert "hint: run `dunning validate` on HEAD" in err


def test_unsafe_link_in_a_revision_is_refused(policy_git: Path) -> None:
    (policy_git / "templates" / "evil.j2").symlink_to("/etc/passwd")
    commit_all(policy_git, "a link out of the repository")
    code, _, err = _run("--base", "HEAD", str(policy_git))
    assert code == 2
    assert "holds an unsafe file" in err


def test_link_base_links_yaml_locations_at_their_commit(policy_git: Path) -> None:
    code, out, _ = _run(
        "--base", "base", "--head", "main", "--link-base", "https://github.com/o/r/blob/", str(policy_git)
    )
    assert code == 0
    base, head = (git(policy_git, "rev-parse", ref) for ref in ("base", "main"))
    lines = out.splitlines()
    assert (
        "- Strategy `early`: email step on day 14 removed. — "
        f"[`policies/policy.yaml:52:9` (base)](https://github.com/o/r/blob/{base}/policies/policy.yaml#L52)"
    ) in lines
    assert (
        "- Cap `calls-per-week`: maximum contacts changed from 4 to 3. — "
        f"[`policies/policy.yaml:123:5`](https://github.com/o/r/blob/{head}/policies/policy.yaml#L123)"
    ) in lines
    # The working tree has no commit to link to.
    _, out, _ = _run("--base", "base", "--link-base", "https://github.com/o/r/blob", str(policy_git))
    assert "- Cap `calls-per-week`: maximum contacts changed from 4 to 3. — `policies/policy.yaml:123:5`" in out
