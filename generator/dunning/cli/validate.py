"""``dunning validate [PATH]``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from dunning.cli.errors import EXIT_FINDINGS, EXIT_OK, user_errors
from dunning.cli.params import quiet, repo_path
from dunning.problems import Level, failing, has_errors
from dunning.report import REPORTERS, pick, wants_color

# --min-level: the findings at this level and above are shown
LEVEL_RANK = {Level.INFO: 0, Level.WARNING: 1, Level.ERROR: 2}


@click.command("validate")
@repo_path
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *REPORTERS]),
    default="auto",
    envvar="DUNNING_FORMAT",
    show_default=True,
    help="Output format; auto = github inside GitHub Actions, else text.",
)
@click.option("--strict", is_flag=True, envvar="DUNNING_STRICT", help="Warnings fail too (exit 1).")
@click.option(
    "--min-level",
    type=click.Choice([level.value for level in Level][::-1]),
    default=Level.INFO.value,
    envvar="DUNNING_MIN_LEVEL",
    show_default=True,
    help="Show only findings at this level and above (what fails the run does not change).",
)
@quiet
@user_errors
def validate_command(path: Path, fmt: str, strict: bool, min_level: str, quiet: bool) -> None:
    """Check policy files and templates. Exit 0 clean, 1 problems found, 2 usage or I/O error.
    With --quiet only the findings that fail the run are reported, and nothing when none do.
    Acknowledged findings (`# dunning: ignore[CODE] reason`, or the policy's
    `acknowledgements`) are listed once with their reason and never fail the run."""
    from dunning.validate import validation

    result = validation(path)
    problems = result.problems
    floor = LEVEL_RANK[Level(min_level)]
    shown = [p for p in problems if LEVEL_RANK[p.level] >= floor]
    acknowledged = [a for a in result.acknowledged if LEVEL_RANK[a.problem.level] >= floor]
    if quiet:
        shown, acknowledged = [p for p in shown if p in failing(problems, strict=strict)], []
    if shown or not quiet:
        color = fmt in ("auto", "text") and wants_color(sys.stdout, os.environ)
        click.echo(pick(fmt)(shown, color, acknowledged), nl=False, color=color)
    sys.exit(EXIT_FINDINGS if has_errors(problems, strict=strict) else EXIT_OK)
