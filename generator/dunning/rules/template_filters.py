"""T004 template-filter: a template uses a filter the sandbox does not have.

Templates may use the documented filters (``money``, ``number``, ``percent``, ``date``,
``datetime``, ``mask``, ``mask_phone``) and Jinja's safe built-ins (``upper``, ``default``,
``join`` …). Filters that can blow up output (``center``, ``indent``, ``wordwrap``,
``format``) or are not deterministic (``random``) are removed from the sandbox. Reported
at the filter's line and column.

Passing::

    {{ account.overdue_amount | money }}

Failing::

    {{ account.overdue_amount | currency }}
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterator

from jinja2 import nodes

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import sandbox, template_files
from dunning.templating.context_spec import FILTERS

CODE = "T004"
NAME = "template-filter"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report filters that are neither documented nor a sandbox built-in."""
    rule = sys.modules[__name__]
    available = set(sandbox(ctx).text_env.filters) | set(FILTERS)
    for file in template_files(ctx):
        if file.tree is None:
            continue
        seen: set[tuple[int, str]] = set()
        for node in file.find(nodes.Filter):
            if node.name in available or (node.lineno, node.name) in seen:
                continue
            seen.add((node.lineno, node.name))
            close = difflib.get_close_matches(node.name, sorted(FILTERS), n=1)
            yield ctx.problem(
                rule,
                file.find_in_tags(re.compile(rf"\|\s*({re.escape(node.name)})\b"), node.lineno, group=1),
                f"template {file.template.id!r} ({file.locale}) uses filter {node.name!r}, which templates do not have",
                (f"did you mean {close[0]!r}? " if close else "") + f"documented filters: {', '.join(FILTERS)}",
            )
