"""Helpers for the contact-window tests: a copy of the compliance test policy with a few
lines of its YAML changed (a tightening, a jurisdiction without a timetable, a window)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from dunning.compliance.engine import ContactEngine
from dunning.policy import require_policy

from .compliance_support import REPO


def edited_engine(tmp_path: Path, **edits: tuple[str, str]) -> ContactEngine:
    """An engine on a copy of the test policy where, in each ``policies/<name>.yaml`` named by
    a keyword, the first ``old`` text is replaced by ``new`` (``portfolio=(old, new)``)."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    for name, (old, new) in edits.items():
        path = repo / "policies" / f"{name}.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {path.name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return ContactEngine(require_policy(repo))


def tightened(tmp_path: Path, jurisdiction_packs: str, rule: str, params: str) -> ContactEngine:
    """An engine whose policy tightens ``rule`` with ``params`` (YAML flow mapping) for the
    jurisdiction whose ``packs:`` line is ``jurisdiction_packs``."""
    line = f"    packs: {jurisdiction_packs}\n"
    return edited_engine(tmp_path, portfolio=(line, f"{line}    tighten:\n      {rule}: {params}\n"))


def iso(windows: tuple[tuple[datetime, datetime], ...]) -> list[tuple[str, str]]:
    """Windows as ISO texts, their offsets included (which zone they are written in)."""
    return [(s.isoformat(), e.isoformat()) for s, e in windows]


@contextmanager
def machine_time_zone(name: str) -> Iterator[None]:
    """Run the block with the process's own time zone (``TZ``) set to ``name``, in this
    process, so that a date read from the machine's clock settings instead of the debtor's
    zone shows; the previous setting is restored."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
