"""``file:line:col: level CODE message`` with an excerpt and a hint, then a count line."""

from __future__ import annotations

from collections import Counter

from dunning.problems import Problem


def render(problems: list[Problem], color: bool = False) -> str:
    """Human-readable report; the last line counts errors and warnings."""
    out: list[str] = []
    for p in problems:
        head = f"{p.location}: {p.level.value} {p.code} {p.message}"
        if color:
            tint = {"error": "31", "warning": "33"}.get(p.level.value, "36")
            head = f"\x1b[1m{p.location}:\x1b[0m \x1b[{tint}m{p.level.value}\x1b[0m {p.code} {p.message}"
        out.append(head)
        if p.excerpt:
            out.append(p.excerpt)
        if p.hint:
            out.append(f"      = hint: {p.hint}")
    counts = Counter(p.level.value for p in problems)
    out.append(f"{counts['error']} error(s), {counts['warning']} warning(s)")
    return "\n".join(out) + "\n"
