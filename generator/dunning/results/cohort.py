"""Who is in each group: the accounts of a snapshot as the policy assigns them on a day.

The report needs only each account's tier, arm, jurisdiction, currency and overdue amount on
a day, so nothing is planned: the snapshot is read and screened chunk by chunk exactly as
``dunning plan`` reads it (the same rejects, the earlier line of a duplicate id kept), and
the tier (the first whose bounds hold, :func:`dunning.compliance.conditions.tier_for`) and
the arm (:func:`dunning.plan.arms.assign_arm`) are computed on columns — what ``dunning plan
--as-of D`` writes in ``plans.jsonl`` for an account without history (tested). The strategy
follows from the tier and the arm. The end snapshot, assigned on the last day, tells which
accounts cured (no longer overdue) and which rolled (into a later tier).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl

from dunning.accounts.read import date_column, screen_frame
from dunning.accounts.source import LINE, AccountFile
from dunning.plan.arms import arm_limits, buckets, experiment_for
from dunning.policy.model import Amounts, Policy, Tier

_AMOUNT = pl.Decimal(38, 10)  # wide enough for every threshold a policy writes


@dataclass(frozen=True)
class Cohort:
    """One row per accepted account, in file order: ``account_id``, ``line`` (where the
    snapshot holds it), ``tier``, ``strategy``, ``arm``, ``experiment``, ``jurisdiction``,
    ``currency``, ``arrears_reason`` (the snapshot's word, lower case, or null), ``overdue``
    (Decimal) and ``tier_order``; ``rejected`` counts the snapshot rows the contract refused.

    Every text column but the id is categorical: a million accounts hold a few dozen distinct
    tiers, arms and currencies, so four bytes a row instead of a string each."""

    accounts: pl.DataFrame
    rejected: int


KEY = pl.Categorical()  # the dtype of a group key column (tier, strategy, arm, …)


def _strategy_table(policy: Policy) -> pl.DataFrame:
    """(tier, arm) -> (strategy, experiment, tier_order), arm null for accounts outside experiments."""
    rows: list[tuple[str, str | None, str, str | None, int]] = []
    for tier in policy.tiers:
        experiment = experiment_for(policy, tier.id)
        rows.append((tier.id, None, tier.strategy, None, tier.order))
        if experiment is not None:
            for arm in experiment.arms:
                rows.append((tier.id, arm.id, arm.strategy or tier.strategy, experiment.id, tier.order))
    return pl.DataFrame(
        rows,
        schema={"tier": KEY, "arm": KEY, "strategy": KEY, "experiment": KEY, "tier_order": pl.Int16},
        orient="row",
    )


def assign(policy: Policy, policy_path: Path, snapshot: Path, on: date, *, jobs: int | None = None) -> Cohort:
    """The accounts of ``snapshot`` with their tier and arm on ``on`` (no history) and their
    groups. ``policy_path`` and ``jobs`` are kept for the callers: nothing is planned.

    Each chunk is screened and cut down to the compact columns above at once, so the raw
    text of the snapshot is never held beyond one chunk."""
    del policy_path, jobs
    served = frozenset(policy.jurisdictions)
    parts: list[pl.DataFrame] = []
    rejected = 0
    for frame, early in AccountFile(snapshot).frames():
        screened = screen_frame(frame, served)
        rejected += len(early) + len(screened.rejects)
        parts.append(_tiers(policy, screened.good, on, "arrears_reason" in frame.columns))
        del frame, screened
    found = pl.concat(parts) if parts else _tiers(policy, pl.DataFrame(schema=_EMPTY), on, False)
    del parts
    # a duplicate id: the earlier line is the account, the later one is rejected (R011); the
    # chunks come in file order, so the first of an id in the frame is its earliest line (no
    # sort: sorting a million ids with their columns held another 170 MiB)
    first = found["account_id"].is_first_distinct()
    rejected += int((~first).sum())
    found = _arms(policy, found.filter(first))
    accounts = found.join(_strategy_table(policy), on=["tier", "arm"], how="left", nulls_equal=True)
    return Cohort(accounts, rejected)


_EMPTY = {
    "account_id": pl.String,
    LINE: pl.Int64,
    "jurisdiction": pl.String,
    "currency": pl.String,
    "overdue_amount": pl.String,
    "product": pl.String,
    "segment": pl.String,
    date_column("due_date"): pl.Date,
}


def _at_least(amount: pl.Expr, bounds: Amounts, low: bool) -> pl.Expr:
    """``amount`` within the per-currency bound (``low``: at least it, else at most it)."""

    def side(value: Decimal) -> pl.Expr:
        bound = pl.lit(value).cast(_AMOUNT)
        return amount >= bound if low else amount <= bound

    out: pl.Expr = pl.lit(True) if bounds.default is None else side(bounds.default)
    for currency, value in bounds.by_currency.items():
        out = pl.when(pl.col("currency") == currency).then(side(value)).otherwise(out)
    return out


def _holds(tier: Tier, dpd: pl.Expr, amount: pl.Expr) -> pl.Expr:
    """The tier's bounds on columns (:func:`dunning.compliance.conditions.tier_for`)."""
    cond = dpd >= tier.dpd.low
    if tier.dpd.high is not None:
        cond = cond & (dpd <= tier.dpd.high)
    if tier.min_amount:
        cond = cond & _at_least(amount, tier.min_amount, low=True)
    if tier.max_amount:
        cond = cond & _at_least(amount, tier.max_amount, low=False)
    if tier.products:
        cond = cond & pl.col("product").is_in(list(tier.products))
    if tier.segments:
        cond = cond & pl.col("segment").is_in(list(tier.segments))
    if tier.jurisdictions:
        allowed = list(tier.jurisdictions)
        country = pl.col("jurisdiction").str.split("-").list.first()
        cond = cond & (pl.col("jurisdiction").is_in(allowed) | country.is_in(allowed))
    return cond


def _tiers(policy: Policy, good: pl.DataFrame, on: date, has_reason: bool) -> pl.DataFrame:
    """Each screened row's tier on ``on`` (the first tier, file order, whose bounds hold) and
    the columns the report groups by, compact (``has_reason``: the file has the column)."""
    dpd = (pl.lit(on) - pl.col(date_column("due_date"))).dt.total_days()
    amount = pl.col("overdue_amount").cast(_AMOUNT)
    tier: pl.Expr = pl.lit(None, dtype=pl.String)
    for t in reversed(policy.tiers):
        tier = pl.when(_holds(t, dpd, amount)).then(pl.lit(t.id)).otherwise(tier)
    reason = pl.col("arrears_reason").str.to_lowercase().replace("", None) if has_reason else pl.lit(None, pl.String)
    return good.select(
        "account_id",
        pl.col(LINE).cast(pl.UInt32).alias("line"),
        tier.cast(KEY).alias("tier"),
        pl.col("jurisdiction").cast(KEY),
        pl.col("currency").cast(KEY),
        reason.cast(KEY).alias("arrears_reason"),
        pl.col("overdue_amount").cast(pl.Decimal(38, 6)).alias("overdue"),
    )


def _arms(policy: Policy, accounts: pl.DataFrame) -> pl.DataFrame:
    """Each account's arm: the experiment of its tier (the first that covers it) splits by the
    hash of the account id (:func:`dunning.plan.arms.assign_arm`); null outside experiments."""
    arm = pl.Series("arm", [], dtype=pl.String).extend_constant(None, accounts.height)
    for tier in policy.tiers:
        experiment = experiment_for(policy, tier.id)
        if experiment is None:
            continue
        mask = accounts["tier"] == tier.id
        if not mask.any():
            continue
        slots = pl.Series(buckets(experiment.id, accounts.filter(mask)["account_id"].to_list()), dtype=pl.Int64)
        chosen: pl.Expr = pl.lit(None, dtype=pl.String)
        for limit, choice in reversed(arm_limits(experiment)):
            chosen = pl.when(pl.lit(slots) < limit).then(pl.lit(choice.id)).otherwise(chosen)
        arm = arm.scatter(mask.arg_true(), pl.select(chosen).to_series())
    return accounts.with_columns(arm.cast(KEY))
