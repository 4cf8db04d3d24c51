"""The tier-ladder analysis written the plain way, every tier against every earlier taking
tier, for checking that ``rules._tiers.analyse`` finds exactly the same on small ladders."""

from __future__ import annotations

from collections.abc import Sequence

from dunning.policy.model import Tier
from dunning.rules._tiers import TierAnalysis, boxes, covered


def plain_analyse(tiers: Sequence[Tier]) -> TierAnalysis:
    """Shadowing and first partial overlaps, by comparing each tier with every earlier taking one."""
    own = {t.id: boxes(t) for t in tiers}
    taking: list[Tier] = []
    shadowed: dict[str, list[Tier]] = {}
    overlaps = []
    for later in tiers:
        mine = own[later.id]
        if not mine:
            continue
        touching = [t for t in taking if any(a.meets(b) for a in own[t.id] for b in mine)]
        cover = [b for t in touching for b in own[t.id]]
        if touching and all(covered(b, cover) for b in mine):
            shadowed[later.id] = touching
            continue
        for first in touching:
            theirs = own[first.id]
            if all(any(b.within(m) for m in mine) for b in theirs) or all(covered(b, mine) for b in theirs):
                continue
            common = next(a & b for a in theirs for b in mine if a.meets(b))
            overlaps.append((first, later, common))
            break
        taking.append(later)
    return TierAnalysis(own, shadowed, overlaps)
