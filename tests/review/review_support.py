"""Git helpers for the review tests: reproducible commits of the fixture revisions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity and dates, so commits are reproducible."""
    env = {
        "GIT_AUTHOR_NAME": "Reviewer",
        "GIT_AUTHOR_EMAIL": "reviewer@example.invalid",
        "GIT_COMMITTER_NAME": "Reviewer",
        "GIT_COMMITTER_EMAIL": "reviewer@example.invalid",
        "GIT_AUTHOR_DATE": "2026-11-01T12:00:00+00:00",
        "GIT_COMMITTER_DATE": "2026-11-01T12:00:00+00:00",
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def put_revision(root: Path, name: str) -> None:
    """Replace ``policies/`` and ``templates/`` under ``root`` with fixture revision ``name``."""
    for folder in ("policies", "templates"):
        if (root / folder).exists():
            shutil.rmtree(root / folder)
        shutil.copytree(FIXTURES / name / folder, root / folder)


def commit_all(root: Path, message: str) -> str:
    """Commit everything under ``root``; returns the commit id."""
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")
