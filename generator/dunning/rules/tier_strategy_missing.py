"""X010 tier-strategy-missing: a tier runs a strategy that is not defined.

A tier runs the strategy named in ``strategy:``, or the one with the tier's own id when
``strategy:`` is left out. If there is no such strategy, accounts of the tier get no
contact at all. Reported at ``strategy:`` (or at the tier when it relies on the default).

Passing::

    tiers:
      - {id: early, dpd: {min: 1, max: 30}}
    strategies:
      early: {steps: [{day: 1, channel: sms, template: sms-early}]}

Failing (no strategy ``early``)::

    tiers:
      - {id: early, dpd: {min: 1, max: 30}, strategy: erly}
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at, raw

CODE = "X010"
NAME = "tier-strategy-missing"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each tier whose strategy does not exist."""
    rule = sys.modules[__name__]
    known = sorted(ctx.policy.strategies)
    for tier in ctx.policy.tiers:
        if tier.strategy in ctx.policy.strategies:
            continue
        node = raw(ctx, tier.source)
        explicit = node is not None and "strategy" in node
        close = difflib.get_close_matches(tier.strategy, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        hint += f"define `strategies: {tier.strategy}:` with steps" + ("" if explicit else ", or set `strategy:`")
        yield ctx.problem(
            rule,
            at(ctx, tier.source, "strategy") if explicit else tier.source,
            f"tier {tier.id!r} runs strategy {tier.strategy!r}, which is not defined",
            hint,
        )
