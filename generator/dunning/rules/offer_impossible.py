"""P122 offer-impossible: no eligible balance is large enough for the offer's instalments.

An offer of ``instalments`` payments of at least ``min_instalment`` needs a balance of at
least ``instalments × min_instalment``. When every account the offer can apply to has less
— its ``when: {max_overdue: …}``, or the amount bounds of all the tiers it is limited to
— the offer is never made. Checked per currency. Reported at ``min_instalment:``.

Passing::

    offers:
      - id: plan
        kind: payment_plan
        when: {max_overdue: {CNY: 5000}}
        instalments: 6
        min_instalment: {CNY: 100}

Failing (6 × 1,000 = 6,000 CNY, but eligible balances are at most 5,000 CNY)::

    offers:
      - id: plan
        kind: payment_plan
        when: {max_overdue: {CNY: 5000}}
        instalments: 6
        min_instalment: {CNY: 1000}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal

from dunning.policy.model import Offer, Policy
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P122"
NAME = "offer-impossible"
LEVEL = Level.ERROR


def _largest_balance(policy: Policy, offer: Offer, currency: str) -> Decimal | None:
    """The largest overdue amount in ``currency`` the offer can apply to (None: unbounded)."""
    bounds: list[Decimal] = []
    cap = offer.when.max_overdue.get(currency)
    if cap is not None:
        bounds.append(cap)
    if offer.when.tiers:
        tiers = [t for t in (policy.tier(i) for i in offer.when.tiers) if t is not None]
        highs = [t.max_amount.get(currency) for t in tiers]
        if tiers and all(h is not None for h in highs):
            bounds.append(max(h for h in highs if h is not None))
    return min(bounds) if bounds else None


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report offers whose smallest possible total exceeds every eligible balance."""
    rule = sys.modules[__name__]
    policy = ctx.policy
    currencies = sorted({j.currency for j in policy.jurisdictions.values() if j.currency})
    for offer in ctx.policy.offers:
        if offer.instalments < 1:
            continue  # P121
        for currency in sorted(set(offer.min_instalment.by_currency) | set(currencies)):
            minimum = offer.min_instalment.get(currency)
            largest = _largest_balance(policy, offer, currency)
            if minimum is None or largest is None:
                continue
            need = minimum * offer.instalments
            if need > largest:
                yield ctx.problem(
                    rule,
                    at(ctx, offer.source, "min_instalment"),
                    f"offer {offer.id!r} needs at least {need.normalize():f} {currency} "
                    f"({offer.instalments} × {minimum.normalize():f}), but eligible balances are at most "
                    f"{largest.normalize():f} {currency}",
                    "lower `min_instalment:` or `instalments:`, or widen who the offer applies to",
                )
