"""The report as Markdown (a pull-request comment or a wiki page), JSON (the contract other
tools read) and a standalone HTML page. Writers only format what :mod:`report` computed."""

from __future__ import annotations

import html
from typing import Any

import orjson

RATE_LABELS = (
    ("contact_rate", "contact"),
    ("right_party_contact_rate", "RPC"),
    ("promise_rate", "promise"),
    ("kept_rate", "kept"),
    ("cure_rate", "cure"),
    ("roll_rate", "roll"),
)
COUNT_LABELS = (
    ("accounts", "accounts"),
    ("attempts", "attempts"),
    ("delivered", "delivered"),
    ("right_party_contacts", "RPCs"),
    ("promises", "promises"),
    ("promises_due", "due"),
    ("promises_kept", "kept"),
    ("payments", "payments"),
    ("cured", "cured"),
    ("rolled", "rolled"),
)


def as_json(report: dict[str, Any]) -> str:
    """The JSON contract: keys in a fixed order, amounts and rates as decimal strings."""
    return orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()


def _percent(value: str | None) -> str:
    if value is None:
        return "–"
    return f"{float(value) * 100:.1f} %"


def _money_cell(amounts: dict[str, str]) -> str:
    return "; ".join(f"{amount} {cur}" for cur, amount in amounts.items()) or "–"


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _key_cell(value: str | None) -> str:
    return "(none)" if value is None else value


def rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The report's table: a header and one row of display text per group."""
    header = [*report["by"], *(label for _, label in COUNT_LABELS), "paid", "cost"]
    header += [f"{label} rate" for _, label in RATE_LABELS] + ["liquidation"]
    body = []
    for group in report["groups"]:
        line = [_key_cell(group["key"][k]) for k in report["by"]]
        line += [_count(group[name]) for name, _ in COUNT_LABELS]
        line += [_money_cell(group["paid"]), _money_cell(group["cost"])]
        line += [_percent(group["rates"][name]) for name, _ in RATE_LABELS]
        line.append("; ".join(f"{_percent(v)} {cur}" for cur, v in group["rates"]["liquidation_rate"].items()) or "–")
        body.append(line)
    return header, body


def _intro(report: dict[str, Any]) -> list[str]:
    lines = [
        f"Period {report['from']} to {report['to']} (local dates, both included); "
        f"{report['accounts_start']:,} accounts at the start, grouped by {', '.join(report['by'])}.",
    ]
    if report["accounts_rejected"]:
        lines.append(f"{report['accounts_rejected']:,} start-snapshot row(s) were rejected by the account contract.")
    if report["history_unreadable"]:
        lines.append(f"{report['history_unreadable']:,} history line(s) were unreadable and not counted.")
    return lines


def as_markdown(report: dict[str, Any]) -> str:
    """A Markdown page: the intro, the group table and one sentence per comparison."""
    out = ["# Collection results", "", *_intro(report), ""]
    header, body = rows(report)
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join("---" for _ in header) + "|")
    for line in body:
        out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |")
    if report["experiments"]:
        out += ["", "## Experiments", ""]
        for experiment in report["experiments"]:
            arms = ", ".join(f"{a['arm']} {a['accounts']:,}" for a in experiment["arms"])
            out.append(f"- **{experiment['id']}** (champion {experiment['champion']}; accounts: {arms})")
            for comparison in experiment["comparisons"]:
                out.append(f"  - {comparison['sentence']}")
    out += ["", "Definitions of every count and rate: docs/report.md.", ""]
    return "\n".join(out)


def as_html(report: dict[str, Any]) -> str:
    """A standalone HTML page (no scripts, no external resources), every value escaped."""
    header, body = rows(report)
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Collection results</title>',
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right}"
        "td:first-child,th:first-child{text-align:left}</style></head><body>",
        "<h1>Collection results</h1>",
        *(f"<p>{e(line)}</p>" for line in _intro(report)),
        "<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr></thead><tbody>",
        *("<tr>" + "".join(f"<td>{e(c)}</td>" for c in line) + "</tr>" for line in body),
        "</tbody></table>",
    ]
    if report["experiments"]:
        parts.append("<h2>Experiments</h2><ul>")
        for experiment in report["experiments"]:
            items = "".join(f"<li>{e(c['sentence'])}</li>" for c in experiment["comparisons"])
            name, champion = e(experiment["id"]), e(experiment["champion"])
            parts.append(f"<li><strong>{name}</strong> (champion {champion})<ul>{items}</ul></li>")
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


WRITERS = {"json": as_json, "markdown": as_markdown, "html": as_html}
