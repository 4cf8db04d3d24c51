"""``--fail-on`` conditions: when a policy diff should fail the pull-request check.

Syntax (one condition per ``--fail-on``; the run fails when ANY holds)::

    METRIC                 same as METRIC>0
    METRIC OP NUMBER       OP one of > >= < <= = == !=
    METRIC OP NUMBER%      a share of the accounts compared (account metrics only)

Spaces are allowed around OP: ``tier-moves>5%``, ``newly-contacted >= 100``, ``any-law-change``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from dunning.errors import UserError

# What each metric counts. Semantic metrics need no accounts; the others need --accounts/--as-of.
SEMANTIC_METRICS = {
    "changes": "semantic changes of any kind",
    "law-changes": "changes to the compliance packs or their tightening per jurisdiction",
    "wording-changes": "template wording changes (one per template and locale)",
}
ACCOUNT_METRICS = {
    "tier-moves": "accounts whose tier differs between base and head",
    "newly-contacted": "accounts with no contact action at base that have one at head",
    "no-longer-contacted": "accounts with a contact action at base and none at head",
    "newly-excluded": "accounts excluded at head but not at base",
    "no-longer-excluded": "accounts excluded at base but not at head",
    "newly-paused": "accounts paused at head but not at base",
    "no-longer-paused": "accounts paused at base but not at head",
    "newly-rejected": "accounts whose jurisdiction the head policy no longer serves",
    "no-longer-rejected": "accounts whose jurisdiction only the head policy serves",
    "offers-changed": "accounts whose offer (kind, instalments, amounts, discount) differs",
    "messages-changed": "accounts whose rendered message text differs for an action kept in both",
}
ACTION_METRICS = {
    "actions-added": "scheduled or deferred actions at head that base does not have",
    "actions-removed": "scheduled or deferred actions at base that head does not have",
}
ALIASES = {"any-change": "changes", "any-law-change": "law-changes"}
METRICS = {**SEMANTIC_METRICS, **ACCOUNT_METRICS, **ACTION_METRICS}

_OPS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
}
_SYNTAX = re.compile(r"^\s*([a-z][a-z-]*)\s*(?:(>=|<=|==|!=|>|<|=)\s*(\d+(?:\.\d+)?)\s*(%)?)?\s*$")
_HINT = (
    "write METRIC, METRIC>N or METRIC>N% (e.g. `tier-moves>5%`, `newly-contacted>100`, `any-law-change`); "
    "metrics: " + ", ".join(sorted([*METRICS, *ALIASES]))
)


@dataclass(frozen=True)
class FailCondition:
    """One parsed ``--fail-on`` expression."""

    text: str
    metric: str
    op: str
    value: Decimal
    percent: bool

    @property
    def needs_accounts(self) -> bool:
        """True when the metric comes from planning accounts (impact)."""
        return self.metric not in SEMANTIC_METRICS

    def holds(self, metrics: Mapping[str, int], accounts: int) -> tuple[bool, Decimal]:
        """Whether the condition holds, and the measured value (a percentage when ``percent``)."""
        measured = Decimal(metrics[self.metric])
        if self.percent:
            measured = (measured * 100 / accounts).quantize(Decimal("0.01")) if accounts else Decimal(0)
        return _OPS[self.op](measured, self.value), measured


def parse_condition(text: str) -> FailCondition:
    """Parse one expression; :class:`UserError` (exit 2) with the syntax when it is malformed."""
    match = _SYNTAX.match(text)
    if not match:
        raise UserError(f"--fail-on {text!r}: not a condition", _HINT)
    name, op, number, percent = match.groups()
    metric = ALIASES.get(name, name)
    if metric not in METRICS:
        raise UserError(f"--fail-on {text!r}: unknown metric {name!r}", _HINT)
    if name in ALIASES and op:
        raise UserError(f"--fail-on {text!r}: {name} takes no comparison", f"write `{metric}{op}{number}` instead")
    if percent and metric not in ACCOUNT_METRICS:
        raise UserError(
            f"--fail-on {text!r}: a percentage needs an account metric",
            "percentages are of the accounts compared: " + ", ".join(sorted(ACCOUNT_METRICS)),
        )
    if op is None:
        return FailCondition(text.strip(), metric, ">", Decimal(0), False)
    return FailCondition(text.strip(), metric, op, Decimal(number), bool(percent))


def parse_conditions(texts: tuple[str, ...], with_accounts: bool) -> tuple[FailCondition, ...]:
    """Parse every ``--fail-on``; impact metrics without ``--accounts`` are a usage error."""
    parsed = tuple(parse_condition(t) for t in texts)
    for cond in parsed:
        if cond.needs_accounts and not with_accounts:
            raise UserError(
                f"--fail-on {cond.text!r} measures accounts, but no --accounts were given",
                "add --accounts FILE --as-of DATE, or use a policy metric: " + ", ".join(sorted(SEMANTIC_METRICS)),
            )
    return parsed


__all__ = ["ALIASES", "METRICS", "FailCondition", "parse_condition", "parse_conditions"]
