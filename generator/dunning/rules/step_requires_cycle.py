"""P116 step-requires-cycle: steps that require each other's messages, so none can go.

A step that sends template A and requires B, and a step that sends B and requires A, wait
for each other for ever (longer rings too). Reported at the first requirement of the ring,
with the ring spelled out.

Passing::

    steps:
      - {day: 91, channel: letter, template: letter-notice}
      - {day: 120, channel: agency, template: agency-placement,
         requires: [{sent: letter-notice}]}

Failing::

    steps:
      - {day: 91, channel: letter, template: letter-notice, requires: [{sent: agency-placement}]}
      - {day: 120, channel: agency, template: agency-placement, requires: [{sent: letter-notice}]}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.policy.model import Requirement
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at

CODE = "P116"
NAME = "step-requires-cycle"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each ring of templates whose steps require one another."""
    rule = sys.modules[__name__]
    # template -> (required template, the requirement as written), over every strategy
    edges: dict[str, list[tuple[str, Requirement]]] = {}
    for strategy in ctx.policy.strategies.values():
        for step in strategy.steps:
            if step.template:
                edges.setdefault(step.template, []).extend((r.sent, r) for r in step.requires)
    seen_rings: set[frozenset[str]] = set()
    for start in sorted(edges):
        ring = _ring_from(start, edges)
        if ring is None or frozenset(ring) in seen_rings:
            continue
        seen_rings.add(frozenset(ring))
        first = next(r for sent, r in edges[ring[0]] if sent == ring[1 % len(ring)])
        path = " → ".join([*ring, ring[0]])
        yield ctx.problem(
            rule,
            at(ctx, first.source, "sent"),
            f"steps require each other's messages in a ring ({path}): none of them can ever be sent",
            "drop one of the requirements so the ring has a first step",
        )


def _ring_from(start: str, edges: dict[str, list[tuple[str, Requirement]]]) -> list[str] | None:
    """The templates of a ring through ``start`` (depth first, in sorted order), or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt, _ in sorted(edges.get(node, []), key=lambda e: e[0], reverse=True):
            if nxt == start:
                return path
            if nxt not in path:
                stack.append((nxt, [*path, nxt]))
    return None
