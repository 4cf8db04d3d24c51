"""The benchmark of ``dunning diff`` changes the bundled example the way a pull request would;
its edits must keep applying as the example evolves (one stopped applying, unnoticed, when an
SMS was reworded: the benchmark then exited before timing anything)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

from dunning.problems import has_errors
from dunning.validate import validate

ROOT = Path(__file__).resolve().parents[2]


def _diff_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("diff_bench", ROOT / "benchmarks" / "diff_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_edit_of_the_diff_benchmark_finds_its_text_once_in_the_example() -> None:
    bench = _diff_bench()
    for relative, old, new in (bench.CADENCE_EDIT, *bench.FULL_EDITS):
        assert (ROOT / relative).read_text(encoding="utf-8").count(old) == 1, (relative, old)
        assert old != new


def test_the_example_with_each_scenarios_edits_still_validates(tmp_path: Path) -> None:
    bench = _diff_bench()
    for scenario in ((bench.CADENCE_EDIT,), bench.FULL_EDITS):
        repo = tmp_path / f"repo-{len(scenario)}"
        for folder in ("policies", "templates"):
            shutil.copytree(ROOT / folder, repo / folder)
        for relative, old, new in scenario:
            bench._edit(repo / relative, old, new)
        loaded, problems = validate(repo)
        assert loaded.policy is not None
        assert not has_errors(problems), [p.message for p in problems]
