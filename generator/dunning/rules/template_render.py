"""T011 template-render: a template fails when rendered for the synthetic sample personas.

Every registered template is rendered, in the sandbox, for the synthetic personas of its
locale (no real account data). A template that parses and uses only documented names can
still fail at render time — a filter given the wrong kind of value, ``offer.total`` read
outside ``{% if offer %}`` for a debtor without an offer, a division by zero, or a refused
sandbox operation. Reported at the failing line. (Unknown names, attributes and filters
are T002–T004 and are not repeated here.)

Passing::

    {% if offer %}Pay {{ offer.total | money }} by {{ offer.first_due_date | date }}.{% endif %}

Failing (personas without an offer have ``offer`` = none)::

    Pay {{ offer.total | money }} by {{ offer.first_due_date | date }}.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import sample_renders, template_files
from dunning.rules.template_attributes import misspelt
from dunning.rules.template_names import undeclared

CODE = "T011"
NAME = "template-render"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report the first sample render failure of each template file."""
    rule = sys.modules[__name__]
    for file in template_files(ctx):
        if file.tree is None or any(undeclared(file)) or any(misspelt(file)):
            continue
        failed = [r for r in sample_renders(ctx, file) if r.text is None]
        if not failed:
            continue
        first = failed[0]
        yield ctx.problem(
            rule,
            file.source(first.error_line or 1, 1),
            f"template {file.template.id!r} ({file.locale}) fails for sample persona {first.persona!r}: {first.error}",
            "guard optional values ({% if offer %} … {% endif %}) and pass filters the kind of value they expect",
        )
