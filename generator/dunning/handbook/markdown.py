"""Markdown building blocks: escaping, tables, plain-words lists.

Every value printed into a generated page passes through :func:`text` (or :func:`code`), so a
``|`` or ``*`` in a policy description can never break a table or start emphasis.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from decimal import Decimal

from dunning.policy.model import Amounts

_MARKDOWN_SPECIAL = "\\`*_{}[]<>|"
DASH = "—"


def text(value: object) -> str:
    """``value`` as Markdown text that renders literally (one line, specials escaped)."""
    return _escaped(" ".join(str(value).split()))


def _escaped(value: str) -> str:
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in value)


def prose(value: object) -> str:
    """Like :func:`text`, but a span in backticks (``compliance.opt_out``) becomes inline code,
    as the law packs' and policy's descriptions write names: the reader sees the name, not the
    backticks. An unpaired backtick stays a literal one."""
    parts = " ".join(str(value).split()).split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: the last one is no fence
        parts[-2:] = ["`".join(parts[-2:])]
    return "".join(code(part) if i % 2 and part else _escaped(part) for i, part in enumerate(parts))


def code(value: object) -> str:
    """``value`` as inline code; a backtick inside is kept by widening the fence."""
    raw = str(value)
    fence = "``" if "`" in raw else "`"
    pad = " " if raw.startswith("`") or raw.endswith("`") else ""
    return f"{fence}{pad}{raw}{pad}{fence}" if raw else DASH


def escape_html(value: object) -> str:
    """``value`` escaped for raw HTML inside a page."""
    return html.escape(str(value), quote=True)


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-style pipe table; cells must already be Markdown (use :func:`text`)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        if len(row) != len(header):  # pragma: no cover - a programming error
            raise ValueError(f"row has {len(row)} cells, header {len(header)}")
        lines.append("| " + " | ".join(cell or DASH for cell in row) + " |")
    return "\n".join(lines) + "\n"


def listing(values: Iterable[str], empty: str = "any") -> str:
    """``a, b, c`` (each as inline code), or ``empty`` when there are none."""
    values = list(values)
    return ", ".join(code(v) for v in values) if values else empty


def decimal(value: Decimal) -> str:
    """A Decimal without exponent or needless trailing zeros: ``49.99``, ``5000``."""
    normal = value.normalize()
    text_value = format(normal, "f")
    return text_value


def amounts(value: Amounts, empty: str = DASH) -> str:
    """``CNY 49.99, USD 9.99`` (and ``other 10`` for the default), or ``empty``."""
    parts = [f"{currency} {decimal(amount)}" for currency, amount in sorted(value.by_currency.items())]
    if value.default is not None:
        parts.append(f"other currencies {decimal(value.default)}")
    return " / ".join(parts) if parts else empty


def percent(fraction: Decimal) -> str:
    """``0.25`` → ``25%``."""
    return f"{decimal(fraction * 100)}%"


def joined(items: Sequence[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]
