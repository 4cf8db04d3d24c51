"""``dunning build``: validate → plan → render → handbook, stopping at the first stage with errors."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click

from dunning.cli.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, user_errors
from dunning.cli.params import (
    accounts_file,
    as_of_option,
    history_option,
    horizon_option,
    jobs_option,
    max_reject_rate,
    out_option,
    quiet,
    repo_path,
)
from dunning.cli.plan import too_many_rejects
from dunning.cli.render import email_format_option, pdf_option, report, sends_letters
from dunning.errors import UserError


@click.command("build")
@accounts_file
@as_of_option()
@history_option()
@out_option(help="Output directory (replaced as a whole in one step at the end of the build).")
@horizon_option(default=None, help="Also plan the steps due in the next DAYS days [default: 0].")
@jobs_option
@max_reject_rate
@pdf_option
@email_format_option
@click.option("--handbook/--no-handbook", default=True, envvar="DUNNING_HANDBOOK", help="Also publish the handbook.")
@click.option(
    "--forecast-days",
    type=click.IntRange(min=1, max=366),
    default=None,
    envvar="DUNNING_FORECAST_DAYS",
    help="Add a forecast page to the handbook: the cadence simulated DAYS days from the as-of date.",
)
@repo_path
@quiet
@user_errors
def build_command(
    accounts: Path,
    as_of: object,
    history: Path | None,
    out_dir: Path,
    horizon: int | None,
    jobs: int | None,
    max_reject_rate: float,
    pdf: bool,
    email_format: str,
    handbook: bool,
    forecast_days: int | None,
    path: Path,
    quiet: bool,
) -> None:
    """Validate the policy, plan the accounts, render the messages and publish the handbook
    into OUT, all in one staging folder that replaces OUT in one step. Stops at the first stage
    with errors; exit 0 ok, 1 errors, 2 usage or I/O error."""
    from dunning.extras import installed, require
    from dunning.plan.pool import build_pool

    day = as_of.date() if hasattr(as_of, "date") else as_of
    assert isinstance(day, date)
    # a missing extra stops the build before it writes anything, not after the plan
    if handbook:
        require("handbook", "or build with --no-handbook")
    if handbook and forecast_days is not None:
        require("charts", "or build without --forecast-days")
    if pdf and not installed("pdf"):
        from dunning.policy import load_and_compile

        loaded = load_and_compile(path)  # a policy with errors is validate's to report
        if loaded.policy is not None and sends_letters(loaded.policy):
            require("pdf", "or build with --no-pdf")
    # the planning workers first, before this process imports the stages (≈ 0.3 s of a core):
    # they load polars, the planner and render's modules meanwhile (dunning.plan.pool imports
    # none of them); run_build closes them, also when validate stops the build
    pool = build_pool(path, accounts, jobs)
    try:
        from tqdm import tqdm

        from dunning.acknowledge import Acknowledged
        from dunning.build import BuildRequest, run_build
        from dunning.plan.build import show_progress
        from dunning.problems import Problem, failing
        from dunning.report import pick, wants_color

        request = BuildRequest(
            path, accounts, day, out_dir, history, horizon, jobs, pdf, handbook, forecast_days, max_reject_rate,
            email_format=email_format, render_progress=show_progress(quiet),
        )  # fmt: skip
        bar = tqdm(unit=" accounts", file=sys.stderr, disable=not show_progress(quiet), leave=False)
    except BaseException:
        if pool is not None:
            pool.close(stop=True)
        raise
    stage = ["validate"]

    def on_findings(problems: list[Problem], acknowledged: list[Acknowledged]) -> None:
        # as `dunning validate` prints them: the acknowledged ones listed once, none with --quiet
        shown = failing(problems, strict=False) if quiet else problems
        if shown or not quiet:
            color = wants_color(sys.stdout, os.environ)
            click.echo(pick("auto")(shown, color, [] if quiet else acknowledged), nl=False, color=color)

    try:
        result = run_build(
            request,
            on_findings=on_findings,
            on_stage=lambda name: stage.__setitem__(0, name),
            progress=bar,
            pool=pool,
            pool_started=True,
        )
    except UserError as exc:
        click.echo(f"error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"  hint: {exc.hint}", err=True)
        if stage[0] != "out":  # a refused --out is the whole story
            click.echo(f"build stopped: {stage[0]} failed", err=True)
        sys.exit(EXIT_USAGE)
    finally:
        bar.close()
    if result.stopped == "validate":
        click.echo("build stopped: validate found errors", err=True)
        sys.exit(EXIT_FINDINGS)
    assert result.plans is not None
    if not quiet:
        actions = ", ".join(f"{status} {count}" for status, count in sorted(result.plans.actions.items())) or "none"
        click.echo(f"plans written to {out_dir}/ (actions: {actions})")
    click.echo(result.plans.line())
    if result.stopped == "plan":
        too_many_rejects(result.plans, max_reject_rate, out_dir)
        click.echo("build stopped: plan failed", err=True)
        sys.exit(EXIT_FINDINGS)
    assert result.render is not None
    report(result.render, out_dir, quiet)
    if result.stopped == "render":
        click.echo("build stopped: render failed for some messages", err=True)
        sys.exit(EXIT_FINDINGS)
    if result.site is not None and not quiet:
        click.echo(f"handbook built in {result.site}")
    if not quiet:
        click.echo(f"manifest: {out_dir / 'manifest.json'}")
    sys.exit(EXIT_OK)
