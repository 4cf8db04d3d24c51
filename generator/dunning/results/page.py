"""The handbook's "Results" page: rates by tier and by strategy, the experiments, the weekly
trend — counts and rates only, and nothing about a group too small to hide its members.

A group (or week, or experiment arm) with fewer than :data:`SMALL_GROUP` accounts is shown as
"fewer than 10" with no figure at all, so no customer can be singled out by subtraction from a
neighbouring figure. Amounts are never shown, not even summed. Charts are inline SVG with
integer coordinates, so the same report gives the same bytes.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

SMALL_GROUP = 10
HIDDEN = f"fewer than {SMALL_GROUP}"
RATES = (
    ("contact_rate", "Contact"),
    ("right_party_contact_rate", "Right-party contact"),
    ("promise_rate", "Promise"),
    ("kept_rate", "Kept"),
    ("cure_rate", "Cure"),
    ("roll_rate", "Roll"),
)
WEEKLY = (("contact_rate", "Contact", "#0072B2"), ("right_party_contact_rate", "Right-party contact", "#E69F00"))


def _percent(value: str | None) -> str:
    return "–" if value is None else f"{float(value) * 100:.1f} %"


def _label(value: str | None) -> str:
    return "(none)" if value is None else str(value)


def _table(report: dict[str, Any], key: str) -> list[str]:
    header = [key.capitalize(), "Accounts", *(label for _, label in RATES)]
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["--:"] * (len(header) - 1)) + "|"]
    for group in report["groups"]:
        name = html.escape(_label(group["key"][key]))
        if group["accounts"] < SMALL_GROUP:
            out.append(f"| {name} | {HIDDEN} |" + " |" * len(RATES))
            continue
        cells = [name, f"{group['accounts']:,}", *(_percent(group["rates"][r]) for r, _ in RATES)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def bars(title: str, items: Sequence[tuple[str, float]]) -> str:
    """A horizontal bar chart of rates (0–1) as inline SVG."""
    left, width, row = 180, 320, 24
    height = 20 + row * len(items)
    parts = [
        f'<svg class="hb-figure" xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 70}" '
        f'height="{height}" viewBox="0 0 {left + width + 70} {height}" '
        'font-family="system-ui, sans-serif" font-size="13">',
        f"<title>{html.escape(title)}</title>",
    ]
    for i, (name, value) in enumerate(items):
        y = 10 + i * row
        length = round(value * width)
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{html.escape(name)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{length}" height="16" fill="#009E73"/>')
        parts.append(f'<text x="{left + length + 6}" y="{y + 15}">{value * 100:.1f} %</text>')
    parts.append("</svg>")
    return "".join(parts)


def lines(title: str, weeks: Sequence[dict[str, Any]]) -> str:
    """The weekly contact rates as inline SVG lines, a week a point (hidden weeks left out)."""
    left, top, width, height = 50, 20, 520, 180
    step = width // max(1, len(weeks) - 1) if len(weeks) > 1 else 0
    parts = [
        f'<svg class="hb-figure" xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 40}" '
        f'height="{top + height + 70}" viewBox="0 0 {left + width + 40} {top + height + 70}" '
        'font-family="system-ui, sans-serif" font-size="13">',
        f"<title>{html.escape(title)}</title>",
    ]
    for tick in (0, 25, 50, 75, 100):
        y = top + height - round(height * tick / 100)
        parts.append(f'<line x1="{left}" y1="{y}" x2="{left + width}" y2="{y}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{tick} %</text>')
    for i, week in enumerate(weeks):
        x = left + i * step
        parts.append(f'<text x="{x}" y="{top + height + 18}" text-anchor="middle">{week["from"][5:]}</text>')
    for n, (rate, label, colour) in enumerate(WEEKLY):
        points = [
            f"{left + i * step},{top + height - round(height * float(w['rates'][rate]))}"
            for i, w in enumerate(weeks)
            if w["accounts_attempted"] >= SMALL_GROUP and w["rates"][rate] is not None
        ]
        if points:
            parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        y = top + height + 40
        x = left + n * 220
        parts.append(f'<rect x="{x}" y="{y - 10}" width="14" height="4" fill="{colour}"/>')
        parts.append(f'<text x="{x + 20}" y="{y - 4}">{html.escape(label)} rate</text>')
    parts.append("</svg>")
    return "".join(parts)


def _chart(report: dict[str, Any], key: str, rate: str, label: str) -> list[str]:
    items = [
        (_label(g["key"][key]), float(g["rates"][rate]))
        for g in report["groups"]
        if g["accounts"] >= SMALL_GROUP and g["rates"][rate] is not None
    ]
    if not items:
        return []
    title = f"{label} rate by {key}"
    return ["", f'<figure class="hb-figure">{bars(title, items)}<figcaption>{title}</figcaption></figure>']


def _experiments(report: dict[str, Any]) -> list[str]:
    out = ["## Experiments", ""]
    for experiment in report["experiments"]:
        small = [a["arm"] for a in experiment["arms"] if a["accounts"] < SMALL_GROUP]
        arms = ", ".join(
            f"{a['arm']} {HIDDEN if a['accounts'] < SMALL_GROUP else format(a['accounts'], ',')}"
            for a in experiment["arms"]
        )
        out.append(f"- **{html.escape(experiment['id'])}** (champion {experiment['champion']}; accounts: {arms})")
        for comparison in experiment["comparisons"]:
            if small:
                out.append(f"    - {comparison['metric'].replace('_', ' ')}: not enough accounts yet")
            else:
                out.append(f"    - {html.escape(comparison['sentence'])}")
    return out


def results_page(by_tier: dict[str, Any], by_strategy: dict[str, Any], weeks: Sequence[dict[str, Any]]) -> str:
    """The Markdown of the Results page from two reports of the same request (by tier and by
    strategy) and its weekly trend."""
    # the cure rate needs the end snapshot; without it the chart shows the contact rate
    has_end = any(g["cured"] is not None for g in by_tier["groups"])
    rate, label = ("cure_rate", "Cure") if has_end else ("contact_rate", "Contact")
    out = [
        "# Results",
        "",
        f"What the policy achieved from {by_tier['from']} to {by_tier['to']}: "
        f"{by_tier['accounts_start']:,} accounts at the start, grouped as the policy assigned them on the first "
        "day. Rates only, with the definitions of `dunning report` (docs/report.md); a group of "
        f"{HIDDEN} accounts is not shown, so that no customer can be singled out.",
        "",
        "## By tier",
        "",
        *_table(by_tier, "tier"),
        *_chart(by_tier, "tier", rate, label),
        "",
        "## By strategy",
        "",
        *_table(by_strategy, "strategy"),
        *_chart(by_strategy, "strategy", rate, label),
        "",
        *_experiments(by_tier),
        "",
        "## Week by week",
        "",
        "| Week | Attempts | Contact | Right-party contact | Promise |",
        "|---|--:|--:|--:|--:|",
    ]
    for week in weeks:
        span = f"{week['from']} – {week['to']}"
        if week["accounts_attempted"] < SMALL_GROUP:
            out.append(f"| {span} | {HIDDEN} accounts attempted | | | |")
            continue
        r = week["rates"]
        out.append(
            f"| {span} | {week['attempts']:,} | {_percent(r['contact_rate'])} | "
            f"{_percent(r['right_party_contact_rate'])} | {_percent(r['promise_rate'])} |"
        )
    title = "Contact rates week by week"
    out += ["", f'<figure class="hb-figure">{lines(title, weeks)}<figcaption>{title}</figcaption></figure>', ""]
    return "\n".join(out)
