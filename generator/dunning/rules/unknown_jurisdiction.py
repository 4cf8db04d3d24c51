"""X017 unknown-jurisdiction: a tier, condition, agency, timetable or cap names a jurisdiction
that has no settings.

Each jurisdiction an element is restricted to must be configured under ``jurisdictions:``
(a subdivision such as ``US-MA`` is fine when its country ``US`` is). Otherwise the element
applies to accounts the tool cannot plan (their currency, locales and law are unknown) and
is almost always a typo. Reported at the code.

Passing::

    jurisdictions:
      CN: {currency: CNY, locales: [zh-CN]}
    tiers:
      - {id: early-cn, dpd: {min: 1}, jurisdictions: [CN]}

Failing::

    tiers:
      - {id: early-cn, dpd: {min: 1}, jurisdictions: [CH]}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.policy.model import Source
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._refs import unknown

CODE = "X017"
NAME = "unknown-jurisdiction"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report jurisdiction codes that neither exist nor have a configured country."""
    rule = sys.modules[__name__]
    policy = ctx.policy
    known = sorted(policy.jurisdictions)

    lists: list[tuple[Source, tuple[str | int, ...], tuple[str, ...], str]] = []
    for tier in policy.tiers:
        lists.append((tier.source, ("jurisdictions",), tier.jurisdictions, f"tier {tier.id!r}"))
    for sid, strategy in policy.strategies.items():
        for step in strategy.steps:
            where = f"step {step.id} of {sid!r}"
            lists.append((step.source, ("when", "jurisdictions"), step.when.jurisdictions, where))
    for offer in policy.offers:
        lists.append((offer.source, ("when", "jurisdictions"), offer.when.jurisdictions, f"offer {offer.id!r}"))
    for excl in policy.exclusions:
        lists.append((excl.source, ("when", "jurisdictions"), excl.when.jurisdictions, f"exclusion {excl.id!r}"))
    for agency in policy.agencies.values():
        lists.append((agency.source, ("jurisdictions",), agency.jurisdictions, f"agency {agency.id!r}"))
    for timetable in policy.timetables:
        lists.append((timetable.source, ("jurisdictions",), timetable.jurisdictions, f"timetable {timetable.id!r}"))
    for cap in policy.caps:
        lists.append((cap.source, ("jurisdictions",), cap.jurisdictions, f"cap {cap.id!r}"))
    for source, path, codes, where in lists:
        for i, code in enumerate(codes):
            if policy.jurisdiction(code) is None:
                yield unknown(ctx, rule, at(ctx, source, *path, i), "jurisdiction", code, known, where)
