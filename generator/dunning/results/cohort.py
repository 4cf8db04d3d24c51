"""Who is in each group: the accounts of a snapshot as the policy assigns them on a day.

The start snapshot is planned on the first day of the period with the planner itself (the
columnar path, so a million accounts take seconds), and its ``plans.jsonl`` gives each
account's tier, arm, jurisdiction, currency and overdue amount; the strategy follows from the
tier and the arm as the planner chose it. The end snapshot, planned on the last day, tells
which accounts cured (no longer overdue) and which rolled (into a later tier).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from dunning.accounts.source import AccountFile
from dunning.plan.arms import experiment_for
from dunning.plan.build import PlanInputs, write_plans
from dunning.policy.model import Policy


@dataclass(frozen=True)
class Cohort:
    """One row per accepted account: ``account_id``, ``tier``, ``strategy``, ``arm``,
    ``experiment``, ``jurisdiction``, ``currency``, ``overdue`` (Decimal) and ``tier_order``;
    ``rejected`` counts the snapshot rows the contract refused."""

    accounts: pl.DataFrame
    rejected: int


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
        schema={
            "tier": pl.String,
            "arm": pl.String,
            "strategy": pl.String,
            "experiment": pl.String,
            "tier_order": pl.Int64,
        },
        orient="row",
    )


def assign(policy: Policy, policy_path: Path, snapshot: Path, on: date, *, jobs: int | None = None) -> Cohort:
    """Plan ``snapshot`` on ``on`` (no history, no horizon) and return its accounts' groups."""
    with tempfile.TemporaryDirectory(prefix="dunning-report-") as scratch:
        out = Path(scratch)
        summary = write_plans(PlanInputs(policy_path, snapshot, on), out, jobs=jobs, policy=policy)
        plans = pl.read_ndjson(
            out / "plans.jsonl",
            schema={
                "account_id": pl.String,
                "tier": pl.String,
                "arm": pl.String,
                "jurisdiction": pl.String,
                "currency": pl.String,
                "overdue_amount": pl.String,
            },
        )
    accounts = (
        plans.with_columns(overdue=pl.col("overdue_amount").cast(pl.Decimal(38, 6)))
        .drop("overdue_amount")
        .join(_strategy_table(policy), on=["tier", "arm"], how="left", nulls_equal=True)
    )
    return Cohort(accounts, summary.rejected)


def arrears_reasons(snapshot: Path) -> pl.DataFrame:
    """``account_id`` -> ``arrears_reason`` as the snapshot records it (empty when it has no
    such column). Later history events may replace it (:mod:`dunning.results.report`)."""
    frames = []
    for frame, _rejects in AccountFile(snapshot).frames():
        if "arrears_reason" not in frame.columns:
            return pl.DataFrame(schema={"account_id": pl.String, "arrears_reason": pl.String})
        frames.append(
            frame.select(
                pl.col("account_id").str.strip_chars(),
                pl.col("arrears_reason").str.strip_chars().str.to_lowercase().replace("", None),
            )
        )
    if not frames:
        return pl.DataFrame(schema={"account_id": pl.String, "arrears_reason": pl.String})
    return pl.concat(frames).unique("account_id", keep="first", maintain_order=True)
