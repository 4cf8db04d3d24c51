"""The command line as a user meets it: commands in pipeline order, every option's
environment variable in its help, shared options declared once, shell completion."""

from __future__ import annotations

import os
import subprocess
import sys

import click
from click.testing import CliRunner

from dunning.cli import COMMANDS, main
from dunning.cli.params import ACCOUNTS_SOURCE, HISTORY_SOURCE, HORIZON_DAYS, ISO_DATE, JOBS_COUNT, OUT_FOLDER

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
    seen: dict[str, set[int]] = {name: set() for name in ("accounts", "history", "as_of", "horizon", "out_dir", "jobs")}
    flags: dict[str, set[tuple[str, ...]]] = {"out_dir": set(), "jobs": set()}
    for _name, command in every_command():
        for param in command.params:
            if param.name in seen:
                seen[param.name].add(id(param.type))
            if param.name in flags:
                flags[param.name].add((*param.opts, *param.secondary_opts, str(param.envvar)))
    assert flags == {
        "out_dir": {("--out", "DUNNING_OUT")},
        "jobs": {("--jobs", "-j", "--workers", "['DUNNING_JOBS', 'DUNNING_WORKERS']")},
    }
    assert seen == {
        "accounts": {id(ACCOUNTS_SOURCE)},
        "history": {id(HISTORY_SOURCE)},
        "as_of": {id(ISO_DATE)},
        "horizon": {id(HORIZON_DAYS)},
        "out_dir": {id(OUT_FOLDER)},
        "jobs": {id(JOBS_COUNT)},
    }


def option_help(command: list[str], option: str) -> str:
    """The help entry of ``option`` in ``dunning COMMAND --help``, on one line."""
    text = CliRunner().invoke(main, [*command, "--help"], terminal_width=200).output
    lines = text.splitlines()
    (start,) = [n for n, line in enumerate(lines) if line.startswith(f"  {option}")]
    entry = [lines[start]]
    for line in lines[start + 1 :]:  # a long option's help starts on the next line, indented further
        if not line.startswith("   "):
            break
        entry.append(line)
    return " ".join(" ".join(entry).split())


def test_out_and_jobs_help_shows_the_environment_variable() -> None:
    assert option_help(["plan"], "--out") == (
        "--out DIRECTORY Output directory (replaced as a whole at the end of a successful run). "
        "[env var: DUNNING_OUT] [default: out]"
    )
    assert option_help(["plan"], "-j, --jobs") == (
        "-j, --jobs, --workers INTEGER RANGE Worker processes (default, or 0: one per core for large inputs, "
        "one for small). [env var: DUNNING_JOBS, DUNNING_WORKERS] [0<=x<=64]"
    )
    assert option_help(["gate"], "-j, --jobs") == (
        "-j, --jobs, --workers INTEGER RANGE Worker processes (0: one per core for large inputs, one for small). "
        "On stdin each answer still comes as soon as its line is answered. [env var: DUNNING_JOBS, DUNNING_WORKERS] "
        "[default: 1; 0<=x<=64]"
    )
    assert option_help(["simulate"], "--out") == (
        "--out DIRECTORY Output folder: channels.csv, tiers.csv, summary.json, load/tiers charts (PNG, SVG). "
        "[env var: DUNNING_OUT] [default: forecast]"
    )


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
