"""Stages import only earlier stages: validate's rules, the handbook and review use the shared
template machinery (dunning.templating), never the render stage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "generator" / "dunning"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("stage", ["rules", "handbook", "review", "templating", "plan", "compliance"])
def test_no_stage_before_render_imports_render(stage: str) -> None:
    offenders = sorted(
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / stage).rglob("*.py")
        for name in _imports(path)
        if name == "dunning.render" or name.startswith("dunning.render.")
    )
    assert offenders == []
