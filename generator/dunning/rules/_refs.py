"""Reporting a reference to an id that does not exist, with a "did you mean" hint."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from types import ModuleType

from dunning.policy.model import Condition, Policy, Source
from dunning.problems import Problem
from dunning.rules import RuleContext


def unknown(
    ctx: RuleContext, rule: ModuleType, source: Source, kind: str, ident: str, known: Iterable[str], where: str
) -> Problem:
    """``<where> refers to <kind> 'x', which is not defined`` with the closest known id."""
    options = sorted(known)
    close = difflib.get_close_matches(ident, options, n=1)
    if close:
        hint = f"did you mean {close[0]!r}?"
    elif options:
        hint = f"known {kind}s: {', '.join(options[:12])}" + (" …" if len(options) > 12 else "")
    else:
        hint = f"no {kind}s are defined"
    return ctx.problem(rule, source, f"{where} refers to {kind} {ident!r}, which is not defined", hint)


def conditions(policy: Policy) -> Iterator[tuple[Source, Condition, str]]:
    """Every ``when:`` of the policy (steps, offers, exclusions) with where it stands, in
    the words a finding names it by."""
    for sid, strategy in policy.strategies.items():
        for step in strategy.steps:
            yield step.source, step.when, f"step {step.id} of strategy {sid!r}"
    for offer in policy.offers:
        yield offer.source, offer.when, f"offer {offer.id!r}"
    for exclusion in policy.exclusions:
        yield exclusion.source, exclusion.when, f"exclusion {exclusion.id!r}"
