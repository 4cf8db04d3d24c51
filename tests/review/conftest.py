"""A temporary git repository holding the two fixture revisions of the review policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from .review_support import commit_all, git, put_revision


@pytest.fixture
def policy_git(tmp_path: Path) -> Path:
    """A git repository whose ``main~1`` is the base fixture and ``main`` the head fixture."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    put_revision(root, "base")
    commit_all(root, "base policy")
    git(root, "tag", "base")
    put_revision(root, "head")
    commit_all(root, "head policy")
    return root
