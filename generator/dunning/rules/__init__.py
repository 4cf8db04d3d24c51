"""Semantic validation rules: one module per rule code, registered in :data:`RULES`.

Each rule module defines ``CODE`` (stable, e.g. ``P101``), ``NAME`` (kebab-case), ``LEVEL``
and ``check(ctx) -> Iterable[Problem]``; its module docstring (what it checks, why, a
passing and a failing example) is the rule's page in the handbook's rule catalogue.
Rules read the compiled policy (and the template files); they never change anything.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Protocol, cast

from dunning.load.repository import PolicyRepository
from dunning.policy.model import Policy, Source
from dunning.problems import Level, Problem


class RuleModule(Protocol):
    """What a rule module provides."""

    CODE: str
    NAME: str
    LEVEL: Level
    __doc__: str | None

    def check(self, ctx: RuleContext) -> Iterable[Problem]: ...


@dataclass
class RuleContext:
    """What a rule may look at: the compiled policy and the repository it came from."""

    policy: Policy
    repo: PolicyRepository
    # shared by the rules of one run (parsed templates, raw-node index); see rules/_nodes.py
    cache: dict[str, object] = field(default_factory=dict)

    def problem(
        self,
        rule: RuleModule | ModuleType,
        source: Source,
        message: str,
        hint: str,
        level: Level | None = None,
    ) -> Problem:
        """A finding of ``rule`` at ``source``, with the excerpt of that line."""
        rule = cast(RuleModule, rule)
        return Problem(
            source.file,
            source.line,
            source.col,
            level or rule.LEVEL,
            rule.CODE,
            message,
            hint,
            self.excerpt(source),
        )

    def excerpt(self, source: Source) -> str:
        """Numbered context around ``source`` from the policy or template file."""
        for file in self.repo.files:
            if file.path == source.file:
                return file.excerpt(source.line, source.col)
        from dunning.load.repository import MAX_TEMPLATE_BYTES, resolves_inside

        path = self.repo.root / source.file
        if (
            source.file.startswith("templates/")
            and resolves_inside(self.repo.template_root, path)  # never print a symlink's target
            and path.is_file()
            and path.stat().st_size <= MAX_TEMPLATE_BYTES
        ):
            from dunning.load.documents import SourceFile

            text = path.read_text(encoding="utf-8", errors="replace")
            return SourceFile(source.file, text).excerpt(source.line, source.col)
        return ""


def _discover() -> dict[str, RuleModule]:
    rules: dict[str, RuleModule] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "CODE") and hasattr(module, "check"):
            rule = cast(RuleModule, module)
            if rule.CODE in rules:  # pragma: no cover - a programming error, caught by tests
                raise RuntimeError(f"rule code {rule.CODE} is used by two modules")
            rules[rule.CODE] = rule
    return dict(sorted(rules.items()))


RULES: dict[str, RuleModule] = _discover()


def run_rules(policy: Policy, repo: PolicyRepository) -> list[Problem]:
    """Every semantic finding for the policy, sorted by file and position."""
    ctx = RuleContext(policy, repo)
    found: list[Problem] = []
    for rule in RULES.values():
        found.extend(rule.check(ctx))
    return sorted(set(found))


from dunning.rules._catalogue import RuleDoc, catalogue  # noqa: E402  (needs RULES above)

__all__ = ["RULES", "RuleContext", "RuleDoc", "RuleModule", "catalogue", "run_rules"]
