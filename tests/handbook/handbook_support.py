"""Helpers shared by the handbook tests (imported by name: tests/ has no packages)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 28)


def copy_example(dest: Path) -> Path:
    """A copy of the example policy, templates and hand-written pages at ``dest``."""
    for name in ("policies", "templates", "site"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name)
    return dest
