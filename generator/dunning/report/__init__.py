"""Reporters: print a list of problems in one format. They only format; they decide nothing."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TextIO

from dunning.problems import Level, Problem
from dunning.report import github, json_report, sarif, text

if TYPE_CHECKING:
    from dunning.acknowledge import Acknowledged


class Reporter(Protocol):
    """One output format: the open findings, colour or not, and the acknowledged findings."""

    def __call__(
        self, problems: list[Problem], color: bool = False, acknowledged: Sequence[Acknowledged] = ()
    ) -> str: ...


REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_report.render,
    "github": github.render,
    "sarif": sarif.render,
}


def pick(name: str) -> Reporter:
    """The reporter for ``--format``; ``auto`` is ``github`` inside GitHub Actions, else ``text``."""
    if name == "auto":
        name = "github" if os.environ.get("GITHUB_ACTIONS") == "true" and "github" in REPORTERS else "text"
    return REPORTERS[name]


def counts_line(problems: Sequence[Problem], acknowledged: int = 0) -> str:
    """``2 error(s), 1 warning(s), 0 note(s)`` (and ``, 4 acknowledged`` when some are)."""
    counts = Counter(p.level for p in problems)
    line = f"{counts[Level.ERROR]} error(s), {counts[Level.WARNING]} warning(s), {counts[Level.INFO]} note(s)"
    return line + (f", {acknowledged} acknowledged" if acknowledged else "")


def wants_color(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (to anything but the
    empty string, https://no-color.org) or ``TERM=dumb``."""
    if environ.get("NO_COLOR", "") != "" or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
