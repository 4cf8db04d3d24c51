"""T007 template-opt-out: an SMS or email template without the opt-out instruction.

Regulation F (12 CFR 1006.6(e)) requires a clear way to opt out of electronic
communications in every text and email, and CN carriers require the unsubscribe keyword in
texts. The jurisdiction's wording lives in the compliance texts; the template must include
it with ``{{ compliance.opt_out }}`` (directly, or in a file it includes). Every SMS and
email template that is not ``internal`` is checked, in every locale. Reported at the top of the file.

Passing::

    {{ company.sms_signature }}: your payment is overdue. {{ compliance.opt_out }}

Failing::

    {{ company.sms_signature }}: your payment is overdue.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import template_files, uses

CODE = "T007"
NAME = "template-opt-out"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report SMS and email templates that never output ``compliance.opt_out``."""
    rule = sys.modules[__name__]
    for file in template_files(ctx):
        template = file.template
        if file.tree is None or template.channel not in ("sms", "email") or template.purpose == "internal":
            continue
        if not uses(ctx, file, "compliance", "opt_out"):
            yield ctx.problem(
                rule,
                file.source(),
                f"{template.channel} template {template.id!r} ({file.locale}) has no opt-out instruction",
                "add {{ compliance.opt_out }} (the jurisdiction's wording) to the message",
            )
