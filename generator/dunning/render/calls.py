"""Calls: the dialer's campaign list, ``messages/calls.csv`` and ``messages/calls.jsonl``.

One row per planned call with the rendered script inline (a dialer imports one list per
campaign, not a file per call). The window is given twice: in the debtor's local time (what
the agent reads) and in UTC (what a dialer in another zone schedules by). The JSON Lines file
carries the same records with the same keys, for dialers that import JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson

from dunning.templating.sandbox import RenderError
from dunning.text.cells import csv_cell, csv_lines

COLUMNS = (
    "action_id", "account_id", "phone", "timezone", "window_start_local", "window_end_local",
    "window_start_utc", "window_end_utc", "priority", "template", "locale", "script",
)  # fmt: skip


@lru_cache(maxsize=8192)
def _window_end(moment: datetime, offset: timedelta | None) -> tuple[str, str]:
    # (local ISO form, UTC form): windows repeat across calls (one per zone and day). Keyed
    # with the offset too: aware datetimes at one instant are equal whatever their offset.
    return moment.isoformat(), moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_end(moment: datetime) -> tuple[str, str]:
    """A window's start or end as (``isoformat()`` in the debtor's offset, UTC as ``…Z``)."""
    return _window_end(moment, moment.utcoffset())


def call_row(context: dict[str, Any], script: str, template_file: str) -> list[str]:
    """One dialer row (in :data:`COLUMNS` order); RenderError when there is no number to dial."""
    account, action = context["account"], context["action"]
    if not account["phone"]:
        raise RenderError(template_file, None, "the account has no phone number", account["id"])
    start_local, start_utc = window_end(action["not_before"])
    end_local, end_utc = window_end(action["not_after"])
    return [
        action["id"],
        account["id"],
        account["phone"],
        account["timezone"],
        start_local,
        end_local,
        start_utc,
        end_utc,
        str(action["priority"]),
        action["template"],
        context["locale"],
        script,
    ]


# the cells from the zone to the locale (the windows, the priority, the template) repeat across
# calls, one set per zone, day and step: written once each (≈ 4.2 → 3.1 µs a row, load 14)
_MIDDLE = slice(3, 11)
_MIDDLES: dict[tuple[str, ...], str] = {}
_MIDDLES_MAX = 4096  # sets kept before the memo starts again


def csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    """Dialer rows as ``calls.csv`` lines (see :func:`csv_texts`)."""
    return "".join(csv_texts(rows)).encode("utf-8")


def csv_texts(rows: Sequence[Sequence[str]]) -> list[str]:
    """Dialer rows as ``calls.csv`` lines, one text each (UTF-8 once joined, LF, every cell through ``safe_cell``; the
    header is ``csv_bytes([COLUMNS])``). Made by the chunk workers, in parallel: the one
    parent process writing ≈ 200k rows one by one was its largest serial cost at 1M accounts,
    and a chunk's rows cross the pipe as one bytes object instead of twelve strings a row.
    What :func:`csv_lines` writes (the csv writer's bytes, ≈ 8 µs a row faster for the
    scripts), each row's repeating middle cells taken from a memo of their written form."""
    out: list[str] = []
    for row in rows:
        try:
            if len(row) != len(COLUMNS):
                raise TypeError("not a dialer row")
            cells = row[_MIDDLE]
            "".join(cells)  # TypeError unless every one is text: a key of texts only (1 == True)
            key = tuple(cells)
            middle = _MIDDLES.get(key)
            if middle is None:
                if len(_MIDDLES) >= _MIDDLES_MAX:
                    _MIDDLES.clear()
                middle = _MIDDLES[key] = csv_lines([key])[:-1]
            # csv_cell raises AttributeError or TypeError for a cell that is not text
            line = f"{csv_cell(row[0])},{csv_cell(row[1])},{csv_cell(row[2])},{middle},{csv_cell(row[11])}\n"
        except (TypeError, AttributeError):
            line = csv_lines([row])
        out.append(line)
    return out


def jsonl_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    """The same rows as ``calls.jsonl`` lines: one object per call, keys in :data:`COLUMNS` order."""
    return b"".join([orjson.dumps(dict(zip(COLUMNS, row, strict=True))) + b"\n" for row in rows])


def middle_texts(cells: Sequence[str]) -> tuple[str, str]:
    """A row's cells from the zone to the locale (:data:`COLUMNS` 3 to 10, texts) as
    ``calls.csv`` and ``calls.jsonl`` write them between the phone and the script: the CSV's
    cells joined by commas, the JSON's members (``,"timezone":…`` up to the locale's value)."""
    key = tuple(cells)
    middle = _MIDDLES.get(key)
    if middle is None:
        middle = csv_lines([key])[:-1]
    members = orjson.dumps(dict(zip(COLUMNS[_MIDDLE], key, strict=True))).decode()
    return middle, "," + members[1:-1]
