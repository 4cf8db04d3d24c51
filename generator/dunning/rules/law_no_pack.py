"""L006 law-no-pack: no law pack protects a jurisdiction's debtors.

The engine applies the packs a jurisdiction names plus those that apply to it by law
(``us-regf`` for ``US``, ``us-ma`` for ``US-MA``, ``cn``, ``uk-conc`` for ``GB``). When
neither gives any, only the policy's own rules stand between the debtor and an unlawful
contact: the hours, caps and stops of that country's law are not enforced. Reported at the
jurisdiction code.

Passing::

    jurisdictions:
      CN: {currency: CNY, packs: [cn]}

Failing (no pack ships for Germany)::

    jurisdictions:
      DE: {currency: EUR, locales: [de-DE]}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.compliance.packs import all_packs
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._law import engine

CODE = "L006"
NAME = "law-no-pack"
LEVEL = Level.WARNING


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report jurisdictions for which no known pack applies."""
    rule = sys.modules[__name__]
    known = all_packs()
    for code, setting in sorted(ctx.policy.jurisdictions.items()):
        applied = [p for p in engine(ctx).jurisdiction(code).packs if p in known]
        if not applied:
            yield ctx.problem(
                rule,
                setting.source,
                f"no compliance pack applies to {code}: its contact hours, frequency caps and stops are "
                "only what the policy itself says",
                f"name the packs for {code} under `packs:`; shipped packs: {', '.join(known)}",
            )
