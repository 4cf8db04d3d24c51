"""T001 template-syntax: a template file is not valid Jinja.

Reported at the template's own line where Jinja gave up (an unclosed tag, an ``endif``
without ``if``, an unknown tag).

Passing::

    {% if offer %}You can pay in {{ offer.instalments }} parts.{% endif %}

Failing (the ``if`` is never closed)::

    {% if offer %}You can pay in {{ offer.instalments }} parts.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import template_files

CODE = "T001"
NAME = "template-syntax"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each registered template file that does not parse."""
    rule = sys.modules[__name__]
    for file in template_files(ctx):
        if file.syntax_error is not None:
            line, message = file.syntax_error
            yield ctx.problem(
                rule,
                file.source(line, 1),
                f"Jinja syntax error in template {file.template.id!r} ({file.locale}): {message}",
                "check that every {% if %}/{% for %}/{% block %} is closed and every {{ }} is balanced",
            )
