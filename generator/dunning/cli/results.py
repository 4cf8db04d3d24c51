"""``dunning report``: what the policy achieved in a period, by group, and which arm won."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dunning.cli.errors import EXIT_OK, user_errors
from dunning.cli.params import (
    ACCOUNTS_SOURCE,
    accounts_end_option,
    history_option,
    jobs_option_for,
    period_options,
    repo_path,
)
from dunning.cli.review import parse_date
from dunning.errors import UserError


def _by(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@click.command("report")
@history_option(required=True)
@period_options(required=True)
@click.option(
    "--accounts",
    required=True,
    type=ACCOUNTS_SOURCE,
    envvar="DUNNING_ACCOUNTS",
    help="Snapshot at the start: who was in which tier, strategy and arm on --from.",
)
@accounts_end_option("Snapshot at the end: who cured (no longer overdue) and who rolled (a later tier) by --to.")
@click.option(
    "--by",
    default="tier",
    show_default=True,
    envvar="DUNNING_BY",
    help="Group by (comma-separated): tier, strategy, arm, jurisdiction, arrears_reason, channel, template.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json", "html"]),
    default="markdown",
    show_default=True,
    envvar="DUNNING_REPORT_FORMAT",
    help="markdown: for people; json: the contract other tools read; html: a standalone page.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="DUNNING_REPORT_OUT",
    help="Write the report to this file [default: standard output].",
)
@jobs_option_for(
    help="Accepted (DUNNING_JOBS serves every command) and not used: the report runs in one process, "
    "its columnar queries on every core (docs/report.md, 'Why one process')."
)
@repo_path
@user_errors
def report_command(
    history: Path,
    start: str,
    end: str,
    accounts: Path,
    accounts_end: Path | None,
    by: str,
    fmt: str,
    out: Path | None,
    jobs: int | None,
    path: Path,
) -> None:
    """Count what happened in the period per group: attempts, deliveries, right-party contacts,
    promises made, due and kept, payments, cures and rolls, cost, and the rates managers steer
    by; compare each experiment's challengers with their champion (docs/report.md)."""
    from dunning.policy import require_policy
    from dunning.results import WRITERS, ReportRequest, compute

    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    assert first is not None and last is not None
    for option, file in (("--accounts", accounts), ("--accounts-end", accounts_end)):
        if file is not None and not file.is_file():
            raise UserError(f"{file}: no such accounts file", f"check the {option} path")
    policy = require_policy(path)
    request = ReportRequest(policy, path, history, first, last, accounts, accounts_end, _by(by), jobs)
    text = WRITERS[fmt](compute(request))
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    sys.exit(EXIT_OK)
