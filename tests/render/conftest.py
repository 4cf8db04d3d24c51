"""Fixtures for render tests: a hand-written plan directory in the plans.jsonl contract shape."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A writable copy of fixtures/plan with fixtures/accounts.csv next to it (as summary.json records)."""
    shutil.copytree(FIXTURES, tmp_path / "case")
    return tmp_path / "case" / "plan"
