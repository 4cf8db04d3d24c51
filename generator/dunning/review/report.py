"""The diff report: Markdown for a pull-request comment, JSON for machines.

Markdown starts with a one-paragraph summary (what a reviewer reads in the notification),
then one section per kind of element; lists longer than ``FOLD`` items and every word diff
sit in ``<details>`` so the comment stays short. The first line is a hidden marker, so a
workflow can find its previous comment and update it instead of adding another.
JSON is sorted and indented the same way every time (byte-identical for the same inputs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from dunning.review.failon import FailCondition
from dunning.review.semantic import CATEGORIES, Change

MARKER = "<!-- dunning-diff -->"
FOLD = 10
SCHEMA_VERSION = 1
HEADINGS = {
    "jurisdiction": "Jurisdictions",
    "pack": "Compliance packs",
    "tighten": "Stricter law settings",
    "portfolio": "Portfolio",
    "agency": "Agencies",
    "tier": "Tiers",
    "strategy": "Strategies",
    "step": "Cadence steps",
    "timetable": "Timetables",
    "window": "Contact windows",
    "blackout": "Blackout dates",
    "cap": "Frequency caps",
    "exclusion": "Exclusions",
    "offer": "Offers",
    "experiment": "Experiments",
    "arm": "Experiment arms",
    "template": "Templates",
    "template-file": "Other template files",
}


@dataclass(frozen=True)
class Side:
    """One compared revision as the report names it."""

    label: str
    commit: str | None
    prefix: str = ""  # the policy's folder inside the git repository

    def link(self, link_base: str | None, file: str, line: int) -> str | None:
        """A web link to ``file:line`` at this side's commit (None for the working tree)."""
        if not link_base or not self.commit:
            return None
        return f"{link_base.rstrip('/')}/{self.commit}/{self.prefix}{file}#L{line}"

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {"label": self.label, "commit": self.commit}

    def __str__(self) -> str:
        return f"`{self.label}` ({self.commit[:12]})" if self.commit else f"the {self.label}"


@dataclass(frozen=True)
class Verdict:
    """One ``--fail-on`` condition, what was measured and whether it holds."""

    condition: FailCondition
    measured: Decimal
    holds: bool

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        unit = "%" if self.condition.percent else ""
        return {"condition": self.condition.text, "measured": f"{self.measured}{unit}", "holds": self.holds}


@dataclass(frozen=True)
class DiffReport:
    """Everything ``dunning diff`` found."""

    base: Side
    head: Side
    changes: tuple[Change, ...]
    impact: Any = None  # dunning.review.impact.Impact, when accounts were given
    verdicts: tuple[Verdict, ...] = field(default=())

    @property
    def failed(self) -> bool:
        """True when any ``--fail-on`` condition holds."""
        return any(v.holds for v in self.verdicts)

    def metrics(self) -> dict[str, int]:
        """The numbers ``--fail-on`` conditions test."""
        out = {
            "changes": len(self.changes),
            "law-changes": sum(1 for c in self.changes if c.law),
            "wording-changes": sum(1 for c in self.changes if c.kind.endswith(".wording")),
        }
        if self.impact is not None:
            out.update(self.impact.metrics())
        return out


def counts_by_category(changes: Sequence[Change]) -> dict[str, int]:
    """Number of changes per category, in display order."""
    counted = Counter(c.category for c in changes)
    return {cat: counted[cat] for cat in CATEGORIES if counted[cat]}


def to_json(report: DiffReport) -> str:
    """The report as sorted, indented JSON (ends with a newline)."""
    data = {
        "schema_version": SCHEMA_VERSION,
        "base": report.base.to_json(),
        "head": report.head.to_json(),
        "summary": counts_by_category(report.changes),
        "changes": [c.to_json() for c in report.changes],
        "impact": report.impact.to_json() if report.impact is not None else None,
        "fail_on": [v.to_json() for v in report.verdicts],
        "failed": report.failed,
    }
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n"


def _fence(text: str) -> str:
    # A fence longer than any backtick run in the text, so template text cannot close it.
    longest = max((len(run) for run in text.split("\n") for run in _backtick_runs(run)), default=0)
    return "`" * max(3, longest + 1)


def _backtick_runs(line: str) -> list[str]:
    runs, current = [], ""
    for ch in line:
        if ch == "`":
            current += ch
        else:
            if current:
                runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs


def _change_line(change: Change, report: DiffReport, link_base: str | None) -> list[str]:
    where = ""
    if change.source:
        side = report.base if change.side == "base" else report.head
        url = side.link(link_base, change.source.file, change.source.line)
        text = f"`{change.source}`" + (" (base)" if change.side == "base" else "")
        where = f" — [{text}]({url})" if url else f" — {text}"
    lines = [f"- {'⚖️ ' if change.law else ''}{change.summary}{where}"]
    if change.detail:
        fence = _fence(change.detail)
        lines += [
            "  <details><summary>word diff</summary>",
            "",
            f"  {fence}text",
            *(f"  {line}" for line in change.detail.split("\n")),
            f"  {fence}",
            "",
            "  </details>",
        ]
    return lines


def folded(summary: str, lines: Sequence[str], fold: bool) -> list[str]:
    """``lines`` as they are, or inside a ``<details>`` block titled ``summary``."""
    if not fold:
        return [*lines, ""]
    return [f"<details><summary>{summary}</summary>", "", *lines, "", "</details>", ""]


def _summary(report: DiffReport) -> str:
    counts = counts_by_category(report.changes)
    if not counts:
        return "**No semantic changes**: the head policy does the same as the base policy."
    total = len(report.changes)
    parts = [f"{HEADINGS[cat]} {n}" for cat, n in counts.items()]
    law = sum(1 for c in report.changes if c.law)
    law_text = f" ⚖️ **{law} law change{'s' if law != 1 else ''}.**" if law else ""
    return f"**{total} change{'s' if total != 1 else ''}**: {' · '.join(parts)}.{law_text}"


def to_markdown(report: DiffReport, link_base: str | None = None) -> str:
    """The report as a pull-request comment; with ``link_base`` (e.g.
    ``https://github.com/OWNER/REPO/blob``) every YAML location links to its line."""
    out = [MARKER, f"### Policy diff: {report.base} → {report.head}", "", _summary(report), ""]
    if report.verdicts:
        failed = [v for v in report.verdicts if v.holds]
        out.append(
            "❌ **Fails**: " + ", ".join(f"`{v.condition.text}` (measured {v.to_json()['measured']})" for v in failed)
            if failed
            else "✅ No `--fail-on` condition holds: "
            + ", ".join(f"`{v.condition.text}` ({v.to_json()['measured']})" for v in report.verdicts)
        )
        out.append("")
    if report.impact is not None:
        out += report.impact.to_markdown()
    by_cat: dict[str, list[Change]] = {}
    for change in report.changes:
        by_cat.setdefault(change.category, []).append(change)
    for cat, changes in by_cat.items():
        out += [f"#### {HEADINGS[cat]} ({len(changes)})", ""]
        lines = [line for c in changes for line in _change_line(c, report, link_base)]
        out += folded(f"{len(changes)} changes", lines, len(changes) > FOLD)
    return "\n".join(out).rstrip("\n") + "\n"


def metric_table(metrics: Mapping[str, int]) -> list[str]:
    """A two-column Markdown table of metrics."""
    return ["| metric | count |", "|---|---:|", *(f"| {k} | {v} |" for k, v in metrics.items()), ""]


__all__ = ["MARKER", "DiffReport", "Side", "Verdict", "folded", "to_json", "to_markdown"]
