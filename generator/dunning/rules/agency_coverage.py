"""X020 agency-coverage: an agency placement step reaches accounts that no agency may take.

Agencies are contracted per jurisdiction (``agencies: [{jurisdictions: …}]``). An
``agency`` step that names an agency must only reach jurisdictions that agency serves; one
that names none is placed with an agency serving the account's jurisdiction, so every
jurisdiction the step can reach needs one. Otherwise those accounts are never placed.
Reported at the step (its ``agency:`` when given).

Passing::

    agencies:
      - {id: northwind, name: Northwind Recovery, jurisdictions: [US], fields: [account_id]}
      - {id: huaxia, name: 华夏商务, jurisdictions: [CN], fields: [account_id]}
    strategies:
      recovery: {steps: [{day: 120, channel: agency, template: agency-placement}]}

Failing (no agency serves CN accounts)::

    agencies:
      - {id: northwind, name: Northwind Recovery, jurisdictions: [US], fields: [account_id]}
    strategies:
      recovery: {steps: [{day: 120, channel: agency, template: agency-placement}]}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._reach import covers, reached, step_reaches, users

CODE = "X020"
NAME = "agency-coverage"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report agency steps that reach jurisdictions without an agency."""
    rule = sys.modules[__name__]
    policy = ctx.policy
    for sid, strategy in policy.strategies.items():
        for step in strategy.steps:
            if step.channel != "agency":
                continue
            codes = sorted(
                {
                    j.code
                    for u in users(policy, sid)
                    if step_reaches(step, u)
                    for j in reached(policy, u.tier.jurisdictions, step.when.jurisdictions)
                }
            )
            named = policy.agencies.get(step.agency or "")
            if step.agency is not None and named is None:
                continue  # X012
            candidates = [named] if named is not None else list(policy.agencies.values())
            missing = [c for c in codes if not any(covers(j, c) for a in candidates for j in a.jurisdictions)]
            if not missing:
                continue
            who = f"agency {step.agency!r}" if named is not None else "no agency"
            yield ctx.problem(
                rule,
                at(ctx, step.source, "agency") if named is not None else step.source,
                f"agency step {step.id} of strategy {sid!r} reaches {', '.join(missing)} accounts, which {who} serves",
                "add an agency for those jurisdictions, or narrow the step with `when: {jurisdictions: [...]}`",
            )
