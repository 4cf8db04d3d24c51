"""P151 amount-currency-unnamed: a money bound names some currencies, and accounts of a
jurisdiction whose currency it leaves out can reach it.

A bound written per currency (``min_overdue: {CNY: 20000, USD: 3000}``) holds only in the
currencies it names: for an account in any other currency it bounds nothing. So when the
policy adds a jurisdiction (GB, in GBP) without adding GBP to the bounds, a legal review
meant for large balances is taken at any balance, and a small-balance exclusion excludes
every GBP account. Checked for the amounts of tiers (``amount: {min, max}``) and of
the ``when:`` of steps, offers and exclusions (``min_overdue``, ``max_overdue``), against
the currencies of the jurisdictions that can reach each one (the tiers that run a step's
strategy and their ``jurisdictions``, the condition's own ``jurisdictions``). A single
number (``min_overdue: 500``) holds in every currency and is never reported. Reported at
the bound.

Passing (GB listed with currency GBP)::

    when: {min_overdue: {CNY: 20000, USD: 3000, GBP: 2500}}

Failing::

    when: {min_overdue: {CNY: 20000, USD: 3000}}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence

from dunning.policy.model import Amounts, Condition, Jurisdiction, Source
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._reach import reached, step_reaches, users

CODE = "P151"
NAME = "amount-currency-unnamed"
LEVEL = Level.WARNING


def _unnamed(amounts: Amounts, reach: Sequence[Jurisdiction]) -> list[tuple[str, str]]:
    """(currency, jurisdiction) pairs that ``reach`` has and the per-currency ``amounts`` leave out."""
    if not amounts.by_currency or amounts.default is not None:
        return []
    found: dict[str, str] = {}
    for jurisdiction in reach:
        if jurisdiction.currency and jurisdiction.currency not in amounts.by_currency:
            found.setdefault(jurisdiction.currency, jurisdiction.code)
    return sorted(found.items())


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each per-currency bound that some reachable jurisdiction's currency escapes."""
    rule = sys.modules[__name__]
    policy = ctx.policy
    # (element's source, what it is, the jurisdictions that reach it, its bounds: (path, amounts))
    items: list[tuple[Source, str, list[Jurisdiction], list[tuple[tuple[str, ...], Amounts]]]] = []
    for tier in policy.tiers:
        bounds: list[tuple[tuple[str, ...], Amounts]] = [
            (("amount", "min"), tier.min_amount),
            (("amount", "max"), tier.max_amount),
        ]
        items.append((tier.source, f"tier {tier.id!r}", reached(policy, tier.jurisdictions), bounds))
    for sid, strategy in policy.strategies.items():
        for step in strategy.steps:
            reach: dict[str, Jurisdiction] = {}
            for user in users(policy, sid):
                if step_reaches(step, user):
                    reach.update((j.code, j) for j in reached(policy, user.tier.jurisdictions, step.when.jurisdictions))
            what = f"step {step.id} of strategy {sid!r}"
            items.append((step.source, what, [reach[c] for c in sorted(reach)], _when(step.when)))
    for offer in policy.offers:
        items.append(
            (offer.source, f"offer {offer.id!r}", reached(policy, offer.when.jurisdictions), _when(offer.when))
        )
    for exclusion in policy.exclusions:
        reach_ = reached(policy, exclusion.when.jurisdictions)
        items.append((exclusion.source, f"exclusion {exclusion.id!r}", reach_, _when(exclusion.when)))
    for source, what, reach_, bounds in items:
        for path, amounts in bounds:
            missing = _unnamed(amounts, reach_)
            if not missing:
                continue
            named = ", ".join(sorted(amounts.by_currency))
            currencies = ", ".join(f"{c} ({code})" for c, code in missing)
            yield ctx.problem(
                rule,
                at(ctx, source, *path),
                f"{'.'.join(path)} of {what} names {named} but not {currencies}: for those accounts it sets no "
                "bound, so it holds at any balance",
                f"add a bound for {', '.join(c for c, _ in missing)}, or write one number for every currency",
            )


def _when(when: Condition) -> list[tuple[tuple[str, ...], Amounts]]:
    return [(("when", "min_overdue"), when.min_overdue), (("when", "max_overdue"), when.max_overdue)]
