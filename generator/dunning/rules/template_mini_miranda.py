"""T008 template-mini-miranda: a US collection message without the debt-collector disclosure.

12 CFR 1006.18(e) (the "mini-Miranda"): communications from a debt collector must say so.
Every ``collection``-purpose SMS, email, letter and call script in a locale that a US
jurisdiction serves must include ``{{ compliance.mini_miranda }}`` or, where space is short,
``{{ compliance.mini_miranda_short }}`` (directly, or in a file it includes).
``notice`` templates too: the validation notice is a communication, model form B-1 opens
with the disclosure, and the pack's disclosure rule scopes both purposes (the stricter
reading). ``limited_content`` messages (voicemails) must not carry it and ``internal`` ones
never reach the debtor. Reported at the top of the file.

Passing::

    {{ company.sms_signature }}: your payment is overdue. {{ compliance.mini_miranda_short }}
    {{ compliance.opt_out }}

Failing::

    {{ company.sms_signature }}: your payment is overdue. {{ compliance.opt_out }}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import served_by, template_files, uses

CODE = "T008"
NAME = "template-mini-miranda"
LEVEL = Level.ERROR
CHANNELS = ("sms", "email", "letter", "call")


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report US-served collection and notice templates without either mini-Miranda text."""
    rule = sys.modules[__name__]
    for file in template_files(ctx):
        template = file.template
        if file.tree is None or template.purpose not in ("collection", "notice") or template.channel not in CHANNELS:
            continue
        if not served_by(ctx, file.locale, "US"):
            continue
        if not uses(ctx, file, "compliance", "mini_miranda", "mini_miranda_short"):
            yield ctx.problem(
                rule,
                file.source(),
                f"{template.channel} template {template.id!r} ({file.locale}) is a US collection message "
                "without the mini-Miranda disclosure",
                "add {{ compliance.mini_miranda }} (or {{ compliance.mini_miranda_short }} in a text)",
            )
