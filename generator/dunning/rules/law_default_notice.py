"""L008 law-default-notice: a UK cadence enforces before a default notice's remedy period
can have run.

A creditor may not place the debt with an agency or take legal action until at least 14
days after a default notice is served (Consumer Credit Act 1974 ss. 87(1), 88(2)). A posted
notice is deemed served when it would arrive in the ordinary course of post (Interpretation
Act 1978 s. 7); the stricter reading assumes second-class post, 4 business days, which over
Christmas and New Year can be 12 calendar days (posted on Wednesday 24 December 2025: served
Monday 5 January, Scotland's 2 January counted as a bank holiday; a static check does not
know the account's nation). So an ``agency`` or ``legal_review`` step must come at least 27
days (12 + 14 + 1) after the first step that sends a template registered with ``notice:
default``, or there must be no such step before it at all (then no enforcement is lawful).
A policy that tightens ``remedy_days`` or ``service_business_days`` widens the gap. The
planner checks the real dates per account (``compliance.notices``, ``Planner._remedy_wait``).

Passing::

    strategies:
      late:
        steps:
          - {day: 61, channel: letter, template: letter-default}  # notice: default
          - {day: 90, channel: agency, template: agency-placement}

Failing (placement 14 days after posting the notice)::

    strategies:
      late:
        steps:
          - {day: 61, channel: letter, template: letter-default}  # notice: default
          - {day: 75, channel: agency, template: agency-placement}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.compliance.notices import ENFORCEMENT, worst_case_gap
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._journey import journey, jurisdictions_with

CODE = "L008"
NAME = "law-default-notice"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each enforcement step that comes too soon after (or without) a default notice."""
    rule = sys.modules[__name__]
    templates = ctx.policy.templates
    reported: set[tuple[str, int, int]] = set()
    for code, params, rule_id, citation in jurisdictions_with(ctx, "default_notice"):
        gap = worst_case_gap(int(str(params.get("remedy_days", 14))), int(str(params.get("service_business_days", 4))))
        notice_day: int | None = None
        for firing in journey(ctx, code):
            step = firing.step
            template = templates.get(step.template or "")
            if notice_day is None and template is not None and template.notice == "default":
                notice_day = firing.day
            if step.channel not in ENFORCEMENT:
                continue
            if notice_day is not None and firing.day >= notice_day + gap:
                continue
            where = step.source
            if (where.file, where.line, where.col) in reported:
                continue
            reported.add((where.file, where.line, where.col))
            after = (
                "no default notice is sent before it"
                if notice_day is None
                else (f"the default notice goes out on day {notice_day}, {firing.day - notice_day} day(s) before")
            )
            yield ctx.problem(
                rule,
                where,
                f"{step.channel} on day {firing.day} for {code} accounts, but {after}; {rule_id} ({citation}) "
                f"allows enforcement only after the remedy period, at the earliest {gap} days after posting",
                f"move the step to day {(notice_day or firing.day) + gap} or later, or send a notice "
                "(`notice: default`) at least that long before it",
            )
