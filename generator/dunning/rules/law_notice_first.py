"""L007 law-notice-first: a US account's first communication comes more than five days
before its validation notice.

Regulation F requires the validation notice to be the initial communication or to be sent
within five days after it (12 CFR 1006.34(a)(1)). Read along the tier ladder (each day the
tier that holds the account, its strategy's steps that fire), the first step on a contact
channel is the initial communication; a step whose template is registered with ``notice: validation`` is
the notice. The planner holds every other communication until a notice has been sent, so a
cadence like this one is not what US debtors get: their texts and calls wait for the
notice. Reported at the first communication, as an error: the policy as written is
unlawful for US accounts.

Passing (the notice goes with the first text)::

    strategies:
      early:
        steps:
          - {day: 1, channel: letter, template: letter-notice, when: {jurisdictions: [US]}}
          - {day: 1, channel: sms, template: sms-reminder}

Failing (a text on day 1, the notice on day 21)::

    strategies:
      early:
        steps:
          - {day: 1, channel: sms, template: sms-reminder}
          - {day: 21, channel: letter, template: letter-notice}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.policy.model import CONTACT_CHANNELS
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._journey import journey, jurisdictions_with

CODE = "L007"
NAME = "law-notice-first"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report, per jurisdiction under Regulation F, a first communication that its notice
    does not accompany or follow within the allowed days."""
    rule = sys.modules[__name__]
    templates = ctx.policy.templates
    reported: set[tuple[str, int, int]] = set()
    for code, params, rule_id, citation in jurisdictions_with(ctx, "notice_first"):
        within = int(str(params.get("within_days", 5)))
        contacts = [f for f in journey(ctx, code) if f.step.channel in CONTACT_CHANNELS and f.step.template]
        if not contacts:
            continue
        first = contacts[0]
        notice = next(
            (f for f in contacts if (t := templates.get(f.step.template or "")) and t.notice == "validation"), None
        )
        if notice is not None and notice.day <= first.day + within:
            continue
        where = first.step.source
        if (where.file, where.line, where.col) in reported:
            continue
        reported.add((where.file, where.line, where.col))
        when = "no step sends a validation notice (`notice: validation`)"
        if notice is not None:
            when = f"the notice {notice.step.template!r} follows on day {notice.day}"
        yield ctx.problem(
            rule,
            where,
            f"{code} accounts are first contacted on day {first.day} ({first.step.channel} {first.step.template!r}, "
            f"strategy {first.strategy!r}) but {when}; {rule_id} ({citation}) requires the validation notice "
            f"in the initial communication or within {within} days after it",
            f"send the template registered with `notice: validation` on day {first.day} to "
            f"{first.day + within} for {code} accounts (mark it `required: true`), or start their contact with it",
        )
