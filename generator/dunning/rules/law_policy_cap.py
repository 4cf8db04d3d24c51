"""L003 law-policy-cap: a cadence by itself breaks one of the policy's own frequency caps.

The policy's ``caps:`` are counted like the law's: over the cadence alone, as if every step
fired. A cadence that exceeds its own policy's cap contradicts itself — the planner defers
the step over the cap on every account. Reported at the step that goes over.

Passing::

    caps:
      - {id: calls-per-week, channels: [call], max: 4, per_days: 7}
    strategies:
      mid:
        steps:
          - {day: 32, channel: call, template: call-mid, every: 3}

Failing (calls every day, the cap allows 4 a week)::

    strategies:
      mid:
        steps:
          - {day: 32, channel: call, template: call-mid, every: 1}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._law import cadence_overruns

CODE = "L003"
NAME = "law-policy-cap"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report the first overrun of each policy cap per strategy, tier and jurisdiction."""
    rule = sys.modules[__name__]
    seen: set[tuple[str, str, str]] = set()
    for o in cadence_overruns(ctx, legal=False):
        # A cap without jurisdictions applies to every code alike: say it once.
        key = (o.strategy, o.tier, o.rule)
        if key in seen:
            continue
        seen.add(key)
        yield ctx.problem(
            rule,
            o.step.source,
            f"strategy {o.strategy!r} (tier {o.tier!r}) places {o.count} {'/'.join(o.channels)} contacts in days "
            f"{o.first_day}–{o.last_day} past due; cap {o.rule!r} allows {o.max} in {o.per_days} day(s)",
            f"space the steps out or raise cap {o.rule!r} ({o.citation})",
        )
