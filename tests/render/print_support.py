"""Tasks for the print workers' tests: module-level, so that a forked or spawned worker finds
them by name."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from dunning.render import typeset

# Latin and CJK text, so that a batch reads the Noto Serif CJK file through the fonts folder
LETTERS = [("A-1", '#"Dear Alex, 1,250.00 USD is due.";'), ("B-2", '#"尊敬的王先生：应付金额 ¥8,800.00。";')]


def typeset_inherited(folder: str) -> tuple[int, bool, list[str], bytes]:
    """A batch typeset in a print worker: its pid, whether it took a compiler its fork server
    prepared, the fonts folders under ``folder`` (its TMPDIR) when it began, and the PDF."""
    inherited = typeset._PREPARED is not None and not typeset.started_here()
    folders = sorted(name for name in os.listdir(folder) if name.startswith("dunning-fonts-"))
    data = typeset.batch_pdf("batch", "A4", date(2026, 11, 30), LETTERS)
    return os.getpid(), inherited, folders, data


def fonts_folders(folder: str) -> list[str]:
    """The fonts folders under ``folder``."""
    return sorted(p.name for p in Path(folder).iterdir() if p.name.startswith("dunning-fonts-"))
