"""Replays a GitHub Actions job on this machine: each `run:` step in bash, in a scratch policy
repository, with GitHub's own step files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) and `if:`
conditions evaluated; `uses:` steps are only decided (run or skipped), never executed.

The install step is replayed for real: dunning is built from a copy of this checkout into a
scratch virtual environment, offline (the environment borrows the test environment's
libraries through a .pth file, so no dependency is downloaded).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONTEXT_NAME = re.compile(r"\b(?:github|steps|env)(?:\.[A-Za-z_][\w-]*)+")


def load_workflow(name: str) -> dict[str, Any]:
    """A workflow of examples/github-actions/, with the `on:` key as a string (YAML 1.1 reads True)."""
    flow: dict[Any, Any] = yaml.safe_load((ROOT / "examples" / "github-actions" / name).read_text(encoding="utf-8"))
    if True in flow:
        flow["on"] = flow.pop(True)
    return flow


def install_from_checkout(scratch: Path) -> tuple[Path, str]:
    """A virtual environment in ``scratch`` ready to `pip install` this checkout offline, and
    the requirement that names the checkout (what the workflows' git URL is replaced with)."""
    source = scratch / "dunning-src"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for rel in filter(None, tracked):
        if (ROOT / rel).is_file():  # a file deleted in the work tree but not yet in the index
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, source / rel)
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    (purelib / "test-libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    pip = venv / "bin" / "pip"
    pip.write_text(
        f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n",
        encoding="utf-8",
    )
    pip.chmod(0o755)
    return venv, f"dunning @ {source.as_uri()}"


def offline_env(venv: Path) -> dict[str, str]:
    """The environment steps run in: the scratch venv first on PATH, pip offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "DUNNING_", "GITHUB_"))}
    env.pop("PYTHONPATH", None)  # the installed package, not the checkout on the path
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_NO_DEPS="1",  # the test environment already has every dependency
        PIP_NO_BUILD_ISOLATION="0",  # (sic) pip reads this as "no build isolation"
        PIP_IGNORE_INSTALLED="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        GIT_AUTHOR_NAME="ci",
        GIT_AUTHOR_EMAIL="ci@example.org",
        GIT_COMMITTER_NAME="ci",
        GIT_COMMITTER_EMAIL="ci@example.org",
    )
    return env


@dataclass
class StepRun:
    """What became of one step: run (with its exit code and output) or skipped."""

    name: str
    ran: bool
    code: int | None = None
    output: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class JobRun:
    """The steps of one replayed job, in order, and the job summary they wrote."""

    steps: list[StepRun]
    summary: str

    @property
    def succeeded(self) -> bool:
        return all(s.code in (None, 0) for s in self.steps)

    def step(self, name: str) -> StepRun:
        return next(s for s in self.steps if s.name == name)


def _lookup(context: Mapping[str, Any], dotted: str) -> Any:
    value: Any = context
    for part in dotted.split("."):
        value = value.get(part, "") if isinstance(value, Mapping) else ""
    return value


def evaluate(condition: str, context: Mapping[str, Any]) -> bool:
    """A step's `if:` as GitHub reads it, for the operators the examples use."""
    expr = EXPRESSION.sub(r"\1", condition)
    python = CONTEXT_NAME.sub(lambda m: repr(_lookup(context, m.group(0))), expr)
    python = python.replace("&&", " and ").replace("||", " or ").replace("always()", "True")
    python = python.replace("success()", repr(context["job"]["ok"])).replace(
        "failure()", repr(not context["job"]["ok"])
    )
    python = re.sub(r"!(?!=)", " not ", python)
    if re.search(r"[A-Za-z_]\w*\(", python):
        raise AssertionError(f"the replay does not know this function: {condition}")
    return bool(eval(python, {"__builtins__": {}}, {}))  # the workflow files of examples/ only


def substitute(text: str, context: Mapping[str, Any]) -> str:
    """`${{ … }}` replaced as GitHub does before the shell sees the script."""
    return EXPRESSION.sub(lambda m: str(_lookup(context, m.group(1))), text)


def replay(
    flow: Mapping[str, Any],
    job: str,
    repo: Path,
    env: Mapping[str, str],
    github: Mapping[str, Any],
    override: Mapping[str, str],
) -> JobRun:
    """Run ``job`` of ``flow`` in ``repo``: ``env`` is the process environment (the workflow's
    own `env:` is laid over it, then ``override``, then each step's), ``github`` the `github`
    context."""
    context: dict[str, Any] = {"github": github, "steps": {}, "job": {"ok": True}, "env": {}}
    base = {**env, **{k: substitute(str(v), context) for k, v in flow.get("env", {}).items()}, **override}
    context["env"] = base
    summary = repo.parent / "step-summary.md"
    summary.write_text("", encoding="utf-8")
    runs: list[StepRun] = []
    for step in flow["jobs"][job]["steps"]:
        name = step.get("name") or step.get("uses") or step["run"].splitlines()[0]
        condition = step.get("if", "success()")
        if "always()" not in condition and "failure()" not in condition and "success()" not in condition:
            condition = f"success() && ({condition})"
        if not evaluate(condition, context):
            runs.append(StepRun(name, ran=False))
            continue
        if "run" not in step:
            runs.append(StepRun(name, ran=True))
            continue
        outputs_file = repo.parent / "step-output"
        outputs_file.write_text("", encoding="utf-8")
        step_env = {**base, **{k: substitute(str(v), context) for k, v in step.get("env", {}).items()}}
        step_env.update(GITHUB_OUTPUT=str(outputs_file), GITHUB_STEP_SUMMARY=str(summary), GITHUB_ACTIONS="true")
        script = repo.parent / "step.sh"
        script.write_text(substitute(step["run"], context), encoding="utf-8")
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=repo,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        outputs = dict(
            line.split("=", 1) for line in outputs_file.read_text(encoding="utf-8").splitlines() if "=" in line
        )
        runs.append(StepRun(name, ran=True, code=done.returncode, output=done.stdout + done.stderr, outputs=outputs))
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs}
        if done.returncode != 0:
            context["job"]["ok"] = False
    return JobRun(runs, summary.read_text(encoding="utf-8"))


def policy_repository(path: Path) -> Path:
    """A policy repository as a team keeps one: the bundled example's policies, templates and
    sample snapshot, committed on `main` and pushed to an `origin` (a bare clone)."""
    path.mkdir(parents=True)
    for name in ("policies", "templates", "site"):
        shutil.copytree(ROOT / name, path / name)
    (path / "examples").mkdir()
    for name in ("accounts.csv", "history.csv"):
        shutil.copy2(ROOT / "examples" / name, path / "examples" / name)
    return path
