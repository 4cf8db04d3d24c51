"""``dunning plan`` and ``dunning explain``: action plans for an account snapshot, and one
account's decision trace in words."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from dunning.cli.errors import EXIT_FINDINGS, EXIT_OK, user_errors
from dunning.cli.params import (
    ACCOUNTS_SOURCE,
    as_of_option,
    history_option,
    horizon_option,
    jobs_option,
    max_reject_rate,
    out_option,
    quiet,
    repo_path,
)

if TYPE_CHECKING:
    from dunning.plan.build import Summary

F = TypeVar("F", bound=Callable[..., Any])


def plan_inputs(func: F) -> F:
    """The options ``plan`` and ``explain`` share, each with its DUNNING_* variable."""
    options = [
        click.option(
            "--accounts",
            required=True,
            type=ACCOUNTS_SOURCE,
            envvar="DUNNING_ACCOUNTS",
            help="Account snapshot: CSV, JSON Lines or Parquet.",
        ),
        as_of_option(),
        history_option(),
        horizon_option(),
        click.option(
            "--accounts-format",
            type=click.Choice(["csv", "jsonl", "parquet"]),
            envvar="DUNNING_ACCOUNTS_FORMAT",
            help="Input format when the extension does not say.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


if TYPE_CHECKING:
    from dunning.plan.build import Summary


@click.command("plan")
@plan_inputs
@out_option(help="Output directory (replaced as a whole at the end of a successful run).")
@jobs_option
@max_reject_rate
@quiet
@repo_path
@user_errors
def plan_command(
    accounts: Path,
    as_of: date,
    history: Path | None,
    horizon: int,
    accounts_format: str | None,
    out_dir: Path,
    jobs: int | None,
    max_reject_rate: float,
    quiet: bool,
    path: Path,
) -> None:
    """Plan every account of the snapshot: plans.jsonl, actions.csv, rejects.csv and
    summary.json in OUT. Exit 0 ok, 1 policy errors or more rejects than --max-reject-rate,
    2 usage or I/O error."""
    from tqdm import tqdm

    from dunning.compliance.breaks import calendar_warnings
    from dunning.plan.build import PlanInputs, run_plan, show_progress
    from dunning.policy import require_policy

    inputs = PlanInputs(path, accounts, as_of, history, horizon, accounts_format)
    policy = require_policy(path)
    bar = tqdm(unit=" accounts", file=sys.stderr, disable=not show_progress(quiet), leave=False)
    try:
        summary = run_plan(inputs, out_dir, jobs=jobs, progress=bar, policy=policy)
    finally:
        bar.close()
    if not quiet:
        actions = ", ".join(f"{status} {count}" for status, count in sorted(summary.actions.items())) or "none"
        click.echo(f"plans written to {out_dir}/ (actions: {actions})")
    calendars = [t.holidays for t in policy.timetables] + [j.holidays for j in policy.jurisdictions.values()]
    for words in calendar_warnings(calendars, as_of, as_of + timedelta(days=horizon)):
        click.echo(f"warning: {words}", err=True)
    click.echo(summary.line())
    if summary.over_reject_rate(max_reject_rate):
        too_many_rejects(summary, max_reject_rate, out_dir)
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_OK)


@click.command("explain")
@click.argument("account_id")
@plan_inputs
@repo_path
@user_errors
def explain_command(
    account_id: str,
    accounts: Path,
    as_of: date,
    history: Path | None,
    horizon: int,
    accounts_format: str | None,
    path: Path,
) -> None:
    """Print ACCOUNT_ID's decision trace in words: tier and why, arm, each exclusion, each
    step considered and why it was scheduled, deferred or suppressed."""
    from dunning.plan.build import PlanInputs
    from dunning.plan.explain import explain_account

    inputs = PlanInputs(path, accounts, as_of, history, horizon, accounts_format)
    click.echo(explain_account(inputs, account_id))
    sys.exit(EXIT_OK)


def too_many_rejects(summary: Summary, max_reject_rate: float, out_dir: Path) -> None:
    """Say what the run rejected beyond ``--max-reject-rate`` (accounts rejected or held,
    history lines rejected), and where why."""
    limit = f"more than --max-reject-rate {max_reject_rate:g}"
    lost = summary.rejected + summary.held_planned
    if lost > max_reject_rate * summary.accounts_in:
        share = lost / summary.accounts_in
        if summary.held_planned:
            what = f"{lost} of {summary.accounts_in} accounts rejected or held ({share:.1%}): {summary.rejected}"
            what += f" rejected, {summary.held_planned} held for unreadable history lines"
            where = f"{out_dir / 'rejects.csv'} and {out_dir / 'history-rejects.csv'}"
        else:
            what, where = (
                f"{lost} of {summary.accounts_in} accounts rejected ({share:.1%})",
                str(out_dir / "rejects.csv"),
            )
        click.echo(f"error: {what}, {limit}; see {where}", err=True)
        click.echo("  hint: is it the right file, with the contract's columns and codes? (docs/plan.md)", err=True)
    if summary.history_rejected > max_reject_rate * summary.history_lines:
        share = summary.history_rejected / summary.history_lines
        click.echo(
            f"error: {summary.history_rejected} of {summary.history_lines} history lines rejected ({share:.1%}),"
            f" {limit}; see {out_dir / 'history-rejects.csv'}",
            err=True,
        )
        click.echo(
            "  hint: is it the right history file, with the contract's columns and event words? (docs/data.md)",
            err=True,
        )
