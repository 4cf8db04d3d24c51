"""P140 exclusion-channels: a ``suppress`` exclusion without channels, or channels that do nothing.

``effect: suppress`` stops only the listed ``channels`` — without any it stops nothing (an
error). ``exclude`` and ``pause`` stop every channel, so ``channels:`` on them is ignored
(a warning). Reported at ``effect:`` / ``channels:``.

Passing::

    exclusions:
      - {id: hardship, when: {flags: [hardship]}, effect: suppress, channels: [visit], reason: Hardship}

Failing::

    exclusions:
      - {id: hardship, when: {flags: [hardship]}, effect: suppress, reason: Hardship}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.policy.model import ExclusionEffect
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P140"
NAME = "exclusion-channels"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report suppress-without-channels and channels on exclude/pause."""
    rule = sys.modules[__name__]
    for exclusion in ctx.policy.exclusions:
        if exclusion.effect is ExclusionEffect.SUPPRESS and not exclusion.channels:
            yield ctx.problem(
                rule,
                at(ctx, exclusion.source, "effect"),
                f"exclusion {exclusion.id!r} suppresses no channel",
                "list the channels to suppress: `channels: [call, visit]`",
            )
        elif exclusion.effect is not ExclusionEffect.SUPPRESS and exclusion.channels:
            yield ctx.problem(
                rule,
                at(ctx, exclusion.source, "channels"),
                f"exclusion {exclusion.id!r} has effect {exclusion.effect.value}, which stops every channel; "
                "`channels` is ignored",
                "use `effect: suppress` to stop only these channels, or remove `channels:`",
                Level.WARNING,
            )
