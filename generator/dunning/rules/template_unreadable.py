"""T010 template-unreadable: a template file that may not or cannot be read.

Templates are read only from ``templates/``: a template path with ``..``, an absolute path,
or a symlink that points outside the folder is refused (a policy pull request must not be
able to make the renderer read ``/etc/passwd``). Any path under ``templates/`` that
resolves outside the repository is reported, registered or not, and its target is never
read. A file that is not UTF-8 text, or is larger than 256 KiB (a long letter is about
5 KiB; parsing costs about 200 times a template's size in memory), is refused too.
Reported at the file.

Passing: ``templates/sms/sms-early.en-US.j2``, a UTF-8 text file.

Failing: ``templates/sms/sms-early.en-US.j2`` as a symlink to ``/etc/passwd``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.load.repository import TEMPLATE_DIR, files_under, outside_problem
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import template_files

CODE = "T010"
NAME = "template-unreadable"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report registered template files the sandbox's loader refuses, and every path under
    ``templates/`` that resolves outside the repository."""
    rule = sys.modules[__name__]
    reported = set()
    for file in template_files(ctx):
        if file.unreadable:
            reported.add(file.path)
            yield ctx.problem(
                rule,
                file.source(),
                f"template {file.template.id!r} ({file.locale}) cannot be read: {file.unreadable}",
                "keep template files as UTF-8 text inside templates/ (no symlinks out of it)",
            )
    root = ctx.repo.root
    for path in files_under(root, TEMPLATE_DIR).outside:
        finding = outside_problem(root, path, CODE)
        if finding.file not in reported:
            yield finding
