"""L005 law-unknown-pack: a jurisdiction names a compliance pack that does not exist.

``packs:`` lists the law packs that apply to a jurisdiction's accounts; they ship with the
tool (``us-regf``, ``us-ma``, ``cn``, ``uk-conc``). An unknown id is a typo that would
leave debtors without the protection the author meant. Reported at the pack id.

Passing::

    jurisdictions:
      US: {packs: [us-regf]}

Failing::

    jurisdictions:
      US: {packs: [us-regff]}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.compliance.packs import all_packs
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._law import jurisdiction_nodes
from dunning.rules._refs import unknown

CODE = "L005"
NAME = "law-unknown-pack"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report pack ids that no shipped pack has."""
    rule = sys.modules[__name__]
    known = all_packs()
    for node in jurisdiction_nodes(ctx):
        packs = node.body.get("packs") if node.body is not None else None
        if not isinstance(packs, list):
            continue
        for i, pack_id in enumerate(packs):
            if str(pack_id) not in known:
                yield unknown(
                    ctx, rule, node.source("packs", i), "compliance pack", str(pack_id), known,
                    f"jurisdiction {node.code}",
                )  # fmt: skip
