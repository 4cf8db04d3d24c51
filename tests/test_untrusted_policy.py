"""Policy files, templates and handbook pages arrive by pull request: a symlink out of the
repository is refused and never read, a huge file is refused before it is parsed, and
`gate` refuses a policy that validate rejects."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.templating.sandbox import RenderError, TemplateSandbox

ROOT = Path(__file__).resolve().parents[1]
BASE = Path(__file__).resolve().parent / "cases" / "_base"
SECRET = "TOP-SECRET-LINE: hunter2"


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    (tmp_path / "secret.txt").write_text(f"{SECRET}\nsecond: line\n", encoding="utf-8")
    return repo


def _example(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    for name in ("policies", "templates", "site"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, repo / name)
    (tmp_path / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    return repo


def test_a_policy_symlink_out_of_the_repository_is_named_never_printed(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    os.symlink(tmp_path / "secret.txt", repo / "policies" / "zz.yaml")
    for fmt in ("text", "json", "github", "sarif"):
        result = CliRunner().invoke(main, ["validate", str(repo), "--format", fmt], env={"GITHUB_STEP_SUMMARY": ""})
        assert result.exit_code == 1, result.output
        assert SECRET not in result.output and "hunter2" not in result.output
        assert "policies/zz.yaml" in result.output
    text = CliRunner().invoke(main, ["validate", str(repo), "--format", "text"]).output
    assert (
        "policies/zz.yaml:1:1: error Y009 policies/zz.yaml resolves outside the repository "
        "(a symlink out of it); it was not read" in text
    )


def test_a_policy_folder_symlinked_out_is_refused(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "tiers.yaml").write_text(f"# {SECRET}\ntiers: [\n", encoding="utf-8")
    os.symlink(outside, repo / "policies" / "more")
    result = CliRunner().invoke(main, ["validate", str(repo), "--format", "json"])
    assert result.exit_code == 1
    findings = json.loads(result.output)["problems"]
    assert [(f["file"], f["code"]) for f in findings] == [("policies/more", "Y009")]
    assert "hunter2" not in result.output


def test_an_included_template_symlinked_out_is_refused_by_the_loader(tmp_path: Path) -> None:
    templates = tmp_path / "repo" / "templates"
    templates.mkdir(parents=True)
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    os.symlink(tmp_path / "secret.txt", templates / "footer.j2")
    (templates / "sms.j2").write_text('Hi {% include "footer.j2" %}', encoding="utf-8")
    box = TemplateSandbox(templates)
    try:
        box.render("sms.j2", {})
    except RenderError as exc:
        assert str(exc) == (
            "templates/sms.j2:1: template path 'footer.j2' refused: it is a symlink that points outside "
            "templates/; templates are read only from templates/"
        )
    else:  # pragma: no cover - the assertion above is the test
        raise AssertionError("the include was not refused")


def test_a_site_page_or_image_symlinked_out_stops_the_handbook_build(tmp_path: Path) -> None:
    for name in ("leak.md", "leak.png"):
        repo = _example(tmp_path / name)
        (repo / "site" / "guide").mkdir(parents=True, exist_ok=True)
        os.symlink(tmp_path / name / "secret.txt", repo / "site" / "guide" / name)
        out = tmp_path / name / "out"
        result = CliRunner().invoke(main, ["handbook", "build", str(repo), "--out", str(out), "--as-of", "2026-11-28"])
        assert result.exit_code == 2, result.output
        assert result.output == (
            f"error: site/guide/{name} resolves outside the repository (a symlink out of it); the handbook "
            "publishes only files inside the repository\n"
            "  hint: replace the symlink with the file itself, or delete it\n"
        )
        leaked = (
            [p for p in out.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()] if out.exists() else []
        )
        assert leaked == []


def test_a_huge_template_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    big = repo / "templates" / "sms" / "sms-reminder.en-US.j2"
    big.write_text("{{ account.name }} " * (300 * 1024 // 19), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(repo), "--format", "text"])
    assert result.exit_code == 1
    assert (
        "templates/sms/sms-reminder.en-US.j2:1:1: error T010 template 'sms-reminder' (en-US) cannot be read: "
        "template 'sms/sms-reminder.en-US.j2' is larger than 256 KiB, the cap for templates" in result.output
    )


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads the peak from Linux's /proc")
def test_validate_memory_is_bounded_by_the_caps(tmp_path: Path) -> None:
    """A 10 MB template and a policy file just under its cap: validate's peak memory stays
    small (it was 2.0 GB for the template alone). Measured in a child process."""
    repo = _repo(tmp_path)
    (repo / "templates" / "sms" / "sms-reminder.en-US.j2").write_bytes(b"{{ account.name }}\n" * 500_000)
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from dunning.validate import validate\n"
        "_, problems = validate(Path(sys.argv[1]))\n"
        "print(sorted({p.code for p in problems}))\n"
        # VmHWM is this process's own peak; ru_maxrss would include the forking parent's
        "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        "print(int(hwm.split()[1]) // 1024)\n"
    )
    run = subprocess.run([sys.executable, "-c", probe, str(repo)], capture_output=True, text=True, check=True)
    codes, peak_mib = run.stdout.splitlines()
    assert codes == "['T010']"
    assert int(peak_mib) < 200, peak_mib


def test_gate_refuses_a_policy_that_fails_validate(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    tiers = repo / "policies" / "tiers.yaml"
    # a tier below one that takes all its accounts: P103, an error of the semantic rules
    tiers.write_text(tiers.read_text(encoding="utf-8") + "  - {id: shadow, dpd: {min: 1, max: 2}, strategy: early}\n")
    requests = tmp_path / "requests.jsonl"
    requests.write_text("{}\n", encoding="utf-8")
    checked = CliRunner().invoke(main, ["validate", str(repo), "--format", "text"])
    assert checked.exit_code == 1 and " error P103 " in checked.output
    result = CliRunner().invoke(main, ["gate", str(requests), str(repo)])
    assert result.exit_code == 1
    assert " error P103 " in result.output
    assert result.output.endswith("error: the policy has errors; fix them first (`dunning validate`)\n")
    assert "verdict" not in result.output
