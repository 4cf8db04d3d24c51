"""No input makes `dunning validate` print a traceback: exit 1 (findings) or 2 (usage/I-O)."""

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

BASE = Path(__file__).resolve().parent / "cases" / "_base"


def repo_with(tmp_path: Path, name: str, content: bytes) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    (repo / "policies" / name).write_bytes(content)
    return repo


def billion_laughs() -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{','.join(['*' + prev] * 9)}]")
    return ("\n".join(lines) + "\n").encode()


HOSTILE = {
    "malformed": (b"tiers:\n  - {id: x\n  dpd: [1, 2\n", "Y001", 1),
    "binary": (bytes(range(256)) * 4, "Y007", 1),
    "empty": (b"", "Y008", 0),  # a warning only: exit 0 unless --strict
    "list-not-mapping": (b"- id: early\n  dpd: {min: 1}\n", "S008", 1),
    "deep-flow": (b"tiers: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", "Y005", 1),
    "deep-block": (b"tiers:\n  " + b"- " * 10_000 + b"x\n", "Y005", 1),
    "python-tag": (b"tiers: !!python/object/apply:os.system ['echo pwned']\n", "Y004", 1),
    "python-name": (b"x: !!python/name:os.system\n", "Y004", 1),
    "billion-laughs": (billion_laughs(), "Y005", 1),
    "huge-string": (b"portfolio_notes: '" + b"x" * (5 * 1024 * 1024) + b"'\n", "S001", 1),
    "huge-list": (b"tiers:\n" + b"  - {id: t, dpd: {min: 1}}\n" * 200_000, "Y005", 1),
    "too-big": (b"# " + b"x" * (9 * 1024 * 1024) + b"\n", "Y007", 1),
    "cycle": (b"a: &a [*a]\n", "Y005", 1),
    "utf16": ("tiers: []\n".encode("utf-16"), "Y007", 1),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_a_finding_not_a_crash(name: str, tmp_path: Path) -> None:
    content, code, exit_code = HOSTILE[name]
    repo = repo_with(tmp_path, "hostile.yaml", content)
    result = CliRunner().invoke(main, ["validate", str(repo), "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == exit_code
    assert f'"code": "{code}"' in result.output
    assert '"file": "policies/hostile.yaml"' in result.output


def test_no_pwned_side_effect(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    content = f"x: !!python/object/apply:os.system ['touch {marker}']\n".encode()
    repo = repo_with(tmp_path, "hostile.yaml", content)
    CliRunner().invoke(main, ["validate", str(repo)])
    assert not marker.exists()


def test_template_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET {{ account.name }}", encoding="utf-8")
    target = repo / "templates" / "sms" / "sms-reminder.en-US.j2"
    target.unlink()
    os.symlink(secret, target)
    result = CliRunner().invoke(main, ["validate", str(repo), "--format", "text"])
    assert result.exit_code == 1
    assert "templates/sms/sms-reminder.en-US.j2:1:1: error T010" in result.output
    assert "TOP SECRET" not in result.output


def test_unreadable_policy_file_is_a_usage_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    repo = repo_with(tmp_path, "locked.yaml", b"tiers: []\n")
    (repo / "policies" / "locked.yaml").chmod(0)
    result = CliRunner().invoke(main, ["validate", str(repo)])
    assert result.exit_code == 2 and "cannot read policies/locked.yaml" in result.output


def test_real_process_deep_nesting_prints_no_traceback(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "deep.yaml", b"a: " + b"{b: " * 20_000 + b"1" + b"}" * 20_000 + b"\n")
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from dunning.cli import main; sys.exit(main())", "validate", str(repo)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == 1
    assert "policies/deep.yaml" in proc.stdout and "Y005" in proc.stdout


@pytest.mark.parametrize(
    ("template", "code", "line"),
    [
        ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "T001", 1),  # Jinja's parser recursion
        ("ok\n{% for i in range(10**9) %}x{% endfor %} {{ compliance.opt_out }}", "T011", 2),  # bounded range
        ("{{ ''.__class__.__mro__[1].__subclasses__() }} {{ compliance.opt_out }}", "T011", 1),  # sandbox escape
        ("{{ account.name * 100000000 }} {{ compliance.opt_out }}", "T011", 1),  # output amplification
    ],
)
def test_hostile_templates_are_findings(template: str, code: str, line: int, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    (repo / "templates" / "sms" / "sms-reminder.zh-CN.j2").write_text("【{{ company.sms_signature }}】" + template)
    result = CliRunner().invoke(main, ["validate", str(repo), "--format", "json"])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1
    assert "Traceback" not in result.output
    problems = json.loads(result.output)["problems"]
    found = [(p["file"], p["line"], p["code"]) for p in problems if p["code"] == code]
    assert found == [("templates/sms/sms-reminder.zh-CN.j2", line, code)]


def test_excerpt_of_a_huge_line_is_a_window(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "hostile.yaml", b"tiers: " + b"x" * 3_000_000 + b"\n")
    result = CliRunner().invoke(main, ["validate", str(repo), "--format", "text"])
    assert result.exit_code == 1
    assert "policies/hostile.yaml:1:8: error S003" in result.output
    assert max(len(line) for line in result.output.splitlines()) < 300
