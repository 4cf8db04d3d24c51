"""Fixtures for the handbook tests: the example policy compiled in a scratch copy (not in git,
so source links point at the handbook's own numbered copies) and one strict build shared by the
slower tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from dunning.handbook import build_handbook, context_for
from dunning.handbook.context import HandbookContext
from dunning.policy import require_policy
from dunning.policy.model import Policy

from .handbook_support import AS_OF, copy_example


@pytest.fixture(scope="session")
def example_policy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only scratch copy of the example (outside any git work tree)."""
    return copy_example(tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="session")
def example_policy(example_policy_root: Path) -> Policy:
    """The compiled example policy."""
    return require_policy(example_policy_root)


@pytest.fixture(scope="session")
def example_ctx(example_policy: Policy, example_policy_root: Path) -> HandbookContext:
    """The page generators' context for the example, as of 2026-11-28."""
    return context_for(example_policy, example_policy_root, AS_OF)


@pytest.fixture(scope="session")
def built_site(example_policy: Policy, example_policy_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example handbook built once with ``mkdocs build --strict``."""
    out = tmp_path_factory.mktemp("out")
    return build_handbook(example_policy, example_policy_root, out, AS_OF)
