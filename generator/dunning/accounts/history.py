"""The contact-history reader (CSV or JSON Lines), grouped by account.

Each event becomes a :class:`~dunning.accounts.model.Contact` with an aware ``at``. A bad
event (unknown channel or outcome, a time without a UTC offset) is a :class:`UserError`
naming its line: caps computed from a history with holes would let the planner over-contact,
so the run stops before any work rather than guess.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

import orjson

from dunning.accounts.model import HISTORY_CHANNELS, HISTORY_COLUMNS, OUTCOMES, Contact
from dunning.accounts.record import clean_key, text
from dunning.errors import UserError

History = Mapping[str, tuple[Contact, ...]]


def parse_contact(row: Mapping[str, object], where: str) -> Contact:
    """One history event; ``where`` (file:line) goes into the error message."""
    values = {clean_key(k): text(v).strip() for k, v in row.items()}
    for column in HISTORY_COLUMNS:
        if not values.get(column):
            raise UserError(
                f"{where}: history column {column} is empty", hint="every event needs " + ", ".join(HISTORY_COLUMNS)
            )
    try:
        at = datetime.fromisoformat(values["at"])
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None:
        raise UserError(
            f"{where}: at {values['at']!r} is not an ISO 8601 time with a UTC offset",
            hint="e.g. 2026-11-20T10:15:00-05:00",
        )
    if values["channel"] not in HISTORY_CHANNELS:
        raise UserError(f"{where}: unknown channel {values['channel']!r}", hint="one of " + ", ".join(HISTORY_CHANNELS))
    if values["outcome"] not in OUTCOMES:
        raise UserError(f"{where}: unknown outcome {values['outcome']!r}", hint="one of " + ", ".join(OUTCOMES))
    return Contact(
        account_id=values["account_id"],
        at=at,
        channel=values["channel"],
        outcome=values["outcome"],
        debt_id=values.get("debt_id", ""),
        phone=values.get("phone", ""),
    )


def _rows(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the history file ({exc.strerror})") from None
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: the history file is not UTF-8 (byte {exc.start})") from None
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                obj = None
            if not isinstance(obj, dict):
                raise UserError(f"{path}:{number}: the line is not a JSON object")
            yield number, obj
        return
    reader = csv.DictReader(io.StringIO(content, newline=""))
    missing = [c for c in HISTORY_COLUMNS if c not in [clean_key(f) for f in reader.fieldnames or ()]]
    if missing:
        raise UserError(
            f"{path}: history column(s) missing: {', '.join(missing)}",
            hint="the contact history needs " + ", ".join(HISTORY_COLUMNS),
        )
    for row in reader:
        yield reader.line_num, {k: v for k, v in row.items() if k is not None}


def read_history(path: Path | None) -> dict[str, tuple[Contact, ...]]:
    """Events per account id, each account's events in time order (empty without a file)."""
    if path is None:
        return {}
    if not path.is_file():
        raise UserError(f"{path}: no such history file", hint="check the --history path")
    grouped: dict[str, list[Contact]] = defaultdict(list)
    for number, row in _rows(path):
        contact = parse_contact(row, f"{path}:{number}")
        grouped[contact.account_id].append(contact)
    return {k: tuple(sorted(v, key=lambda c: (c.at, c.channel, c.outcome))) for k, v in sorted(grouped.items())}
