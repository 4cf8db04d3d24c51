"""The validate stage as one call: load → schema → compile → semantic rules → acknowledgements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dunning.acknowledge import Acknowledged, acknowledge
from dunning.errors import PolicyInvalid
from dunning.policy import Loaded, Policy, load_and_compile
from dunning.problems import Problem, has_errors
from dunning.rules import run_rules


@dataclass(frozen=True)
class Validation:
    """What validate found: the open findings and the ones the policy acknowledges."""

    loaded: Loaded
    problems: list[Problem]
    acknowledged: list[Acknowledged]


def validation(path: Path) -> Validation:
    """Every finding in the policy repository at ``path``, sorted by position, with the
    acknowledged ones (:mod:`dunning.acknowledge`) set apart."""
    loaded = load_and_compile(path)
    problems = list(loaded.problems)
    if loaded.policy is not None:
        problems.extend(run_rules(loaded.policy, loaded.repo))
    open_, accepted = acknowledge(set(problems), loaded.policy, loaded.repo)
    return Validation(loaded, open_, accepted)


def validate(path: Path) -> tuple[Loaded, list[Problem]]:
    """The open findings of the policy repository at ``path`` (acknowledged ones left out)."""
    result = validation(path)
    return result.loaded, result.problems


def require_valid_policy(path: Path) -> Policy:
    """The compiled policy when ``validate`` finds no error (semantic rules included), else
    :class:`PolicyInvalid` with every finding; for stages that answer on the policy alone
    (``gate``) and so must never run on one that validate fails."""
    loaded, problems = validate(path)
    if loaded.policy is None or has_errors(problems):
        raise PolicyInvalid(list(problems))
    return loaded.policy
