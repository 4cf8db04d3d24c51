"""``--fail-on`` syntax, validation and evaluation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dunning.errors import UserError
from dunning.review.failon import parse_condition, parse_conditions


@pytest.mark.parametrize(
    ("text", "metric", "op", "value", "percent"),
    [
        ("tier-moves>5%", "tier-moves", ">", Decimal(5), True),
        ("newly-contacted >= 100", "newly-contacted", ">=", Decimal(100), False),
        ("any-law-change", "law-changes", ">", Decimal(0), False),
        ("any-change", "changes", ">", Decimal(0), False),
        ("offers-changed=0.5%", "offers-changed", "=", Decimal("0.5"), True),
        ("actions-removed != 0", "actions-removed", "!=", Decimal(0), False),
        ("wording-changes", "wording-changes", ">", Decimal(0), False),
    ],
)
def test_valid_conditions_parse(text: str, metric: str, op: str, value: Decimal, percent: bool) -> None:
    cond = parse_condition(text)
    assert (cond.metric, cond.op, cond.value, cond.percent) == (metric, op, value, percent)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tier-moves>", "--fail-on 'tier-moves>': not a condition"),
        ("tier_moves>5", "--fail-on 'tier_moves>5': not a condition"),
        ("moves>5", "--fail-on 'moves>5': unknown metric 'moves'"),
        ("changes>5%", "--fail-on 'changes>5%': a percentage needs an account metric"),
        ("actions-added>5%", "--fail-on 'actions-added>5%': a percentage needs an account metric"),
        ("any-law-change>1", "--fail-on 'any-law-change>1': any-law-change takes no comparison"),
        ("tier-moves > -1", "--fail-on 'tier-moves > -1': not a condition"),
    ],
)
def test_bad_conditions_are_usage_errors_with_a_hint(text: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_condition(text)
    assert caught.value.message == message
    assert caught.value.hint


def test_account_metrics_need_accounts() -> None:
    with pytest.raises(UserError, match="measures accounts, but no --accounts were given"):
        parse_conditions(("newly-excluded>0",), with_accounts=False)
    assert len(parse_conditions(("newly-excluded>0", "any-change"), with_accounts=True)) == 2


def test_evaluation_counts_and_percentages() -> None:
    metrics = {"tier-moves": 6, "changes": 3}
    assert parse_condition("tier-moves>5%").holds(metrics, 100) == (True, Decimal("6.00"))
    assert parse_condition("tier-moves>5%").holds(metrics, 200) == (False, Decimal("3.00"))
    assert parse_condition("tier-moves>=6").holds(metrics, 200) == (True, Decimal(6))
    assert parse_condition("changes<3").holds(metrics, 0) == (False, Decimal(3))
    # No accounts compared: a share of nothing is 0%.
    assert parse_condition("tier-moves>0%").holds(metrics, 0) == (False, Decimal(0))


def test_every_impact_category_is_a_metric() -> None:
    from dunning.review.failon import METRICS
    from dunning.review.impact import CATEGORIES

    assert set(CATEGORIES) <= set(METRICS)
