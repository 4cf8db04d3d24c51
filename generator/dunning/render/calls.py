"""Calls: the dialer's list ``messages/calls.csv`` and each rendered script as a file.

The window is given twice: in the debtor's local time (what the agent reads) and in UTC
(what a dialer in another zone schedules by).
"""

from __future__ import annotations

import io
from datetime import UTC
from typing import Any

from dunning.render.sandbox import RenderError
from dunning.text.cells import csv_writer

COLUMNS = (
    "action_id", "account_id", "phone", "timezone", "window_start_local", "window_end_local",
    "window_start_utc", "window_end_utc", "priority", "template", "locale", "script_file", "script",
)  # fmt: skip


def call_row(context: dict[str, Any], script: str, script_file: str, template_file: str) -> list[str]:
    """One dialer row (in :data:`COLUMNS` order); RenderError when there is no number to dial."""
    account, action = context["account"], context["action"]
    if not account["phone"]:
        raise RenderError(template_file, None, "the account has no phone number", account["id"])
    start, end = action["not_before"], action["not_after"]
    return [
        action["id"],
        account["id"],
        account["phone"],
        account["timezone"],
        start.isoformat(),
        end.isoformat(),
        start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        str(action["priority"]),
        action["template"],
        context["locale"],
        script_file,
        script,
    ]


_LINE = io.StringIO()
_WRITER = csv_writer(_LINE, lineterminator="\n")


def csv_line(row: list[str]) -> str:
    """One ``calls.csv`` record as text (the scripts span lines: quoted as the csv module does)."""
    _LINE.seek(0)
    _LINE.truncate()
    _WRITER.writerow(row)
    return _LINE.getvalue()
