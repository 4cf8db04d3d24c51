"""P150 condition-never: a ``when:`` condition that can never hold.

A step, offer or exclusion whose condition asks for a flag to be both set and not set, or
for an overdue amount above ``min_overdue`` and below a smaller ``max_overdue`` (in every
currency it names), never applies. Reported at ``when:``.

Passing::

    when: {min_overdue: {CNY: 600}, max_overdue: {CNY: 20000}}

Failing::

    when: {min_overdue: {CNY: 20000}, max_overdue: {CNY: 600}}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.policy.model import Condition, Source
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P150"
NAME = "condition-never"
LEVEL = Level.ERROR


def _why_never(when: Condition) -> str | None:
    both = sorted(set(when.flags) & set(when.not_flags))
    if both:
        return f"flag {both[0]!r} must be both set and not set"
    low, high = when.min_overdue, when.max_overdue
    if low and high:
        currencies = sorted(set(low.by_currency) | set(high.by_currency))
        checks = [(c, low.get(c), high.get(c)) for c in currencies]
        if low.default is not None or high.default is not None:
            checks.append(("(other currencies)", low.default, high.default))
        bounded = [(c, lo, hi) for c, lo, hi in checks if lo is not None and hi is not None]
        if bounded and len(bounded) == len(checks) and all(lo > hi for _c, lo, hi in bounded):
            c, lo, hi = bounded[0]
            assert lo is not None and hi is not None
            return f"min_overdue {lo.normalize():f} is above max_overdue {hi.normalize():f} ({c})"
    return None


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report conditions that contradict themselves."""
    rule = sys.modules[__name__]
    items: list[tuple[Source, Condition, str]] = []
    for sid, strategy in ctx.policy.strategies.items():
        items.extend((s.source, s.when, f"step {s.id} of strategy {sid!r}") for s in strategy.steps)
    items.extend((o.source, o.when, f"offer {o.id!r}") for o in ctx.policy.offers)
    items.extend((e.source, e.when, f"exclusion {e.id!r}") for e in ctx.policy.exclusions)
    for source, when, where in items:
        why = _why_never(when)
        if why is not None:
            yield ctx.problem(
                rule,
                at(ctx, source, "when"),
                f"the condition of {where} never holds: {why}",
                "fix the condition's bounds",
            )
