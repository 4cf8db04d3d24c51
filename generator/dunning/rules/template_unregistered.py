"""T012 template-unregistered: a file under ``templates/`` that no registry entry uses.

Only templates registered in ``templates:`` are ever sent; a file nobody registered is
either a forgotten draft or — more often — a registry entry whose ``file:`` or id has a
typo, so the intended file is never used. Files that registered templates pull in with
``{% include %}``, ``{% extends %}`` or ``{% import %}`` are in use. Reported at the file.

Passing::

    templates:
      sms-early: {channel: sms}        # uses templates/sms/sms-early.<locale>.j2

Failing (``templates/sms/sms-erly.en-US.j2`` exists but nothing registers it)::

    templates:
      sms-early: {channel: sms}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from jinja2 import nodes

from dunning.load.repository import resolves_inside
from dunning.policy.model import Source
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import template_files

CODE = "T012"
NAME = "template-unregistered"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report template files that are neither registered nor included by a registered one."""
    rule = sys.modules[__name__]
    used = {name for t in ctx.policy.templates.values() for name in t.files.values()}
    for file in template_files(ctx):
        for node in file.find(nodes.Include) + file.find(nodes.Extends) + file.find(nodes.Import):
            if isinstance(node.template, nodes.Const) and isinstance(node.template.value, str):
                used.add(node.template.value)
        for imp in file.find(nodes.FromImport):
            if isinstance(imp.template, nodes.Const) and isinstance(imp.template.value, str):
                used.add(imp.template.value)
    for name in ctx.repo.template_files():
        if name in used or name.rsplit("/", 1)[-1].startswith("."):
            continue
        if not resolves_inside(ctx.repo.root, ctx.repo.template_root / name):
            continue  # T010 refuses it
        yield ctx.problem(
            rule,
            Source(f"templates/{name}", 1, 1),
            f"templates/{name} is not used by any registered template",
            "register it under `templates:` (check the id, channel and locale in the file name), or delete it",
        )
