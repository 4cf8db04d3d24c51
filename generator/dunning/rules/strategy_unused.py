"""P114 strategy-unused: a strategy that no tier or experiment arm runs.

Dead policy: reviewers read it, the handbook shows it, nothing uses it. Usually a tier's
``strategy:`` was renamed. Reported at the strategy.

Passing::

    tiers:
      - {id: early, dpd: {min: 1}}
    strategies:
      early: {steps: [{day: 8, channel: sms, template: sms-early}]}

Failing (no tier runs ``early-old``)::

    strategies:
      early: {steps: [{day: 8, channel: sms, template: sms-early}]}
      early-old: {steps: [{day: 9, channel: sms, template: sms-early}]}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._reach import users

CODE = "P114"
NAME = "strategy-unused"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report strategies without a tier or arm."""
    rule = sys.modules[__name__]
    for sid, strategy in ctx.policy.strategies.items():
        if not users(ctx.policy, sid):
            yield ctx.problem(
                rule,
                strategy.source,
                f"strategy {sid!r} is not run by any tier or experiment arm",
                f"set `strategy: {sid}` on a tier or arm, or remove it",
            )
