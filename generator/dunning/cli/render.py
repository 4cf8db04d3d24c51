"""``dunning render --plans DIR [--accounts FILE] [PATH]``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dunning.cli.errors import EXIT_FINDINGS, EXIT_OK, user_errors
from dunning.cli.params import ACCOUNTS_SOURCE, jobs_option, quiet, repo_path

if TYPE_CHECKING:
    from dunning.policy.model import Policy

plans_option = click.option(
    "--plans",
    "plans_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DUNNING_PLANS",
    help="Plan directory (plans.jsonl, summary.json) written by `dunning plan`.",
)
accounts_option = click.option(
    "--accounts",
    type=ACCOUNTS_SOURCE,
    envvar="DUNNING_ACCOUNTS",
    help="Account snapshot the plan was made from (default: the one recorded in summary.json).",
)
pdf_option = click.option(
    "--pdf/--no-pdf",
    default=True,
    envvar="DUNNING_PDF",
    show_default=True,
    help="Typeset the letters: one PDF per print batch plus a PDF copy of each letter (Typst). "
    "Without: the batch indexes and an HTML preview of each letter.",
)
email_format_option = click.option(
    "--email-format",
    type=click.Choice(["eml", "mbox"]),
    default="eml",
    envvar="DUNNING_EMAIL_FORMAT",
    show_default=True,
    help="eml: one RFC 5322 file per email (MTA pickup); mbox: one mbox per send date.",
)


def sends_letters(policy: Policy) -> bool:
    """Whether some step of the policy sends a letter (whose PDF needs the 'pdf' extra)."""
    return any(step.channel == "letter" for strategy in policy.strategies.values() for step in strategy.steps)


def report(result: object, out_dir: Path, be_quiet: bool) -> None:
    """Print what was rendered and where the failures went."""
    from dunning.render.run import RenderSummary

    assert isinstance(result, RenderSummary)
    parts = ", ".join(f"{channel} {count}" for channel, count in sorted(result.rendered.items()))
    if not be_quiet:
        click.echo(f"rendered {result.total} messages ({parts or 'none'}) into {out_dir / 'messages'}")
        if result.cases:  # a build with no visit, legal review or placement says nothing of them
            click.echo(f"case files: {result.cases} (HTML and JSON) in {out_dir / 'messages' / 'cases'}")
    if result.failed:
        click.echo(
            f"error: {result.failed} message(s) failed to render; see {out_dir / 'messages' / 'render-rejects.csv'}",
            err=True,
        )


@click.command("render")
@plans_option
@accounts_option
@jobs_option
@pdf_option
@email_format_option
@repo_path
@quiet
@user_errors
def render_command(
    plans_dir: Path, accounts: Path | None, jobs: int | None, pdf: bool, email_format: str, path: Path, quiet: bool
) -> None:
    """Render every scheduled and deferred action of a plan directory into DIR/messages/ and
    write DIR/manifest.json. Exit 0 all rendered, 1 some messages failed, 2 usage or I/O error."""
    from dunning.extras import require
    from dunning.policy import require_policy
    from dunning.render.run import render_plans

    policy = require_policy(path)
    if pdf and sends_letters(policy):
        require("pdf", "or render with --no-pdf")
    from dunning.plan.build import show_progress

    result = render_plans(
        plans_dir, path, accounts, policy=policy, workers=jobs, pdf=pdf, email_format=email_format,
        progress=show_progress(quiet),
    )  # fmt: skip
    report(result, plans_dir, quiet)
    sys.exit(EXIT_FINDINGS if result.failed else EXIT_OK)
