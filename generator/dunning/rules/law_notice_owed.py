"""L009 law-notice-owed: an account first seen in a tier without its validation notice
would never hear from that tier's strategy.

Regulation F wants the validation notice first (12 CFR 1006.34(a)(1)); with a history that
records sends, the planner holds every other communication to a US account until one has
been sent (``us-regf.validation-notice-first``). An account can arrive in any tier — a book
bought at 95 days past due, a first run of dunning on a live portfolio — and a notice can
come back undelivered. In a strategy where no ``required`` step sends a template registered
with ``notice: validation``, such an account waits for a notice nothing sends: no contact
at all, for as long as it stays in the tier. A ``required`` notice step is sent however late
the account arrives and is skipped for an account that already had a notice of its kind in
this arrears, so one at the tier's first day costs the accounts that came up the ladder
nothing. Reported at the strategy, once per country, as a warning: the plan is lawful (it
contacts nobody), but the book goes uncollected.

Passing (the early tier catches up the notice of an account first seen in it)::

    strategies:
      early:
        steps:
          - {day: 8, channel: letter, template: letter-notice, required: true,
             when: {jurisdictions: [US]}}
          - {day: 8, channel: sms, template: sms-early}

Failing (an account first seen on day 20 waits in ``early`` for a notice it never sends)::

    strategies:
      early:
        steps:
          - {day: 8, channel: sms, template: sms-early}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._journey import jurisdictions_with
from dunning.rules._reach import covers, users

CODE = "L009"
NAME = "law-notice-owed"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report, per country under Regulation F, each strategy that an account of it can be
    first seen in and that has no required step sending the validation notice."""
    rule = sys.modules[__name__]
    policy = ctx.policy
    reported: set[tuple[str, str]] = set()
    for code, _params, rule_id, citation in jurisdictions_with(ctx, "notice_first"):
        country = code.split("-", 1)[0]
        for sid, strategy in policy.strategies.items():
            if (sid, country) in reported:
                continue
            runs = [
                user
                for user in users(policy, sid)
                if not user.tier.jurisdictions or any(covers(j, code) for j in user.tier.jurisdictions)
            ]
            if not runs:
                continue
            sends = [
                step
                for step in strategy.steps
                if step.required
                and step.template is not None
                and all(
                    (t := policy.templates.get(user.template(step.template))) is not None and t.notice == "validation"
                    for user in runs
                )
                and (not step.when.jurisdictions or any(covers(j, code) for j in step.when.jurisdictions))
            ]
            if sends:
                continue
            reported.add((sid, country))
            tier = runs[0].tier
            days = f"{tier.dpd.low}–{tier.dpd.high}" if tier.dpd.high is not None else f"{tier.dpd.low} on"
            yield ctx.problem(
                rule,
                strategy.source,
                f"{country} accounts first seen in {runs[0].describe()} (days {days}) without a validation notice, "
                f"or whose notice came back, never hear from strategy {sid!r}: no `required` step of it sends a "
                f"template registered with `notice: validation`, and with a history that records sends {rule_id} "
                f"({citation}) holds every other communication until one is sent",
                f"add a step `{{day: {tier.dpd.low}, channel: letter, template: <the notice>, required: true, "
                f"when: {{jurisdictions: [{country}]}}}}` to {sid!r}; an account that already had its notice in "
                "this arrears skips it",
            )
