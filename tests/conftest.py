"""Shared fixtures: the bundled example repository and a scratch copy of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def example_root() -> Path:
    """The bundled example policy repository (read-only: copy it before changing anything)."""
    return ROOT


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled example policy and templates."""
    for name in ("policies", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path
