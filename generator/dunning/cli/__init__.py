"""The ``dunning`` command line: click commands only. Each command parses its options, calls
one stage, prints, and exits with a documented code (0 ok, 1 findings/failures, 2 usage/I/O).
"""

from __future__ import annotations

import sys

import click

from dunning import __version__
from dunning.cli.build import build_command
from dunning.cli.gate import gate_command
from dunning.cli.handbook import handbook_group
from dunning.cli.plan import explain_command, plan_command
from dunning.cli.render import render_command
from dunning.cli.review import diff_command, simulate_command
from dunning.cli.schema import schema_command
from dunning.cli.validate import validate_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="dunning")
def main() -> None:
    """Collections-as-code: validate a collection policy, plan contacts, render messages,
    publish the handbook."""


main.add_command(validate_command)
main.add_command(schema_command)
main.add_command(handbook_group)
main.add_command(plan_command)
main.add_command(explain_command)
main.add_command(diff_command)
main.add_command(simulate_command)
main.add_command(render_command)
main.add_command(build_command)
main.add_command(gate_command)


def run() -> None:  # pragma: no cover - console entry point wrapper
    """Entry point that never shows a traceback for a user error."""
    sys.exit(main())
