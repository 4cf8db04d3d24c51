"""P117 step-escalation-blocked: an exclusion suppresses every channel that sends a message a
later step requires, so for the accounts it covers that step never comes.

When ``agency`` requires a sent ``letter-pre-legal`` and an exclusion suppresses letters for
some accounts, those accounts wait at ``step/waiting`` for good. That may be intended (no
placement without the notice), but the reviewer should see it. Reported at the requirement,
naming the exclusion.

Passing::

    exclusions:
      - {id: hardship, when: {flags: [hardship]}, effect: suppress, channels: [visit]}

Failing::

    exclusions:
      - {id: no-post, when: {flags: [vulnerable]}, effect: suppress, channels: [letter]}
    # with a step: {day: 120, channel: agency, requires: [{sent: letter-pre-legal}]}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.policy.model import ExclusionEffect
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P117"
NAME = "step-escalation-blocked"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each requirement whose every sending channel some exclusion suppresses."""
    rule = sys.modules[__name__]
    channels_of: dict[str, set[str]] = {}
    for strategy in ctx.policy.strategies.values():
        for step in strategy.steps:
            if step.template:
                channels_of.setdefault(step.template, set()).add(step.channel)
    suppressing = [e for e in ctx.policy.exclusions if e.effect is ExclusionEffect.SUPPRESS]
    for sid, strategy in ctx.policy.strategies.items():
        for step in strategy.steps:
            for need in step.requires:
                channels = channels_of.get(need.sent)
                if not channels:
                    continue  # P115's finding
                for exclusion in suppressing:
                    if channels <= set(exclusion.channels) and step.channel not in exclusion.channels:
                        yield ctx.problem(
                            rule,
                            at(ctx, need.source, "sent"),
                            f"exclusion {exclusion.id!r} suppresses {', '.join(sorted(channels))}, the only "
                            f"channel(s) that send {need.sent!r}: step {step.id} of strategy {sid!r} never "
                            "comes for the accounts it covers",
                            f"send {need.sent!r} on another channel too, or suppress {step.channel} in "
                            f"{exclusion.id!r} as well",
                        )
