"""P111 step-repeat-bounds: a repeating step ends before it starts, or ``until`` without ``every``.

``until`` is the last day past due a repeating step (``every: N``) fires on. An ``until``
before ``day`` means the step fires once at most (an error); ``until`` without ``every``
does nothing (a warning). Reported at ``until:``.

Passing::

    steps:
      - {day: 10, channel: call, template: call-early, every: 4, until: 30}

Failing::

    steps:
      - {day: 10, channel: call, template: call-early, every: 4, until: 5}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P111"
NAME = "step-repeat-bounds"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report ``until`` before ``day`` and ``until`` on a step that does not repeat."""
    rule = sys.modules[__name__]
    for sid, strategy in ctx.policy.strategies.items():
        for step in strategy.steps:
            if step.until is None:
                continue
            place = at(ctx, step.source, "until")
            if step.until < step.day:
                yield ctx.problem(
                    rule,
                    place,
                    f"step {step.id} of strategy {sid!r} repeats until day {step.until}, "
                    f"before its first day {step.day}",
                    f"set `until:` to a day >= {step.day}",
                )
            elif step.every is None:
                yield ctx.problem(
                    rule,
                    place,
                    f"step {step.id} of strategy {sid!r} has `until:` but does not repeat",
                    "add `every: N` to repeat the step, or remove `until:`",
                    Level.WARNING,
                )
