"""The validator's rule catalogue: one section per code, from :func:`dunning.rules.catalogue`
(generated from the rule docstrings; the same list SARIF output carries)."""

from __future__ import annotations

import re
import textwrap

from dunning.handbook.context import HandbookContext, Page
from dunning.handbook.markdown import code, table, text
from dunning.rules import catalogue

PATH = "rules.md"
_LITERAL = re.compile(r"::\s*$")


def rst_to_markdown(doc: str) -> str:
    """Docstring text → Markdown: ``Passing::`` + indented block becomes a fenced YAML block."""
    out: list[str] = []
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if _LITERAL.search(line):
            out.append(_LITERAL.sub(":", line))
            out.append("")
            i += 1
            block: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            while block and not block[0].strip():
                block.pop(0)
            out.append("```yaml")
            out.extend(textwrap.dedent("\n".join(block)).splitlines())
            out.append("```")
            out.append("")
            continue
        out.append(line)
        i += 1
    return "\n".join(out).strip() + "\n"


def pages(ctx: HandbookContext) -> list[Page]:
    """The rule catalogue page."""
    out = ["# Rule catalogue\n"]
    out.append(
        "Every problem `dunning validate` reports carries one of these codes: Y (load), S (schema), "
        "X (cross-file), P (policy semantics), T (templates), L (law against policy). "
        "`dunning validate --strict` fails on warnings too.\n\n"
    )
    rows = []
    sections = []
    for rule in catalogue():
        anchor = rule.code.lower()
        rows.append([f"[{text(rule.code)}](#{anchor})", code(rule.name), text(rule.level), text(rule.summary)])
        sections.append(f"\n## {text(rule.code)} {text(rule.name)} {{ #{anchor} }}\n")
        sections.append(f"*{text(rule.level)}* — {text(rule.summary)}\n\n{rst_to_markdown(rule.body)}")
    out.append(table(["Code", "Name", "Level", "Finds"], rows))
    out.extend(sections)
    return [Page(PATH, "Rule catalogue", "\n".join(out))]
