"""X015 template-file-missing: a step's template has no file for a locale that can reach the step.

A step is sent in the locale of each account it reaches. Its accounts come from the tiers
that run the strategy (directly or through an experiment arm, which may swap the template)
and from the jurisdictions those tiers and the step's ``when`` allow; every locale those
jurisdictions serve needs the template's file. Reported at the step's ``template:``, with
the missing file in the hint. (Templates registered with ``locales:`` narrower than the
portfolio's are fine as long as the step cannot reach the other locales.)

Passing (the visit step only reaches CN accounts, and CN serves zh-CN only)::

    strategies:
      late:
        steps:
          - {day: 70, channel: visit, template: visit-sheet, when: {jurisdictions: [CN]}}
    templates:
      visit-sheet: {channel: visit, locales: [zh-CN]}

Failing (US accounts in en-US reach the step; there is no en-US visit sheet)::

    strategies:
      late:
        steps:
          - {day: 70, channel: visit, template: visit-sheet}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._reach import reached, step_reaches, template_path, users

CODE = "X015"
NAME = "template-file-missing"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each (step, template, locale) whose file is missing, once."""
    rule = sys.modules[__name__]
    root = ctx.repo.template_root
    policy = ctx.policy
    for sid, strategy in policy.strategies.items():
        for step in strategy.steps:
            if step.template is None:
                continue
            # (template id, locale) -> the jurisdictions and tiers that need it
            needs: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
            for user in users(policy, sid):
                if not step_reaches(step, user):
                    continue
                template_id = user.template(step.template)
                if template_id not in policy.templates:
                    continue  # X011
                for settings in reached(policy, user.tier.jurisdictions, step.when.jurisdictions):
                    for locale in settings.locales:
                        codes, who = needs.setdefault((template_id, locale), (set(), set()))
                        codes.add(settings.code)
                        who.add(user.describe())
            for (template_id, locale), (codes, who) in sorted(needs.items()):
                template = policy.templates[template_id]
                path = template_path(template, template_id, template.channel, locale)
                if locale in template.files and (root / path).is_file():
                    continue
                registered = "" if locale in template.locales else f" (registered for {', '.join(template.locales)})"
                yield ctx.problem(
                    rule,
                    at(ctx, step.source, "template"),
                    f"template {template_id!r} has no {locale} file{registered}, but step {step.id} of strategy "
                    f"{sid!r} reaches {locale} accounts ({', '.join(sorted(codes))}; {', '.join(sorted(who))})",
                    f"create templates/{path}"
                    + ("" if locale in template.locales else f" and add {locale} to the template's `locales:`")
                    + ", or narrow the step with `when: {jurisdictions: [...]}`",
                )
