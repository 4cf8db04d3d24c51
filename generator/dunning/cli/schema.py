"""``dunning schema [--out DIR] [--check]``: JSON Schema for editors (yaml-language-server)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dunning.cli.errors import EXIT_FINDINGS, EXIT_OK, user_errors
from dunning.errors import UserError

FILE_NAME = "policy.schema.json"


@click.command("schema")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
    envvar="DUNNING_SCHEMA_OUT",
    help="Folder to write policy.schema.json into (policy files point at ../schemas/policy.schema.json).",
)
@click.option(
    "--check",
    is_flag=True,
    envvar="DUNNING_SCHEMA_CHECK",
    help="Write nothing; exit 1 when the file there is missing or out of date.",
)
@user_errors
def schema_command(out: Path, check: bool) -> None:
    """Write the JSON Schema of policy files, so editors autocomplete keys and flag mistakes."""
    from dunning.policy.jsonschema import render

    text = render()
    target = out / FILE_NAME
    if check:
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            click.echo(f"{target} is {'missing' if current is None else 'out of date'}; run `dunning schema`", err=True)
            sys.exit(EXIT_FINDINGS)
        click.echo(f"{target} is up to date")
        sys.exit(EXIT_OK)
    try:
        out.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror}", "check the folder and its permissions") from exc
    click.echo(f"wrote {target}")
