"""``dunning build``: validate → plan → render → handbook, stopping at the first stage with errors."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import click

from dunning.cli.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, user_errors
from dunning.cli.params import accounts_file, jobs_option, max_reject_rate, quiet, repo_path
from dunning.cli.render import pdf_option, report
from dunning.errors import UserError


def _stage(name: str, args: Sequence[str]) -> int:
    """Run another ``dunning`` command in this process (its own options, output and exit code)."""
    from dunning.cli import main

    if main.load_command(name) is None:
        raise UserError(f"the {name} stage is not available in this version", "install the complete package")
    try:
        main.main(args=[name, *args], prog_name="dunning", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return EXIT_OK


@click.command("build")
@accounts_file
@click.option(
    "--as-of",
    "as_of",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    envvar="DUNNING_AS_OF",
    help="The run's date (YYYY-MM-DD); never taken from the clock.",
)
@click.option(
    "--history",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DUNNING_HISTORY",
    help="Contact history (CSV or JSON Lines).",
)
@click.option(
    "--out",
    "out_dir",
    default="out",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DUNNING_OUT",
    help="Output directory.",
)
@click.option("--horizon", type=click.IntRange(min=0), default=None, envvar="DUNNING_HORIZON", help="Plan DAYS ahead.")
@jobs_option
@max_reject_rate
@pdf_option
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
    handbook: bool,
    forecast_days: int | None,
    path: Path,
    quiet: bool,
) -> None:
    """Validate the policy, plan the accounts, render the messages and publish the handbook
    into OUT. Stops at the first stage with errors; exit 0 ok, 1 errors, 2 usage or I/O error."""
    from dunning.policy import require_policy
    from dunning.render.run import render_plans, write_manifest

    day = as_of.date() if hasattr(as_of, "date") else as_of
    assert isinstance(day, date)
    code = _stage("validate", ["--quiet", str(path)] if quiet else [str(path)])
    if code != EXIT_OK:
        click.echo("build stopped: validate found errors", err=True)
        sys.exit(code)
    plan_args = ["--accounts", str(accounts), "--as-of", day.isoformat(), "--out", str(out_dir)]
    if history is not None:
        plan_args += ["--history", str(history)]
    if horizon is not None:
        plan_args += ["--horizon", str(horizon)]
    if jobs is not None:
        plan_args += ["--jobs", str(jobs)]
    plan_args += ["--max-reject-rate", repr(max_reject_rate)]
    if quiet and _has_quiet("plan"):
        plan_args.append("--quiet")
    code = _stage("plan", [*plan_args, str(path)])
    if code != EXIT_OK:
        click.echo("build stopped: plan failed", err=True)
        sys.exit(code)
    policy = require_policy(path)
    result = render_plans(out_dir, path, accounts, policy=policy, workers=jobs, pdf=pdf, manifest=False)
    report(result, out_dir, quiet)
    if result.failed:
        write_manifest(policy, out_dir, result)
        click.echo("build stopped: render failed for some messages", err=True)
        sys.exit(EXIT_FINDINGS)
    if handbook:
        from dunning.handbook import build_handbook

        extra: dict[str, bytes] = {}
        if forecast_days is not None:
            from dunning.review.forecast import forecast_files

            extra = forecast_files(policy, accounts, day, forecast_days, history)
        site = build_handbook(policy, path, out_dir, day, extra_pages=extra)
        if not quiet:
            click.echo(f"handbook built in {site}")
    write_manifest(policy, out_dir, result)
    if not quiet:
        click.echo(f"manifest: {out_dir / 'manifest.json'}")
    sys.exit(EXIT_OK)


def _has_quiet(name: str) -> bool:
    from dunning.cli import main

    command = main.load_command(name)
    return command is not None and any(getattr(p, "name", "") == "quiet" for p in command.params)
