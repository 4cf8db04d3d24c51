"""P121 offer-instalments: an offer with no instalments, or a settlement paid in several.

Every offer is paid in at least one instalment; ``instalments: 0`` makes an offer nobody
can take. A settlement is a one-off payment: more than one instalment is a payment plan
(use ``kind: payment_plan``), reported as a warning.

Passing::

    offers:
      - {id: plan, kind: payment_plan, instalments: 6, min_instalment: {CNY: 100}}

Failing::

    offers:
      - {id: plan, kind: payment_plan, instalments: 0}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P121"
NAME = "offer-instalments"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report offers with zero instalments and multi-instalment settlements."""
    rule = sys.modules[__name__]
    for offer in ctx.policy.offers:
        place = at(ctx, offer.source, "instalments")
        if offer.instalments < 1:
            yield ctx.problem(
                rule,
                place,
                f"{offer.kind} offer {offer.id!r} has no instalments",
                "set `instalments:` to 1 or more",
            )
        elif offer.kind == "settlement" and offer.instalments > 1:
            yield ctx.problem(
                rule,
                place,
                f"settlement offer {offer.id!r} is paid in {offer.instalments} instalments",
                "a settlement is one payment: set `instalments: 1`, or use `kind: payment_plan`",
                Level.WARNING,
            )
