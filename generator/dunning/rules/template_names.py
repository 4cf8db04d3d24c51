"""T002 template-undeclared: a template uses a name that is not in the template context.

The context a template is rendered with is a documented contract
(:mod:`dunning.templating.context_spec`): ``account``, ``tier``, ``arm``, ``action``, ``offer``,
``agency``, ``company``, ``compliance``, ``as_of`` and ``locale``. Any other top-level name
fails at render time for every account (templates run with ``StrictUndefined``). Loop
variables, ``{% set %}`` names and macro arguments are the template's own and are fine.
Reported at the name's line and column.

Passing::

    {{ account.name }}, {% for p in offer.schedule %}{{ p.amount | money }} {% endfor %}

Failing (``customer`` is not in the context)::

    {{ customer.name }}
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

from jinja2 import nodes

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import TemplateFile, template_files
from dunning.templating.context_spec import declared_names

CODE = "T002"
NAME = "template-undeclared"
LEVEL = Level.ERROR
# Names Jinja itself provides inside templates.
JINJA_NAMES = frozenset({"range", "loop", "dict", "namespace", "super", "self", "varargs", "kwargs", "caller"})


def local_names(file: TemplateFile) -> set[str]:
    """Names the template defines itself: loop targets, set, macro and call arguments, imports."""
    names = {n.name for n in file.find(nodes.Name) if n.ctx in ("store", "param")}
    names.update(m.name for m in file.find(nodes.Macro))
    names.update(i.target for i in file.find(nodes.Import))
    for imp in file.find(nodes.FromImport):
        names.update(n if isinstance(n, str) else n[1] for n in imp.names)
    return names


def undeclared(file: TemplateFile) -> Iterator[tuple[int, str]]:
    """(line, name) of each undeclared top-level name, once per line."""
    if file.tree is None:
        return
    allowed = declared_names() | JINJA_NAMES | local_names(file)
    seen: set[tuple[int, str]] = set()
    for node in file.find(nodes.Name):
        if node.ctx == "load" and node.name not in allowed and (node.lineno, node.name) not in seen:
            seen.add((node.lineno, node.name))
            yield node.lineno, node.name


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report undeclared names at their line and column."""
    rule = sys.modules[__name__]
    import difflib

    known = sorted(declared_names())
    for file in template_files(ctx):
        for line, name in sorted(undeclared(file)):
            close = difflib.get_close_matches(name, known, n=1)
            yield ctx.problem(
                rule,
                file.find_in_tags(re.compile(rf"(?<![\w.]){re.escape(name)}\b"), line),
                f"template {file.template.id!r} ({file.locale}) uses {name!r}, which is not in the template context",
                (f"did you mean {close[0]!r}? " if close else "")
                + "the context is documented in the handbook (Templates → context)",
            )
