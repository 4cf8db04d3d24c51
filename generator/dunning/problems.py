"""The one finding type every stage produces and every reporter prints.

Modelled on yamllint's ``LintProblem``: a small, sortable value. Lines and columns are
1-based, as editors and GitHub annotations count them; ``0`` means "the whole file".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Level(StrEnum):
    """How bad a finding is. Errors fail ``validate``; warnings fail only with ``--strict``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding at one place in one file, with a stable rule code and a fix hint."""

    file: str
    line: int
    col: int
    level: Level = field(compare=False)
    code: str
    message: str = field(compare=False)
    hint: str = field(default="", compare=False)
    excerpt: str = field(default="", compare=False)

    @property
    def location(self) -> str:
        """``file:line:col`` as editors and CI logs understand it."""
        return f"{self.file}:{self.line}:{self.col}"

    def as_dict(self) -> dict[str, object]:
        """Plain data for the JSON reporter."""
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "level": self.level.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


def has_errors(problems: list[Problem], *, strict: bool = False) -> bool:
    """True when the findings should fail the run (warnings count with ``strict``)."""
    return bool(failing(problems, strict=strict))


def failing(problems: list[Problem], *, strict: bool = False) -> list[Problem]:
    """The findings that fail the run: errors, and warnings too with ``strict``."""
    levels = {Level.ERROR, Level.WARNING} if strict else {Level.ERROR}
    return [p for p in problems if p.level in levels]
