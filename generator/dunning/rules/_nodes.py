"""Point a finding at the exact YAML value, not just at the element that holds it.

The compiled model keeps one :class:`Source` per element (a tier, a step, an offer). A rule
that blames one field of it (a step's ``template:``, the third jurisdiction of a tier) looks
the element's raw positioned mapping up here and asks :func:`position_of` for the field.
"""

from __future__ import annotations

from typing import Any

from dunning.load.documents import Pos, YList, YMap, position_of
from dunning.policy.model import Source
from dunning.rules import RuleContext


def _index(ctx: RuleContext) -> dict[tuple[str, int, int], YMap]:
    cached = ctx.cache.get("nodes")
    if isinstance(cached, dict):
        return cached
    index: dict[tuple[str, int, int], YMap] = {}
    for file in ctx.repo.files:
        stack: list[Any] = [file.data]
        while stack:
            node = stack.pop()
            if isinstance(node, YMap):
                index.setdefault((file.path, node.pos.line, node.pos.col), node)
                stack.extend(node.values())
            elif isinstance(node, YList):
                stack.extend(node)
    ctx.cache["nodes"] = index
    return index


def raw(ctx: RuleContext, source: Source) -> YMap | None:
    """The positioned mapping written at ``source`` (a tier, step, offer …), if any."""
    return _index(ctx).get((source.file, source.line, source.col))


def at(ctx: RuleContext, source: Source, *path: str | int, key: bool = False) -> Source:
    """Where ``path`` inside the element at ``source`` is written (the element itself if absent)."""
    node = raw(ctx, source)
    if node is None or not path:
        return source
    pos: Pos = position_of(node, path, key=key)
    return Source(source.file, pos.line, pos.col)
