"""L002 law-cadence: a cadence by itself puts more contacts in a run of days than a law allows.

Frequency rules of the packs — Regulation F's 7 calls in 7 days per debt
(12 CFR 1006.14(b)(2)(i)(A)), Massachusetts' 2 calls or texts in 7 days (209 CMR 18.14(1)(d)),
China's daily call limits — are counted over the cadence alone, as if every step fired
(its conditions held, nothing else was sent). When even that exceeds the cap, the planner
will defer the step over the cap on every account of the jurisdiction, so the cadence
the policy shows is not the one debtors get. Reported at the step that goes over, as
information: nothing unlawful happens (the engine keeps the law by deferring), but the
reviewer should know the cadence is not what those debtors will see.

Passing (US: two calls a week)::

    strategies:
      early:
        steps:
          - {day: 10, channel: call, template: call-early, every: 4}

Failing for US-MA (a text and two calls in days 31–37, the law allows 2)::

    strategies:
      mid:
        steps:
          - {day: 31, channel: sms, template: sms-mid}
          - {day: 32, channel: call, template: call-mid, every: 3}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._law import cadence_overruns

CODE = "L002"
NAME = "law-cadence"
LEVEL = Level.INFO


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report the first overrun of each law frequency rule per strategy, tier and jurisdiction."""
    rule = sys.modules[__name__]
    for o in cadence_overruns(ctx, legal=True):
        yield ctx.problem(
            rule,
            o.step.source,
            f"strategy {o.strategy!r} (tier {o.tier!r}) places {o.count} {'/'.join(o.channels)} contacts in days "
            f"{o.first_day}–{o.last_day} past due; {o.rule} ({o.citation}) allows {o.max} in {o.per_days} day(s) "
            f"for {o.code} accounts, so this step will be deferred",
            f"space the steps out, or restrict them with `when: {{jurisdictions: [...]}}` for {o.code}",
        )
