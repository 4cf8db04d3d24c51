"""``dunning validate [PATH]``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dunning.cli.errors import EXIT_FINDINGS, EXIT_OK, user_errors
from dunning.cli.params import quiet, repo_path
from dunning.problems import failing, has_errors
from dunning.report import REPORTERS, pick


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
@quiet
@user_errors
def validate_command(path: Path, fmt: str, strict: bool, quiet: bool) -> None:
    """Check policy files and templates. Exit 0 clean, 1 problems found, 2 usage or I/O error.
    With --quiet only the findings that fail the run are reported, and nothing when none do."""
    from dunning.validate import validate

    _loaded, problems = validate(path)
    shown = failing(problems, strict=strict) if quiet else problems
    if shown or not quiet:
        color = fmt in ("auto", "text") and sys.stdout.isatty()
        click.echo(pick(fmt)(shown, color), nl=False)
    sys.exit(EXIT_FINDINGS if has_errors(problems, strict=strict) else EXIT_OK)
