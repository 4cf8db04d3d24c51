"""The ``dunning`` command line: click commands only. Each command parses its options, calls
one stage, prints, and exits with a documented code (0 ok, 1 findings/failures, 2 usage/I/O).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import click

from dunning import __version__

# command name -> "module:attribute". A command's module is imported only when that command
# runs (or help lists it): `dunning validate` runs in every CI job and pre-commit hook, and
# need not load the planner's, renderer's and handbook's command modules first.
COMMANDS = {  # in pipeline order, as `dunning --help` lists them
    "validate": "dunning.cli.validate:validate_command",
    "schema": "dunning.cli.schema:schema_command",
    "plan": "dunning.cli.plan:plan_command",
    "explain": "dunning.cli.plan:explain_command",
    "case": "dunning.cli.case:case_command",
    "gate": "dunning.cli.gate:gate_command",
    "render": "dunning.cli.render:render_command",
    "build": "dunning.cli.build:build_command",
    "handbook": "dunning.cli.handbook:handbook_group",
    "diff": "dunning.cli.review:diff_command",
    "simulate": "dunning.cli.review:simulate_command",
    "report": "dunning.cli.results:report_command",
}


class Terminated(SystemExit):
    """SIGTERM arrived: the run stops as an error or Ctrl-C stops it, with the shell's code for
    a process ended by that signal (128 + 15)."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


class CommandsOnDemand(click.Group):
    """A group whose subcommands are imported by name from :data:`COMMANDS` when first asked for."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with _terminate_as_interrupt():
            return super().main(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *sorted(set(self.commands) - set(COMMANDS))]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.load_command(cmd_name)

    def load_command(self, name: str) -> click.Command | None:
        """The subcommand called ``name`` (its module imported now if it was not yet), or None."""
        if name not in self.commands and name in COMMANDS:
            module, _, attribute = COMMANDS[name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            show_envvars(command)
            self.add_command(command)
        return self.commands.get(name)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (`kill`, a CI job's timeout, `docker stop`, `systemctl stop`) ends a run the way
    Ctrl-C does: the exception unwinds it, so its ``finally`` blocks and ``atexit`` functions
    run — the workers are stopped, the staging folder is removed and the previous output
    stays, a served handbook's scratch site is deleted. Python's default for SIGTERM is to die
    at once and leave all of that behind. Only the process that installed it acts so: a
    worker forked from it inherits the handler but dies as before (its parent stops it with
    SIGTERM, and its ``finally`` blocks are the parent's)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set a handler (a test runner's thread, say)
        return
    owner = os.getpid()

    def terminated(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        print("dunning: stopped (SIGTERM)", file=sys.stderr)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def show_envvars(command: click.Command) -> None:
    """Every option's help shows its ``DUNNING_*`` variable (``[env var: DUNNING_AS_OF]``).
    Written into the help text rather than through click's ``show_envvar``, which would also
    change every error message about the option."""
    for param in command.params:
        if isinstance(param, click.Option) and param.envvar and "[env var:" not in (param.help or ""):
            names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
            param.help = f"{param.help or ''}  [env var: {', '.join(names)}]".strip()
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            show_envvars(sub)


@click.group(
    cls=CommandsOnDemand,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="dunning")
def main() -> None:
    """Collections-as-code: validate a collection policy, plan contacts, render messages,
    publish the handbook."""


def run() -> None:  # pragma: no cover - console entry point wrapper
    """Entry point that never shows a traceback for a user error."""
    sys.exit(main())
