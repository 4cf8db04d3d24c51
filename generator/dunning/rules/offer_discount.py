"""P120 offer-discount: an offer's ``max_discount`` is not a fraction in [0, 1).

``max_discount`` is the share of the overdue amount that may be forgiven: ``0.25`` is a
quarter. A negative discount adds to the debt; ``1`` or more forgives everything (or pays
the debtor); ``25`` is almost always "25 %" written as a percent.

Passing::

    offers:
      - {id: settlement, kind: settlement, instalments: 1, max_discount: 0.25}

Failing::

    offers:
      - {id: settlement, kind: settlement, instalments: 1, max_discount: 25}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P120"
NAME = "offer-discount"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report discounts outside [0, 1)."""
    rule = sys.modules[__name__]
    for offer in ctx.policy.offers:
        d = offer.max_discount
        if Decimal(0) <= d < Decimal(1):
            continue
        hint = "write a fraction: 0.25 forgives a quarter"
        if d >= 1 and d < 100:
            hint += f" (did you mean {(d / 100).normalize():f}?)"
        yield ctx.problem(
            rule,
            at(ctx, offer.source, "max_discount"),
            f"offer {offer.id!r} has max_discount {d.normalize():f}, outside [0, 1)",
            hint,
        )
