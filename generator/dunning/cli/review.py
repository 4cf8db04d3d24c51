"""``dunning diff`` (what a policy change does) and ``dunning simulate`` (the volume it produces)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import click

from dunning.cli.errors import EXIT_FINDINGS, EXIT_OK, user_errors
from dunning.cli.params import (
    ACCOUNTS_SOURCE,
    accounts_file,
    as_of_option,
    history_option,
    horizon_option,
    out_option,
    repo_path,
)
from dunning.errors import UserError


def parse_date(value: str | date | None, option: str) -> date | None:
    """An ISO date option, or UserError naming the option."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} {value!r} is not a date", "write it as YYYY-MM-DD, e.g. 2026-11-28") from None


@click.command("diff")
@click.option(
    "--base", required=True, envvar="DUNNING_BASE", help="Git revision to compare against (e.g. origin/main)."
)
@click.option(
    "--head", default=None, envvar="DUNNING_HEAD", help="Git revision with the change [default: the working tree]."
)
@click.option(
    "--accounts",
    type=ACCOUNTS_SOURCE,
    envvar="DUNNING_ACCOUNTS",
    help="Account snapshot: plan both policies on it and show the impact.",
)
@as_of_option(required=False, help="Planning date for the impact.")
@history_option()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    envvar="DUNNING_DIFF_FORMAT",
    show_default=True,
    help="markdown: a pull-request comment; json: for machines.",
)
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    envvar="DUNNING_FAIL_ON",
    help="Exit 1 when this holds, e.g. 'tier-moves>5%', 'newly-contacted>100', 'any-law-change' (repeatable).",
)
@click.option(
    "--examples",
    default=5,
    show_default=True,
    type=click.IntRange(0, 100),
    envvar="DUNNING_EXAMPLES",
    help="Example account ids per category.",
)
@click.option(
    "--link-base",
    default=None,
    envvar="DUNNING_LINK_BASE",
    help="Link YAML locations to lines, e.g. https://github.com/OWNER/REPO/blob (markdown).",
)
@horizon_option(help="Also plan the next DAYS days (as `dunning plan --horizon`).")
@repo_path
@user_errors
def diff_command(
    base: str,
    head: str | None,
    accounts: Path | None,
    as_of: date | None,
    history: Path | None,
    fmt: str,
    fail_on: tuple[str, ...],
    examples: int,
    link_base: str | None,
    horizon: int,
    path: Path,
) -> None:
    """Compare the policy at two git revisions: semantic changes in words and, with --accounts,
    what they do to real accounts. Exit 0 whatever the diff; 1 when a --fail-on condition holds;
    2 on usage errors (bad revision, bad condition).

    \b
    --fail-on syntax: METRIC | METRIC OP N | METRIC OP N%   (OP: > >= < <= = !=)
    metrics: changes, law-changes, wording-changes, any-change, any-law-change,
             tier-moves, newly-contacted, no-longer-contacted, newly-excluded,
             no-longer-excluded, newly-paused, no-longer-paused, newly-rejected,
             no-longer-rejected, offers-changed, messages-changed (these take N%),
             actions-added, actions-removed
    """
    from dunning.review.diff import run_diff
    from dunning.review.failon import parse_conditions
    from dunning.review.report import to_json, to_markdown

    if (accounts is None) != (as_of is None):
        raise UserError("--accounts and --as-of go together", "give both to see the impact on accounts, or neither")
    if history is not None and accounts is None:
        raise UserError("--history needs --accounts", "add --accounts FILE --as-of DATE")
    conditions = parse_conditions(fail_on, with_accounts=accounts is not None)
    as_of_date = parse_date(as_of, "--as-of")
    with ExitStack() as stack:
        report = run_diff(stack, path, base, head, accounts, as_of_date, history, conditions, examples, horizon)
        text = to_json(report) if fmt == "json" else to_markdown(report, link_base)
    sys.stdout.write(text)
    sys.exit(EXIT_FINDINGS if report.failed else EXIT_OK)


@click.command("simulate")
@accounts_file
@click.option("--from", "start", required=True, envvar="DUNNING_FROM", help="First simulated day (YYYY-MM-DD).")
@click.option("--days", required=True, type=click.IntRange(1, 366), envvar="DUNNING_DAYS", help="Days to simulate.")
@history_option()
@click.option(
    "--cure-rate",
    "cure_rate",
    default=None,
    envvar="DUNNING_CURE_RATE",
    help="Daily probability (0-1) that an account pays in full and drops out.",
)
@click.option("--seed", default=0, show_default=True, type=int, envvar="DUNNING_SEED", help="Seed of the cure draws.")
@out_option(
    default="forecast", help="Output folder: channels.csv, tiers.csv, summary.json, load/tiers charts (PNG, SVG)."
)
@repo_path
@user_errors
def simulate_command(
    accounts: Path,
    start: str,
    days: int,
    history: Path | None,
    cure_rate: str | None,
    seed: int,
    out_dir: Path,
    path: Path,
) -> None:
    """Project the cadence day by day from --from, assuming no payments (and, with --cure-rate,
    a daily cure probability), carrying the simulated contacts forward so caps apply."""
    from decimal import Decimal, InvalidOperation

    from dunning.extras import require
    from dunning.policy import require_policy
    from dunning.review.forecast import write_forecast
    from dunning.review.simulate import simulate

    require("charts")
    first = parse_date(start, "--from")
    assert first is not None
    rate = None
    if cure_rate is not None:
        try:
            rate = Decimal(cure_rate)
        except InvalidOperation:
            rate = None
        if rate is None or not rate.is_finite() or not Decimal(0) <= rate <= Decimal(1):
            raise UserError(f"--cure-rate {cure_rate!r} is not a probability", "write a number from 0 to 1, e.g. 0.02")
    if not accounts.is_file():
        raise UserError(f"{accounts}: no such accounts file", "check the --accounts path")
    policy = require_policy(path)
    forecast = simulate(policy, accounts, first, days, history, rate, seed)
    data = write_forecast(forecast, policy, out_dir, rate, seed)
    peak = data["peak"]["all"]
    click.echo(
        f"simulated {data['simulated']} accounts over {days} days from {first} "
        f"(rejected {data['rejected']}, cured {data['cured']}); busiest day {peak['day']} "
        f"with {peak['contacts']} contacts; wrote {out_dir}/"
    )
    sys.exit(EXIT_OK)
