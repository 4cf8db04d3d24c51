"""``dunning validate [PATH]``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dunning.cli.errors import EXIT_FINDINGS, EXIT_OK, user_errors
from dunning.cli.params import repo_path
from dunning.problems import has_errors
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
@user_errors
def validate_command(path: Path, fmt: str, strict: bool) -> None:
    """Check policy files and templates. Exit 0 clean, 1 problems found, 2 usage or I/O error."""
    from dunning.validate import validate

    _loaded, problems = validate(path)
    color = fmt in ("auto", "text") and sys.stdout.isatty()
    click.echo(pick(fmt)(problems, color), nl=False)
    sys.exit(EXIT_FINDINGS if has_errors(problems, strict=strict) else EXIT_OK)
