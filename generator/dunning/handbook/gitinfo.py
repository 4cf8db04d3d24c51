"""What git knows about the policy repository: the revision the handbook shows, the repository
web address its source links point to, and the change history of ``policies/`` and ``templates/``.

Everything here is optional: outside a git work tree (or without git installed) the handbook
shows no revision, links to its own source pages and has no change-history page.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# What the handbook reads; only changes here make the revision "dirty".
TRACKED_DIRS = ("policies", "templates", "site")
HISTORY_DIRS = ("policies", "templates")
HISTORY_LIMIT = 500


@dataclass(frozen=True)
class Revision:
    """The commit the policy was built from, whether its files differ from it, and where it lives."""

    commit: str
    dirty: bool
    branch: str | None  # None on a detached HEAD
    prefix: str  # the policy root's path inside the git work tree ("" at the top)
    remote_url: str | None  # web address of ``origin`` (https), when it has one

    @property
    def label(self) -> str:
        """``1a2b3c4d5e6f`` or ``1a2b3c4d5e6f (dirty)``."""
        return self.commit[:12] + (" (dirty: uncommitted changes)" if self.dirty else "")


@dataclass(frozen=True)
class Change:
    """One commit touching the policy or its templates."""

    commit: str
    date: str  # ISO 8601 with the author's offset
    author: str
    message: str
    files: tuple[str, ...]  # root-relative, sorted


def _git(root: Path, *args: str) -> str | None:
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C")  # never take the index lock of a shared tree
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, encoding="utf-8", env=env, check=False
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def web_url(remote: str) -> str | None:
    """``git@github.com:o/r.git`` or ``https://host/o/r.git`` → ``https://host/o/r``; None for
    local paths and unknown forms (credentials in a URL are dropped)."""
    remote = remote.strip()
    if m := re.fullmatch(r"[\w.-]+@([\w.-]+):(.+?)(?:\.git)?/?", remote):
        return f"https://{m.group(1)}/{m.group(2)}"
    if m := re.fullmatch(r"(?:https?|ssh|git)://(?:[^@/]+@)?([\w.-]+)(?::\d+)?/(.+?)(?:\.git)?/?", remote):
        return f"https://{m.group(1)}/{m.group(2)}"
    return None


def revision(root: Path) -> Revision | None:
    """The revision of the repository holding ``root``, or None when it is not in git."""
    commit = _git(root, "rev-parse", "HEAD")
    top = _git(root, "rev-parse", "--show-toplevel")
    if not commit or not top:
        return None
    prefix = Path(os.path.relpath(root.resolve(), Path(top.strip()).resolve())).as_posix()
    prefix = "" if prefix == "." else prefix
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", *TRACKED_DIRS)
    branch = (_git(root, "symbolic-ref", "--quiet", "--short", "HEAD") or "").strip() or None
    remote = _git(root, "remote", "get-url", "origin")
    return Revision(
        commit=commit.strip(),
        dirty=bool(status and status.strip()),
        branch=branch,
        prefix=prefix,
        remote_url=web_url(remote) if remote else None,
    )


def history(root: Path, limit: int = HISTORY_LIMIT, rev: Revision | None = None) -> list[Change]:
    """Commits that touched ``policies/`` or ``templates/``, newest first (at most ``limit``).
    ``rev``: :func:`revision` of ``root`` when the caller has it (the handbook does: asking git
    again was five more git processes a build)."""
    rev = rev if rev is not None else revision(root)
    if rev is None:
        return []
    out = _git(
        root,
        "log",
        f"--max-count={limit}",
        "--format=%x1e%H%x1f%aI%x1f%an%x1f%s",
        "--name-only",
        "--no-renames",
        "--",
        *HISTORY_DIRS,
    )
    if not out:
        return []
    strip = rev.prefix + "/" if rev.prefix else ""
    changes = []
    for record in out.split("\x1e")[1:]:
        head, _, names = record.partition("\n")
        commit, date, author, message = head.split("\x1f", 3)
        files = sorted(n[len(strip) :] if strip and n.startswith(strip) else n for n in names.splitlines() if n.strip())
        changes.append(Change(commit, date, author, message, tuple(files)))
    return changes
