"""Fixtures for the compliance tests: a small policy with wide windows (so the law decides)."""

from __future__ import annotations

import pytest

from dunning.compliance.engine import ContactEngine
from dunning.policy import require_policy
from dunning.policy.model import Policy

from .compliance_support import REPO


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The compliance test policy (tests/compliance/repo)."""
    return require_policy(REPO)


@pytest.fixture
def engine(policy: Policy) -> ContactEngine:
    """A fresh engine (its caches empty) on the test policy."""
    return ContactEngine(policy)
