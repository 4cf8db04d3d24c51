"""Fixtures for planner tests: the bundled example policy, compiled."""

from __future__ import annotations

from pathlib import Path

import pytest

from dunning.policy import require_policy
from dunning.policy.model import Policy


@pytest.fixture(scope="session")
def policy(example_root: Path) -> Policy:
    """The bundled example policy, compiled."""
    return require_policy(example_root)
