"""Model values as plain JSON data and as words, for diffs a reviewer reads.

Two values are "the same" when their plain forms are equal, so ``0.10`` and ``0.1`` or a
moved line (a different :class:`Source`) never show up as a change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from enum import Enum
from typing import Any

from dunning.policy.model import Amounts, Condition, Range, Source, Window

# Bookkeeping fields: where an element is written and its position, not what it means.
META_FIELDS = frozenset({"source", "index", "order"})
END_OF_DAY = time(23, 59, 59, 999999)


def _decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _clock(value: time) -> str:
    return "24:00" if value == END_OF_DAY else f"{value:%H:%M}"


def plain(value: Any) -> Any:
    """A JSON-able, order-stable form of a model value (Sources and positions dropped)."""
    if isinstance(value, Enum):  # before str: a StrEnum is a str
        return str(value.value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, time):
        return _clock(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Window):
        return f"{_clock(value.start)}-{_clock(value.end)}"
    if isinstance(value, Range):
        return f"{value.low}+" if value.high is None else f"{value.low}-{value.high}"
    if isinstance(value, Amounts):
        if not value:
            return None
        out = {k: _decimal(v) for k, v in sorted(value.by_currency.items())}
        if value.default is not None:
            out["*"] = _decimal(value.default)
        return out
    if isinstance(value, Condition):
        empty = Condition()
        return {
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) != getattr(empty, f.name)
        }
    if isinstance(value, Source):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in META_FIELDS}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, tuple | list | frozenset | set):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, frozenset | set) else items
    return str(value)


def words(value: Any) -> str:
    """A plain value in words: lists joined by commas, mappings as ``key value`` pairs."""
    if value is None or value == [] or value == {}:
        return "none"
    if value == "":
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(words(v) for v in value)
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            parts.append(words(item) if key == "*" else f"{key.replace('_', ' ')} {words(item)}")
        return ", ".join(parts)
    return str(value)


def windows_words(value: Any) -> str:
    """A day type's windows in words: ``not set`` (falls back), ``no contact`` (empty list)."""
    if value is None:
        return "not set"
    if value == []:
        return "no contact"
    return ", ".join(str(v) for v in value)


def label(field_name: str) -> str:
    """A field name as words (``min_instalment`` → ``min instalment``)."""
    return LABELS.get(field_name, field_name.replace("_", " "))


LABELS = {
    "dpd": "days past due",
    "min_amount": "minimum amount",
    "max_amount": "maximum amount",
    "when": "condition",
    "max": "maximum contacts",
    "per_days": "period (days)",
    "share": "share (%)",
    "max_discount": "maximum discount (fraction)",
    "min_instalment": "minimum instalment",
}

__all__ = ["META_FIELDS", "label", "plain", "windows_words", "words"]
