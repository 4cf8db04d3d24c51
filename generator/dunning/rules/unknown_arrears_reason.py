"""X021 unknown-arrears-reason: a `when: {arrears_reasons: …}` condition names a word outside the vocabulary.

The reasons for arrears are the built-in words of docs/data.md (forgot, income_drop,
unemployment, illness, family_emergency, bereavement, dispute, fraud_claim, over_indebted,
refuses, unknown) and the policy's own words in its ``arrears_reasons:`` section. A
misspelt reason silently makes the condition never hold. Reported at the word.

Passing::

    exclusions:
      - {id: ill, when: {arrears_reasons: [illness]}, effect: pause, reason: Refer to specialist support}

Failing::

    exclusions:
      - {id: ill, when: {arrears_reasons: [ilness]}, effect: pause, reason: Refer to specialist support}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._nodes import at
from dunning.rules._refs import conditions, unknown

CODE = "X021"
NAME = "unknown-arrears-reason"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report reasons in conditions that are neither built in nor the policy's own."""
    rule = sys.modules[__name__]
    known = list(ctx.policy.arrears_reasons)

    for source, when, where in conditions(ctx.policy):
        for i, word in enumerate(when.arrears_reasons):
            if word not in known:
                place = at(ctx, source, "when", "arrears_reasons", i)
                yield unknown(ctx, rule, place, "arrears reason", word, known, where)
