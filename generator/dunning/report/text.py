"""``file:line:col: level CODE message`` with an excerpt and a hint, then the acknowledged
findings one line each, then a count line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from dunning.problems import Problem

if TYPE_CHECKING:
    from dunning.acknowledge import Acknowledged

TINT = {"error": "red", "warning": "yellow", "info": "cyan"}


def _places(found: Sequence[Problem]) -> str:
    """``file:22:9, 43:9`` — the file named once while it does not change."""
    out: list[str] = []
    last = ""
    for p in found:
        out.append(p.location if p.file != last else f"{p.line}:{p.col}")
        last = p.file
    return ", ".join(out)


def render(problems: list[Problem], color: bool = False, acknowledged: Sequence[Acknowledged] = ()) -> str:
    """Human-readable report; the last line counts errors, warnings, notes and acknowledged
    findings. Colour is click's styling (so it works on Windows terminals too)."""
    from dunning.report import counts_line

    out: list[str] = []
    for p in problems:
        if color:
            where = click.style(f"{p.location}:", bold=True)
            head = f"{where} {click.style(p.level.value, fg=TINT[p.level.value])} {p.code} {p.message}"
        else:
            head = f"{p.location}: {p.level.value} {p.code} {p.message}"
        out.append(head)
        if p.excerpt:
            out.append(p.excerpt)
        if p.hint:
            out.append(f"      = hint: {p.hint}")
    if acknowledged:
        from dunning.acknowledge import grouped

        out.append("acknowledged:")
        for code, reason, where, found in grouped(acknowledged):
            places = _places(found)
            out.append(f"  {code} {places}" if not color else f"  {code} {click.style(places, bold=True)}")
            out.append(f"      = {reason} ({where})")
    out.append(counts_line(problems, len(acknowledged)))
    return "\n".join(out) + "\n"
