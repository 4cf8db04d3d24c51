"""The rule catalogue: one entry per validation code, for the handbook and ``--format sarif``.

Semantic, template and law rules (P/X/T/L) document themselves in their module docstring;
load, schema and compile codes (Y/S/X001–X003) are raised by those stages, so their pages
live in :mod:`dunning.rules._load_codes`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from dunning.problems import Level


@dataclass(frozen=True)
class RuleDoc:
    """One validation code: what the handbook's catalogue and SARIF's rule list print."""

    code: str
    name: str
    level: Level
    summary: str  # one line: what the rule finds
    doc: str  # the whole page: why, options, a passing and a failing example

    @property
    def body(self) -> str:
        """The page without its title (the first paragraph)."""
        return self.doc.split("\n\n", 1)[1].strip() if "\n\n" in self.doc else ""


def _summary(code: str, name: str, doc: str) -> str:
    # the title is the first paragraph (it may wrap onto a second line)
    first = " ".join(doc.strip().split("\n\n", 1)[0].split()) if doc.strip() else name
    # page titles read "P101 tier-gap: some days past due fall in no tier."
    for prefix in (f"{code} {name}:", f"{code}:", f"{code} {name}"):
        if first.startswith(prefix):
            first = first[len(prefix) :].strip()
            break
    return first


def catalogue() -> list[RuleDoc]:
    """Every validation code (Y, S, X, P, T, L), sorted by code."""
    from dunning.rules import RULES
    from dunning.rules._load_codes import STAGE_CODES

    docs: dict[str, RuleDoc] = {}
    for code, name, level, doc in STAGE_CODES:
        text = inspect.cleandoc(doc)
        docs[code] = RuleDoc(code, name, level, _summary(code, name, text), text)
    for code, rule in RULES.items():
        text = inspect.cleandoc(rule.__doc__ or "")
        docs[code] = RuleDoc(code, rule.NAME, rule.LEVEL, _summary(code, rule.NAME, text), text)
    return [docs[c] for c in sorted(docs)]
