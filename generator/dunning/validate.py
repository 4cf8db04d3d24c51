"""The validate stage as one call: load → schema → compile → semantic rules."""

from __future__ import annotations

from pathlib import Path

from dunning.policy import Loaded, load_and_compile
from dunning.problems import Problem
from dunning.rules import run_rules


def validate(path: Path) -> tuple[Loaded, list[Problem]]:
    """Every problem in the policy repository at ``path``, sorted by position."""
    loaded = load_and_compile(path)
    problems = list(loaded.problems)
    if loaded.policy is not None:
        problems.extend(run_rules(loaded.policy, loaded.repo))
    return loaded, sorted(set(problems))
