"""Policy.tier: the first tier of an id, None for any other value (a look-up table since
2026-12-07, asked once per plan line by render; it answers as the search of the tuple did)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from dunning.policy import require_policy


def test_each_id_gives_its_first_tier_and_anything_else_none(example_root: Path) -> None:
    policy = require_policy(example_root)
    first = policy.tiers[0]
    twin = dataclasses.replace(policy.tiers[1], id=first.id)  # an id twice: the first one's
    policy = dataclasses.replace(policy, tiers=(*policy.tiers, twin))
    for tier in policy.tiers[:-1]:
        assert policy.tier(tier.id) is tier
    assert policy.tier(first.id) is first
    for other in ("", "no-such-tier", first.id.upper(), f" {first.id}"):
        assert policy.tier(other) is None
    # a bad plan line's value: no TypeError from the table (an unhashable list), None as before
    for value in (None, 7, ["x"], {"id": first.id}):
        assert policy.tier(value) is None  # type: ignore[arg-type]
