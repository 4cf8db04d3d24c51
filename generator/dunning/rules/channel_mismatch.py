"""X016 channel-mismatch: a step sends a template written for another channel.

An SMS step with an email template would send a subject line and HTML as a text message.
Reported at the step's ``template:`` (or at the arm that swaps the template in).

Passing::

    steps:
      - {day: 8, channel: sms, template: sms-early}
    templates:
      sms-early: {channel: sms}

Failing::

    steps:
      - {day: 8, channel: sms, template: email-early}
    templates:
      email-early: {channel: email}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._reach import users

CODE = "X016"
NAME = "channel-mismatch"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report steps (and arm swaps) whose template's channel differs from the step's."""
    rule = sys.modules[__name__]
    templates = ctx.policy.templates
    for sid, strategy in ctx.policy.strategies.items():
        for step in strategy.steps:
            template = templates.get(step.template or "")
            if template is not None and template.channel != step.channel:
                yield ctx.problem(
                    rule,
                    at(ctx, step.source, "template"),
                    f"step {step.id} of strategy {sid!r} is a {step.channel} step, "
                    f"but template {template.id!r} is for {template.channel}",
                    f"use a {step.channel} template, or change the step's channel to {template.channel}",
                )
            seen: set[tuple[str, str]] = set()
            for user in users(ctx.policy, sid):
                if user.arm is None or user.experiment is None or step.template is None:
                    continue
                swapped = templates.get(user.arm.templates.get(step.template, ""))
                key = (user.experiment.id, user.arm.id)
                if swapped is None or swapped.channel == step.channel or key in seen:
                    continue
                seen.add(key)
                yield ctx.problem(
                    rule,
                    at(ctx, user.arm.source, "templates", step.template),
                    f"arm {user.arm.id!r} of experiment {user.experiment.id!r} swaps in {swapped.channel} template "
                    f"{swapped.id!r} for the {step.channel} step {step.id} of strategy {sid!r}",
                    f"swap in a {step.channel} template",
                )
