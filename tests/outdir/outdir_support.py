"""Helpers for the output-directory tests: a scratch policy repository, tree snapshots, the CLI
in a child process (which a test can kill at a chosen file-system step)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from process_support import ctrl_c_on

ROOT = Path(__file__).resolve().parents[2]
DEMO = ("--accounts", "examples/accounts.csv", "--history", "examples/history.csv")
CLI = [sys.executable, "-c", "import sys; from dunning.cli import main; sys.exit(main())"]


def policy_repo(folder: Path) -> Path:
    """A copy of the bundled example repository (policy, templates, site, examples) in ``folder``."""
    for name in ("policies", "templates", "site", "examples"):
        shutil.copytree(ROOT / name, folder / name)
    return folder


def tree(root: Path) -> dict[str, object]:
    """Every entry under ``root``: a file's bytes and mode, a folder's mode, a link's target."""
    seen: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_symlink():
            seen[name] = ("link", os.readlink(path))
        elif path.is_dir():
            seen[name] = ("dir", mode)
        else:
            seen[name] = ("file", mode, path.read_bytes())
    return seen


def contents(root: Path) -> dict[str, bytes]:
    """The files under ``root`` and their bytes (modes left out)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``dunning ARGS`` in a child process (so that it can be killed) with extra ``env``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    environment.update(env)
    return subprocess.run(
        [*CLI, *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False, preexec_fn=ctrl_c_on
    )


def start_cli(args: list[str], cwd: Path, **env: str) -> subprocess.Popen[str]:
    """``dunning ARGS`` started in a child process, not waited for."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    environment.update(env)
    return subprocess.Popen(
        [*CLI, *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_on,
    )
