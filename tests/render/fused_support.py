"""Builds for the tests of what the planning workers fill per decision key (calls, emails):
fused, or rendering after the plan, with the ids the per-key path filled counted."""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import dunning.build as build_module
from dunning.build import BuildRequest, BuildResult, run_build
from dunning.plan.build import PlanInputs
from dunning.render.fused import FusedRender

SATURDAY = date(2026, 11, 28)


def variant_accounts(rows_csv: Path, variants: list[tuple[str, dict[str, str]]], path: Path) -> Path:
    """``path``: a snapshot of each row of ``rows_csv`` in each variant (its id with the
    variant's tag, its changes put in), sorted by id."""
    with rows_csv.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        base, header = list(reader), list(reader.fieldnames or ())
    rows = [{**row, **changes, "account_id": row["account_id"] + tag} for row in base for tag, changes in variants]
    rows.sort(key=lambda row: row["account_id"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def tree(root: Path) -> dict[str, bytes]:
    """Every file of a build but the manifest, by relative path."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "manifest.json")
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def same_trees(fused: Path, after: Path) -> dict[str, bytes]:
    """Assert the two builds' files are the same bytes, file for file; the second's files."""
    one, other = tree(fused), tree(after)
    assert one.keys() == other.keys()
    for name in one:
        assert one[name] == other[name], name
    return other


def build(
    monkeypatch: pytest.MonkeyPatch,
    request: BuildRequest,
    *,
    fused: bool,
    filler: tuple[type, str],
    filled_ids: Callable[[tuple[Any, ...], Any], list[str]],
    chunk_rows: int,
) -> tuple[list[FusedRender | None], list[str], BuildResult]:
    """Run ``request`` (fused or rendering after the plan, planned in chunks of
    ``chunk_rows``); the fused renders, the account ids the per-key path filled (``filler``:
    its class and method; ``filled_ids``: the ids from its arguments and result; in this
    process: with one job) and the build's result."""
    made: list[FusedRender | None] = []
    filled: list[str] = []
    real = build_module._fused
    kind, name = filler
    fill = getattr(kind, name)

    def spy(*args: Any) -> FusedRender | None:
        made.append(real(*args) if fused else None)
        return made[-1]

    def counted(self: Any, *args: Any) -> Any:
        found = fill(self, *args)
        filled.extend(filled_ids(args, found))
        return found

    with monkeypatch.context() as patch:
        patch.setattr(build_module, "_fused", spy)
        patch.setattr(kind, name, counted)
        patch.setattr(build_module, "PlanInputs", functools.partial(PlanInputs, chunk_rows=chunk_rows))
        result = run_build(request)
    return made, filled, result
