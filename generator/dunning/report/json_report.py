"""A JSON document: ``{"problems": [...], "counts": {...}}`` for machines."""

from __future__ import annotations

import json
from collections import Counter

from dunning.problems import Problem


def render(problems: list[Problem], color: bool = False) -> str:
    """Stable, sorted JSON (one document, newline-terminated)."""
    counts = Counter(p.level.value for p in problems)
    doc = {
        "problems": [p.as_dict() for p in problems],
        "counts": {"error": counts["error"], "warning": counts["warning"], "info": counts["info"]},
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
