"""L004 law-tighten: a jurisdiction's ``tighten:`` loosens the law or names something unknown.

A policy may make a law rule stricter — a later start of the legal hours, a lower call cap —
never looser. ``tighten`` maps a rule id of the jurisdiction's packs to parameters; each
parameter has a direction that is stricter (``start``: later, ``end``: earlier, ``max``:
lower, ``per_days``/``days``: higher). A looser value is refused (the engine keeps the
law's value anyway), as is a rule that no applicable pack has, or a parameter that cannot
be tightened. Reported at the offending key or value.

Passing::

    jurisdictions:
      US:
        packs: [us-regf]
        tighten:
          us-regf.call-hours: {start: "09:00"}
          us-regf.call-frequency: {max: 5}

Failing (20:00 → 22:00 is later than the law's 21:00)::

    jurisdictions:
      US:
        packs: [us-regf]
        tighten:
          us-regf.call-hours: {end: "22:00"}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.compliance import packs as law
from dunning.load.documents import YMap
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._law import engine, jurisdiction_nodes
from dunning.rules._refs import unknown

CODE = "L004"
NAME = "law-tighten"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report unknown rules and parameters and values looser than the pack's."""
    rule = sys.modules[__name__]
    for node in jurisdiction_nodes(ctx):
        tighten = node.body.get("tighten") if node.body is not None else None
        if not isinstance(tighten, YMap):
            continue
        rules = {r.id: r for r, _params in engine(ctx).jurisdiction(node.code).rules}
        for rule_id, params in tighten.items():
            law_rule = rules.get(rule_id)
            if law_rule is None:
                yield unknown(
                    ctx, rule, node.source("tighten", rule_id, key=True), "law rule", rule_id, rules,
                    f"`tighten` of {node.code}",
                )  # fmt: skip
                continue
            if not isinstance(params, YMap):
                continue
            for name, value in params.items():
                direction = law_rule.stricter.get(name)
                if direction is None or name not in law_rule.params:
                    tunable = ", ".join(sorted(law_rule.stricter)) or "none"
                    yield ctx.problem(
                        rule,
                        node.source("tighten", rule_id, name, key=True),
                        f"{rule_id} has no parameter {name!r} that a policy can tighten",
                        f"parameters that can be tightened: {tunable}",
                    )
                    continue
                base = law_rule.params[name]
                try:
                    ok = law.is_stricter_or_equal(direction, value, base)
                except (ValueError, ArithmeticError):
                    yield ctx.problem(
                        rule,
                        node.source("tighten", rule_id, name),
                        f"{rule_id} {name} {value!r} is not a valid value",
                        'write a clock time as "HH:MM" and counts as whole numbers',
                    )
                    continue
                if not ok:
                    yield ctx.problem(
                        rule,
                        node.source("tighten", rule_id, name),
                        f"{rule_id} {name} {value} is looser than the law's {base} ({law_rule.citation}); "
                        "a policy may only tighten",
                        f"use a value {direction} than or equal to {base}, or remove it",
                    )
