"""T003 template-attribute: a template reads an attribute the context object does not have.

``account``, ``tier``, ``action``, ``offer``, ``agency``, ``company`` and ``compliance`` have
documented attributes (:mod:`dunning.templating.context_spec`); a misspelt one
(``account.nmae``) fails at render time. Reported at the attribute's line and column.
Attributes of values inside them (``account.extra.branch``, items of ``offer.schedule``)
are not checked.

Passing::

    {{ account.name }} — {{ account.overdue_amount | money }}

Failing::

    {{ account.nmae }} — {{ account.overdue | money }}
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterator

from jinja2 import nodes

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import TemplateFile, template_files
from dunning.rules.template_names import local_names
from dunning.templating.context_spec import declared_attributes

CODE = "T003"
NAME = "template-attribute"
LEVEL = Level.ERROR


def misspelt(file: TemplateFile) -> Iterator[tuple[int, str, str]]:
    """(line, object, attribute) of each unknown attribute of a context object, once per line."""
    if file.tree is None:
        return
    own = local_names(file)
    seen: set[tuple[int, str, str]] = set()
    reads: list[tuple[int, str, str]] = []
    for node in file.find(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.ctx == "load":
            reads.append((node.lineno, node.node.name, node.attr))
    for item in file.find(nodes.Getitem):
        if isinstance(item.node, nodes.Name) and isinstance(item.arg, nodes.Const) and isinstance(item.arg.value, str):
            reads.append((item.lineno, item.node.name, item.arg.value))
    for line, obj, attr in reads:
        attrs = declared_attributes(obj)
        if obj in own or attrs is None or attr in attrs or (line, obj, attr) in seen:
            continue
        seen.add((line, obj, attr))
        yield line, obj, attr


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report unknown attributes at their line and column."""
    rule = sys.modules[__name__]
    for file in template_files(ctx):
        for line, obj, attr in sorted(misspelt(file)):
            known = sorted(declared_attributes(obj) or ())
            close = difflib.get_close_matches(attr, known, n=1)
            pattern = re.compile(rf"(?<![\w.]){re.escape(obj)}\s*(?:\.\s*|\[\s*['\"])({re.escape(attr)})\b")
            yield ctx.problem(
                rule,
                file.find_in_tags(pattern, line, group=1),
                f"template {file.template.id!r} ({file.locale}) reads {obj}.{attr}, but {obj!r} has no {attr!r}",
                f"did you mean {obj}.{close[0]}?" if close else f"{obj} has: {', '.join(known)}",
            )
