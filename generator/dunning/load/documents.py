"""Positioned YAML values: plain ``dict``/``list`` subclasses that also know where they came from.

Later stages treat them as ordinary data (cerberus validates them as dicts and lists); only
error reporting asks for positions, through :func:`position_of`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dunning.problems import Problem

EXCERPT_WIDTH = 160  # characters of one line shown in an excerpt


@dataclass(frozen=True, order=True)
class Pos:
    """A 1-based line and column."""

    line: int
    col: int


class YMap(dict[str, Any]):
    """A mapping with the position of itself, of each key and of each value."""

    pos: Pos
    key_pos: dict[str, Pos]
    value_pos: dict[str, Pos]

    def __init__(self, data: Any = (), pos: Pos = Pos(1, 1)) -> None:
        # cerberus rebuilds containers as type(value)(items): accept data first
        super().__init__(data)
        self.pos = pos
        self.key_pos = {}
        self.value_pos = {}

    def __copy__(self) -> YMap:
        # cerberus copies documents before validating; keep the positions on the copy
        new = YMap(self, pos=self.pos)
        new.key_pos = dict(self.key_pos)
        new.value_pos = dict(self.value_pos)
        return new


class YList(list[Any]):
    """A sequence with the position of itself and of each item."""

    pos: Pos
    item_pos: list[Pos]

    def __init__(self, data: Any = (), pos: Pos = Pos(1, 1)) -> None:
        super().__init__(data)
        self.pos = pos
        self.item_pos = []

    def __copy__(self) -> YList:
        new = YList(self, pos=self.pos)
        new.item_pos = list(self.item_pos)
        return new


def position_of(root: Any, path: Sequence[Any], *, key: bool = False) -> Pos:
    """Where the value at ``path`` (keys and indices, as cerberus reports them) is written.

    With ``key=True`` the position of the mapping key itself (for "unknown key"). A path
    that goes missing part-way (a required key that is absent) resolves to the deepest
    mapping or sequence that exists, which is where the user must add it.
    """
    node = root
    here = getattr(root, "pos", Pos(1, 1))
    for i, step in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, YMap) and isinstance(step, str) and step in node:
            here = node.key_pos[step] if (last and key) else node.value_pos[step]
            node = node[step]
        elif isinstance(node, YList) and isinstance(step, int) and 0 <= step < len(node):
            here = node.item_pos[step]
            node = node[step]
        else:
            break
    return here


@dataclass
class SourceFile:
    """One policy file: its repository-relative path, text, parsed data and load findings."""

    path: str
    text: str
    data: Any = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        """The text's lines, split once: a file with thousands of findings (a long tier
        ladder) would otherwise be split again for every excerpt."""
        cached = self.__dict__.get("_lines")
        if cached is None or cached[0] is not self.text:
            cached = self.__dict__["_lines"] = (self.text, self.text.splitlines())
        return cached[1]

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, for excerpts ('' when out of range)."""
        lines = self.lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def excerpt(self, line: int, col: int) -> str:
        """Numbered context around a position, with a caret under the column."""
        lines = self.lines
        if not 0 < line <= len(lines):
            return ""
        # a very long line (a minified or hostile file) is shown as a window around the column
        start = max(0, col - 1 - EXCERPT_WIDTH // 3) if len(lines[line - 1]) > EXCERPT_WIDTH else 0
        out = []
        for n in range(max(1, line - 1), min(len(lines), line + 1) + 1):
            text = lines[n - 1]
            skip = start if n == line else 0
            if len(text) > skip + EXCERPT_WIDTH:
                text = text[skip : skip + EXCERPT_WIDTH] + "…"
            elif skip:
                text = text[skip:]
            if skip:
                text = "…" + text
            out.append(f"{n:>5} | {text}")
            if n == line:
                out.append("      | " + " " * max(0, col - 1 - start + (1 if start else 0)) + "^")
        return "\n".join(out)
