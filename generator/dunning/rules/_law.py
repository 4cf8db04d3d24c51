"""Shared lookups for the law rules (L###): the contact engine the policy would run with,
and where each ``jurisdictions:`` entry is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dunning.compliance.engine import ContactEngine
from dunning.load.documents import Pos, YMap
from dunning.policy.model import Source, Step, Tier
from dunning.rules import RuleContext


@dataclass(frozen=True)
class JurisdictionNode:
    """One ``jurisdictions:`` entry as written: its file, key position and body."""

    code: str
    file: str
    key: Pos
    body: YMap | None

    def source(self, *path: str | int, key: bool = False) -> Source:
        """Where ``path`` inside the body is written (the code itself when absent)."""
        node: Any = self.body
        pos = self.key
        for i, step in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, YMap) and isinstance(step, str) and step in node:
                pos = node.key_pos[step] if (last and key) else node.value_pos[step]
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                pos = node.item_pos[step] if hasattr(node, "item_pos") else pos
                node = node[step]
            else:
                break
        return Source(self.file, pos.line, pos.col)


def engine(ctx: RuleContext) -> ContactEngine:
    """One contact engine per validation run (its jurisdiction resolution is cached)."""
    found = ctx.cache.get("engine")
    if not isinstance(found, ContactEngine):
        found = ctx.cache["engine"] = ContactEngine(ctx.policy)
    return found


def jurisdiction_nodes(ctx: RuleContext) -> list[JurisdictionNode]:
    """Every written jurisdiction entry, in file order."""
    out = []
    for file in ctx.repo.files:
        section = file.data.get("jurisdictions") if isinstance(file.data, dict) else None
        if not isinstance(section, YMap):
            continue
        for code, body in section.items():
            out.append(
                JurisdictionNode(code, file.path, section.key_pos[code], body if isinstance(body, YMap) else None)
            )
    return out


def codes_covered(ctx: RuleContext, codes: tuple[str, ...]) -> list[str]:
    """Configured jurisdiction codes an element restricted to ``codes`` applies to (all when
    empty); a country also covers its configured subdivisions (``US`` → ``US-MA``)."""
    configured = sorted(ctx.policy.jurisdictions)
    if not codes:
        return configured
    return [c for c in configured if c in codes or c.split("-", 1)[0] in codes]


@dataclass(frozen=True)
class Overrun:
    """A cadence that by itself puts more contacts in a run of days than a cap allows."""

    strategy: str
    tier: str
    code: str  # jurisdiction
    rule: str  # law rule id or cap id
    citation: str
    legal: bool
    channels: tuple[str, ...]
    max: int
    per_days: int
    count: int
    first_day: int  # days past due
    last_day: int
    step: Step  # the step whose firing exceeded the cap


def _strategies_of(ctx: RuleContext) -> list[tuple[Tier, str]]:
    policy = ctx.policy
    pairs: list[tuple[Tier, str]] = [(t, t.strategy) for t in policy.tiers]
    for experiment in policy.experiments:
        for tier_id in experiment.tiers:
            tier = policy.tier(tier_id)
            if tier is None:
                continue
            pairs.extend((tier, arm.strategy) for arm in experiment.arms if arm.strategy)
    unique = {(t.id, sid): (t, sid) for t, sid in pairs}
    return list(unique.values())


HORIZON_DAYS = 180  # how far past an open-ended tier's start the cadence is unrolled


def cadence_overruns(ctx: RuleContext, *, legal: bool) -> list[Overrun]:
    """The first overrun per (strategy, tier, jurisdiction, cap), steps' own jurisdiction
    conditions respected; every other condition is assumed to hold (the worst case)."""
    out: list[Overrun] = []
    unrolled = ctx.cache.setdefault("cadence-unrolled", {})
    assert isinstance(unrolled, dict)
    for tier, sid in _strategies_of(ctx):
        strategy = ctx.policy.strategies.get(sid)
        if strategy is None:
            continue
        last = tier.dpd.high if tier.dpd.high is not None else tier.dpd.low + HORIZON_DAYS
        for code in codes_covered(ctx, tier.jurisdictions):
            steps = [
                s
                for s in strategy.steps
                if not s.when.jurisdictions
                or code in s.when.jurisdictions
                or code.split("-", 1)[0] in s.when.jurisdictions
            ]
            # the same unrolled cadence serves the legal and the policy pass, and every tier
            # with the same days and strategy (a long ladder has thousands)
            key = (sid, tier.dpd.low, last, tier.dpd.high, tuple(map(id, steps)))
            firing = unrolled.get(key)
            if firing is None:
                firing = unrolled[key] = {
                    d: [s for s in steps if s.fires_on(d, tier.dpd.high)] for d in range(tier.dpd.low, last + 1)
                }
            for counter in engine(ctx).jurisdiction(code).counters:
                if counter.kind != "window" or counter.legal != legal:
                    continue
                found = _first_overrun(firing, counter.channels, counter.max, counter.per_days)
                if found is None:
                    continue
                first, end, count, step = found
                out.append(
                    Overrun(sid, tier.id, code, counter.rule, counter.citation, legal, counter.channels,
                            counter.max, counter.per_days, count, first, end, step)
                )  # fmt: skip
    return out


def _first_overrun(
    firing: dict[int, list[Step]], channels: tuple[str, ...], cap: int, per_days: int
) -> tuple[int, int, int, Step] | None:
    days = sorted(firing)
    counted = {d: [s for s in firing[d] if s.channel in channels] for d in days}
    if not days:
        return None
    # a running count over the window [start, start + per_days): the days are consecutive
    total = sum(len(counted.get(d, ())) for d in range(days[0], days[0] + per_days))
    for start in days:
        if total > cap:
            window = [s for d in range(start, start + per_days) for s in counted.get(d, [])]
            return start, start + per_days - 1, len(window), window[cap]
        total += len(counted.get(start + per_days, ())) - len(counted.get(start, ()))
    return None
