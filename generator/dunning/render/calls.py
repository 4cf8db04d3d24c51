"""Calls: the dialer's campaign list, ``messages/calls.csv`` and ``messages/calls.jsonl``.

One row per planned call with the rendered script inline (a dialer imports one list per
campaign, not a file per call). The window is given twice: in the debtor's local time (what
the agent reads) and in UTC (what a dialer in another zone schedules by). The JSON Lines file
carries the same records with the same keys, for dialers that import JSON.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from dunning.templating.sandbox import RenderError

COLUMNS = (
    "action_id", "account_id", "phone", "timezone", "window_start_local", "window_end_local",
    "window_start_utc", "window_end_utc", "priority", "template", "locale", "script",
)  # fmt: skip


def call_row(context: dict[str, Any], script: str, template_file: str) -> list[str]:
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
        script,
    ]
