"""The command line as a user meets it: commands in pipeline order, every option's
environment variable in its help, shared options declared once, shell completion."""

from __future__ import annotations

import os
import subprocess
import sys

import click
from click.testing import CliRunner

from dunning.cli import COMMANDS, main
from dunning.cli.params import ACCOUNTS_SOURCE, HISTORY_SOURCE, HORIZON_DAYS, ISO_DATE

PIPELINE = [
    "validate",
    "schema",
    "plan",
    "explain",
    "case",
    "gate",
    "render",
    "build",
    "handbook",
    "diff",
    "simulate",
    "report",
]


def every_command() -> list[tuple[str, click.Command]]:
    ctx = click.Context(main)
    found: list[tuple[str, click.Command]] = []
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        found.append((name, command))
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", command.commands[sub]) for sub in sorted(command.commands)]
    return found


def test_commands_are_listed_in_pipeline_order() -> None:
    result = CliRunner().invoke(main, ["--help"])
    listed = [line.split()[0] for line in result.output.split("Commands:\n", 1)[1].splitlines() if line.strip()]
    assert listed == PIPELINE == list(COMMANDS)


def test_every_option_has_its_environment_variable_in_help() -> None:
    for name, command in every_command():
        for param in command.params:
            if not isinstance(param, click.Option) or param.name in ("help", "version"):
                continue
            envvars = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or [])
            assert envvars and all(v.startswith("DUNNING_") for v in envvars), (name, param.name)
        text = " ".join(CliRunner().invoke(main, [*name.split(), "--help"]).output.split())
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in ("help", "version"):
                envvars = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or [])
                assert f"env var: {envvars[0]}" in text, (name, param.name)


def test_shared_options_are_declared_with_one_type() -> None:
    seen: dict[str, set[int]] = {"accounts": set(), "history": set(), "as_of": set(), "horizon": set()}
    for _name, command in every_command():
        for param in command.params:
            if param.name in seen:
                seen[param.name].add(id(param.type))
    assert seen == {
        "accounts": {id(ACCOUNTS_SOURCE)},
        "history": {id(HISTORY_SOURCE)},
        "as_of": {id(ISO_DATE)},
        "horizon": {id(HORIZON_DAYS)},
    }


def test_a_bad_date_names_the_option() -> None:
    for args in (["plan", "--accounts", "a.csv"], ["build", "--accounts", "a.csv"], ["diff", "--base", "HEAD"]):
        result = CliRunner().invoke(main, [*args, "--as-of", "30/11/2026"])
        assert result.exit_code == 2
        assert "--as-of '30/11/2026' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-28" in result.output


def test_shell_completion_script() -> None:
    for shell, marker in (("bash", "_dunning_completion"), ("zsh", "#compdef dunning"), ("fish", "complete")):
        done = subprocess.run(
            [sys.executable, "-c", "from dunning.cli import main; main(prog_name='dunning')"],
            env={**os.environ, "_DUNNING_COMPLETE": f"{shell}_source"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0 and marker in done.stdout, (shell, done.stderr)
