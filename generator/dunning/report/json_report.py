"""A JSON document: ``{"problems": [...], "acknowledged": [...], "counts": {...}}`` for machines."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dunning.problems import Problem

if TYPE_CHECKING:
    from dunning.acknowledge import Acknowledged


def render(problems: list[Problem], color: bool = False, acknowledged: Sequence[Acknowledged] = ()) -> str:
    """Stable, sorted JSON (one document, newline-terminated)."""
    counts = Counter(p.level.value for p in problems)
    doc = {
        "problems": [p.as_dict() for p in problems],
        "acknowledged": [a.as_dict() for a in acknowledged],
        "counts": {
            "error": counts["error"],
            "warning": counts["warning"],
            "info": counts["info"],
            "acknowledged": len(acknowledged),
        },
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
