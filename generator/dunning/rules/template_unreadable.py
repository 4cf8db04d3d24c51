"""T010 template-unreadable: a template file that may not or cannot be read.

Templates are read only from ``templates/``: a template path with ``..``, an absolute path,
or a symlink that points outside the folder is refused (a policy pull request must not be
able to make the renderer read ``/etc/passwd``). A file that is not UTF-8 text is refused
too. Reported at the file.

Passing: ``templates/sms/sms-early.en-US.j2``, a UTF-8 text file.

Failing: ``templates/sms/sms-early.en-US.j2`` as a symlink to ``/etc/passwd``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import template_files

CODE = "T010"
NAME = "template-unreadable"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report registered template files refused by the sandbox's loader."""
    rule = sys.modules[__name__]
    for file in template_files(ctx):
        if file.unreadable:
            yield ctx.problem(
                rule,
                file.source(),
                f"template {file.template.id!r} ({file.locale}) cannot be read: {file.unreadable}",
                "keep template files as UTF-8 text inside templates/ (no symlinks out of it)",
            )
