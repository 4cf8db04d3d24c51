"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning, IDE viewers).

One run; ``tool.driver.rules`` is the whole rule catalogue (so a result's ``ruleIndex`` is
stable from run to run), each rule with its summary, its documentation page as help text
and its default level; each finding is a result with ``ruleId``, ``level``, the message
(and hint) and a physical location relative to the repository root. No absolute paths or
timestamps: the document is byte-identical for the same findings.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dunning import __version__
from dunning.problems import Level, Problem

if TYPE_CHECKING:
    from dunning.acknowledge import Acknowledged

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "note"}


def _rules() -> list[dict[str, Any]]:
    from dunning.rules import catalogue

    rules = []
    for doc in catalogue():
        rules.append(
            {
                "id": doc.code,
                "name": doc.name,
                "shortDescription": {"text": doc.summary},
                "fullDescription": {"text": doc.summary},
                "help": {"text": doc.doc, "markdown": doc.doc},
                "defaultConfiguration": {"level": LEVELS[doc.level]},
                "properties": {"tags": ["dunning", doc.code[0]]},
            }
        )
    return rules


def document(problems: list[Problem], acknowledged: Sequence[Acknowledged] = ()) -> dict[str, Any]:
    """The SARIF log as plain data; acknowledged findings are results with an accepted
    suppression (its justification the reason), which code scanning shows as dismissed."""
    rules = _rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    reasons = {a.problem: a for a in acknowledged}
    for p in [*problems, *reasons]:
        location: dict[str, Any] = {"artifactLocation": {"uri": p.file}}
        if p.line > 0:
            location["region"] = {"startLine": p.line, "startColumn": max(p.col, 1)}
        result: dict[str, Any] = {
            "ruleId": p.code,
            "level": LEVELS[p.level],
            "message": {"text": p.message + (f"\nhint: {p.hint}" if p.hint else "")},
            "locations": [{"physicalLocation": location}],
        }
        if p.code in index:
            result["ruleIndex"] = index[p.code]
        if p in reasons:
            kind = "inSource" if reasons[p].inline else "external"
            result["suppressions"] = [{"kind": kind, "status": "accepted", "justification": reasons[p].reason}]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dunning",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(problems: list[Problem], color: bool = False, acknowledged: Sequence[Acknowledged] = ()) -> str:
    """The SARIF document as indented JSON."""
    return json.dumps(document(problems, acknowledged), ensure_ascii=False, indent=2) + "\n"
