"""GitHub Actions: workflow-command annotations, the full list as log lines, a step summary.

GitHub shows at most 10 annotations of each level per step (the rest are dropped silently),
so the first 10 errors and the first 10 warnings (and notices) become ``::error``/
``::warning``/``::notice`` commands, every finding is also printed as a plain
``file:line:col: level CODE message`` line, and — when ``$GITHUB_STEP_SUMMARY`` is set — a
Markdown table of all findings is appended to the job summary.

Escaping follows the runner's rules: in the message ``%``, ``\\r`` and ``\\n`` become
``%25``, ``%0D`` and ``%0A``; in a property value (``file``, ``title``) ``:`` and ``,`` are
escaped as ``%3A`` and ``%2C`` too.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dunning.problems import Level, Problem

if TYPE_CHECKING:
    from dunning.acknowledge import Acknowledged

ANNOTATIONS_PER_LEVEL = 10
SUMMARY_ROWS = 500
COMMAND = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow-command message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem) -> str:
    """One ``::error file=…,line=…,col=…,title=CODE::message`` command."""
    props = [f"file={escape_property(problem.file)}"]
    if problem.line > 0:
        props.append(f"line={problem.line}")
        if problem.col > 0:
            props.append(f"col={problem.col}")
    props.append(f"title={escape_property(problem.code)}")
    message = problem.message + (f"\nhint: {problem.hint}" if problem.hint else "")
    return f"::{COMMAND[problem.level]} {','.join(props)}::{escape_data(message)}"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def summary(problems: list[Problem], acknowledged: Sequence[Acknowledged] = ()) -> str:
    """The Markdown job summary: counts, a table of the findings, then the acknowledged ones."""
    from dunning.report import counts_line

    errors = sum(p.level is Level.ERROR for p in problems)
    verdict = "✅ policy is valid" if not errors else "❌ policy has errors"
    out = [f"## dunning validate: {verdict}", "", f"**{counts_line(problems, len(acknowledged))}**", ""]
    if problems:
        out += ["| Location | Level | Code | Message |", "| --- | --- | --- | --- |"]
        for p in problems[:SUMMARY_ROWS]:
            message = p.message + (f" — hint: {p.hint}" if p.hint else "")
            out.append(f"| `{_cell(p.location)}` | {p.level.value} | {p.code} | {_cell(message)} |")
        if len(problems) > SUMMARY_ROWS:
            out += ["", f"… and {len(problems) - SUMMARY_ROWS} more (see the step log)."]
        out.append("")
    if acknowledged:
        from dunning.acknowledge import grouped

        out += ["Acknowledged:", "", "| Findings | Code | Reason |", "| --- | --- | --- |"]
        for code, reason, where, found in grouped(acknowledged):
            places = "<br>".join(f"`{_cell(p.location)}`" for p in found)
            out.append(f"| {places} | {code} | {_cell(reason)} (`{_cell(where)}`) |")
        out.append("")
    return "\n".join(out) + "\n"


def render(problems: list[Problem], color: bool = False, acknowledged: Sequence[Acknowledged] = ()) -> str:
    """Annotations (capped per level), then every finding as a plain line, the acknowledged
    findings one line each (never annotated), then the counts."""
    from dunning.report import counts_line

    out: list[str] = []
    shown: Counter[Level] = Counter()
    for p in problems:
        if shown[p.level] < ANNOTATIONS_PER_LEVEL:
            out.append(annotation(p))
        shown[p.level] += 1
    hidden = {level: n - ANNOTATIONS_PER_LEVEL for level, n in shown.items() if n > ANNOTATIONS_PER_LEVEL}
    if hidden:
        more = ", ".join(f"{n} {level.value}(s)" for level, n in sorted(hidden.items(), key=lambda kv: kv[0].value))
        note = f"{more} not shown as annotations (GitHub shows 10 of each level per step); all are listed below"
        out.append(f"::notice title={escape_property('dunning validate')}::{escape_data(note)}")
    for p in problems:
        hint = f" (hint: {p.hint})" if p.hint else ""
        out.append(f"{p.location}: {p.level.value} {p.code} {p.message}{hint}")
    if acknowledged:
        from dunning.acknowledge import grouped

        for code, reason, where, found in grouped(acknowledged):
            places = ", ".join(p.location for p in found)
            out.append(f"acknowledged {code} at {places}: {reason} ({where})")
    out.append(counts_line(problems, len(acknowledged)))
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(summary(problems, acknowledged))
        except OSError as exc:  # a broken runner setting must not hide the findings
            out.append(f"::warning title=dunning validate::cannot write the job summary: {escape_data(str(exc))}")
    return "\n".join(out) + "\n"
