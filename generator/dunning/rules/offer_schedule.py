"""P123 offer-schedule: an offer's interval or grace days make no sense.

``interval_days`` is the gap between instalments, so it means nothing for a one-instalment
offer (a warning). A schedule whose last instalment falls more than ten years out
(``grace_days + interval_days × (instalments − 1) > 3650``) is a typo (an error).
Reported at the offending key.

Passing::

    offers:
      - {id: plan, kind: payment_plan, instalments: 6, interval_days: 30, grace_days: 10}

Failing::

    offers:
      - {id: plan, kind: payment_plan, instalments: 120, interval_days: 365}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at, raw

CODE = "P123"
NAME = "offer-schedule"
LEVEL = Level.ERROR
MAX_SPAN_DAYS = 3650


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report useless intervals and schedules longer than ten years."""
    rule = sys.modules[__name__]
    for offer in ctx.policy.offers:
        node = raw(ctx, offer.source)
        if offer.instalments == 1 and node is not None and "interval_days" in node:
            yield ctx.problem(
                rule,
                at(ctx, offer.source, "interval_days"),
                f"offer {offer.id!r} has one instalment, so `interval_days` has no effect",
                "remove `interval_days:`, or offer more than one instalment",
                Level.WARNING,
            )
        span = offer.grace_days + offer.interval_days * max(offer.instalments - 1, 0)
        if span > MAX_SPAN_DAYS:
            yield ctx.problem(
                rule,
                at(ctx, offer.source, "interval_days"),
                f"offer {offer.id!r} runs {span} days to its last instalment (more than ten years)",
                "check `instalments:`, `interval_days:` and `grace_days:`",
            )
