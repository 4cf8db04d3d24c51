"""Reporters: print a list of problems in one format. They only format; they decide nothing."""

from __future__ import annotations

import os
from collections.abc import Callable

from dunning.problems import Problem
from dunning.report import github, json_report, sarif, text

Reporter = Callable[[list[Problem], bool], str]

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
