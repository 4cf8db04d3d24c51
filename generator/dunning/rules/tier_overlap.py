"""P102 tier-overlap: two tiers partly overlap, so their order silently decides some accounts.

Tiers are checked top to bottom and the first that fits takes the account. Putting a
narrow tier before a broad one ("balances over 20,000 first, then everyone") is the normal
way to carve out an exception and is not reported. But when two tiers *partly* overlap —
neither contains the other — the accounts in the overlap go to the earlier tier, usually
because a bound is off by a few days or an amount limit was forgotten. The finding names
the overlap. (A tier entirely inside earlier ones is P103.)

Passing (the second tier only carves out large balances of the first, and comes first)::

    tiers:
      - {id: early-large, dpd: {min: 8, max: 30}, amount: {min: {CNY: 20000}}}
      - {id: early, dpd: {min: 8, max: 30}}

Failing (days 25–30 match both; they go to ``early``)::

    tiers:
      - {id: early, dpd: {min: 8, max: 30}}
      - {id: mid, dpd: {min: 25, max: 60}}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._tiers import TierAnalysis, analyse, describe

CODE = "P102"
NAME = "tier-overlap"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each later tier that partly overlaps an earlier one, naming the first such tier."""
    rule = sys.modules[__name__]
    for first, later, common in tier_analysis(ctx).overlaps:
        yield ctx.problem(
            rule,
            later.source,
            f"tier {later.id!r} overlaps earlier tier {first.id!r} ({describe(common)}); "
            f"those accounts go to {first.id!r}",
            f"make the bounds of {first.id!r} and {later.id!r} meet without overlapping, "
            "or narrow one so that it lies inside the other",
        )


def tier_analysis(ctx: RuleContext) -> TierAnalysis:
    """The ladder's analysis, computed once per run and shared with P103."""
    cached = ctx.cache.get("tiers")
    if isinstance(cached, TierAnalysis):
        return cached
    result = analyse(ctx.policy.tiers)
    ctx.cache["tiers"] = result
    return result
