"""T015 template-table-widths: a letter's table without a fixed width for every column.

Letters are typeset by Typst. A table whose every column has a declared width
(``<col style="width: 15mm">``, in mm, cm, in, pt or % of the text width), together at most
170 mm (A4's text width), is printed as lines of boxes of those widths; any other table is
laid out by Typst's table with ``auto`` columns, measured against their content: ≈ 1 ms of
CPU more a letter (a 3-column payment table: ≈ 1.7 ms against ≈ 0.75 ms as boxes, measured
2026-12-07), ≈ 24 s of CPU for the 24,310 letters of the bench portfolio's Monday at 1M accounts, and columns
that move with their content from letter to letter. Each letter template is rendered for the
synthetic sample personas of its locale, the first table without fixed widths is reported,
once a file, at its ``<table`` when the source holds one for each rendered table. A
performance and layout note, not a fault: ``info``.

Passing::

    <table><colgroup><col style="width: 15mm"><col style="width: 40mm"><col style="width: 62mm"></colgroup>
    <tr><th>#</th><th>Due</th><th>Amount</th></tr>…</table>

Failing (no widths: Typst sizes the three columns to their content)::

    <table><tr><th>#</th><th>Due</th><th>Amount</th></tr>…</table>
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import sample_renders, template_files
from dunning.text.table_widths import auto_tables

CODE = "T015"
NAME = "template-table-widths"
LEVEL = Level.INFO

_TABLE = re.compile(r"<table\b", re.I)


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report letter templates whose sample renderings hold a table with ``auto`` columns."""
    rule = sys.modules[__name__]
    for file in template_files(ctx):
        if file.tree is None or file.text is None or file.template.channel != "letter":
            continue
        for render in sample_renders(ctx, file):
            if render.text is None:
                continue
            count, auto = auto_tables(render.text)
            if not auto:
                continue
            table = min(auto, key=lambda found: found.number)
            starts = [match.start() for match in _TABLE.finditer(file.text)]
            where = file.source(*file.position(starts[table.number])) if len(starts) == count else file.source()
            yield ctx.problem(
                rule,
                where,
                f"letter template {file.template.id!r} ({file.locale}) prints a {table.columns}-column table "
                f"that {table.why()} (sample persona {render.persona!r}): Typst sizes its columns to their "
                "content, ≈ 1 ms of CPU more a letter than fixed widths",
                'declare one <col style="width: 15mm"> per column in a <colgroup>, together at most 170 mm '
                "(mm, cm, in, pt or % of the text width)",
            )
            break
