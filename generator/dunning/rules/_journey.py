"""The cadence an account of one jurisdiction meets day by day as it moves up the tier ladder.

Law rules that depend on what was sent before (the validation notice before or soon after
the first contact, the default notice's remedy period before enforcement) read the policy
as one journey: on each day past due, the first tier (file order) whose days and
jurisdictions hold is the account's, and its strategy's steps that fire that day (their own
jurisdiction conditions respected, every other condition assumed to hold) are what it gets.
"""

from __future__ import annotations

from dataclasses import dataclass

from dunning.policy.model import Step, Tier
from dunning.rules import RuleContext
from dunning.rules._law import HORIZON_DAYS, codes_covered


@dataclass(frozen=True)
class Firing:
    """One step firing on one day past due, in the strategy of the tier that holds the account."""

    day: int
    tier: Tier
    strategy: str
    step: Step


def _covers(tier: Tier, code: str) -> bool:
    return not tier.jurisdictions or code in tier.jurisdictions or code.split("-", 1)[0] in tier.jurisdictions


def _applies(step: Step, code: str) -> bool:
    wanted = step.when.jurisdictions
    return not wanted or code in wanted or code.split("-", 1)[0] in wanted


def journey(ctx: RuleContext, code: str) -> list[Firing]:
    """Every step firing for an account of ``code`` from the lowest tier up, in day order."""
    tiers = [t for t in ctx.policy.tiers if _covers(t, code)]
    if not tiers:
        return []
    first = min(t.dpd.low for t in tiers)
    last = max((t.dpd.high if t.dpd.high is not None else t.dpd.low + HORIZON_DAYS) for t in tiers)
    out: list[Firing] = []
    for day in range(first, last + 1):
        tier = next((t for t in tiers if t.dpd.low <= day and (t.dpd.high is None or day <= t.dpd.high)), None)
        strategy = ctx.policy.strategies.get(tier.strategy) if tier is not None else None
        if tier is None or strategy is None:
            continue
        out.extend(
            Firing(day, tier, strategy.id, s)
            for s in strategy.steps
            if _applies(s, code) and s.fires_on(day, tier.dpd.high)
        )
    return out


def jurisdictions_with(ctx: RuleContext, kind: str) -> list[tuple[str, dict[str, object], str, str]]:
    """(code, parameters, rule id, citation) of each configured jurisdiction whose law packs
    hold a rule of ``kind``."""
    from dunning.rules._law import engine

    out = []
    for code in codes_covered(ctx, ()):
        for rule, params in engine(ctx).jurisdiction(code).rules:
            if rule.kind == kind:
                out.append((code, dict(params), rule.id, rule.citation))
    return out
