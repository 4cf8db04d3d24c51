"""Policy stage: schemas (cerberus), the compiled model (frozen dataclasses), compile."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dunning.errors import PolicyInvalid
from dunning.load.repository import PolicyRepository, load_repository
from dunning.policy.compile import compile_policy
from dunning.policy.model import Policy
from dunning.policy.schema import check_file
from dunning.problems import Problem, has_errors


@dataclass
class Loaded:
    """What loading a repository gave: the repository, the policy (if it compiled) and findings."""

    repo: PolicyRepository
    policy: Policy | None
    problems: list[Problem]


def load_and_compile(path: Path) -> Loaded:
    """load → schema → compile. The policy is None when load or schema found errors."""
    repo = load_repository(path)
    problems: list[Problem] = []
    for file in repo.files:
        problems.extend(file.problems)
        if not has_errors(file.problems):
            problems.extend(check_file(file))
    if has_errors(problems):
        return Loaded(repo, None, sorted(problems))
    policy, compile_problems = compile_policy(repo)
    problems.extend(compile_problems)
    return Loaded(repo, policy if not has_errors(compile_problems) else None, sorted(problems))


def require_policy(path: Path) -> Policy:
    """The compiled policy, or :class:`PolicyInvalid` when load/schema/compile found errors.

    Used by plan, render, gate and the handbook, which must never run on a broken policy.
    """
    loaded = load_and_compile(path)
    if loaded.policy is None:
        raise PolicyInvalid(list(loaded.problems))
    return loaded.policy


__all__ = ["Loaded", "Policy", "load_and_compile", "require_policy"]
