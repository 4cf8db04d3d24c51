"""Options shared by several commands, each with its ``DUNNING_*`` environment variable."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from dunning.accounts.location import Kind

F = TypeVar("F", bound=Callable[..., Any])


class DataSource(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.3 on
    """Where an account snapshot or a contact history lives: a file, ``-``, a compressed file,
    a Parquet dataset folder or ``sqlite:///…`` (:mod:`dunning.accounts.location`). A source
    that is not a plain file is copied into a private scratch folder, removed when the command
    ends; the command gets a path either way."""

    name = "source"

    def __init__(self, kind: Kind) -> None:
        self.kind = kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        from dunning.accounts.location import is_plain_file, materialize
        from dunning.errors import UserError
        from dunning.extras import MissingExtra

        if isinstance(value, Path):
            return value
        text = str(value)
        if is_plain_file(text, self.kind):
            return Path(text)
        scratch = Path(tempfile.mkdtemp(prefix=f"dunning-{self.kind}-"))  # mode 0700: personal data
        if ctx is not None:
            ctx.call_on_close(lambda: shutil.rmtree(scratch, ignore_errors=True))
        try:
            return materialize(text, self.kind, scratch)
        except MissingExtra as exc:  # one line, as everywhere else, not a usage error
            shutil.rmtree(scratch, ignore_errors=True)
            raise MissingExtraError(exc.message) from None
        except UserError as exc:
            shutil.rmtree(scratch, ignore_errors=True)
            self.fail(exc.message + (f" (hint: {exc.hint})" if exc.hint else ""), param, ctx)


class MissingExtraError(click.ClickException):
    """A missing extra found while the options are read: ``error: …`` on one line, exit 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


class IsoDate(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.3 on
    """A calendar date written ``YYYY-MM-DD``, given to the command as a :class:`datetime.date`."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value)
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
        except ValueError:
            pass
        option = param.opts[0] if param is not None and param.opts else "the date"
        self.fail(f"{option} {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-28", param, ctx)


ISO_DATE = IsoDate()


def as_of_option(required: bool = True, help: str = "The run's date; never taken from the clock.") -> Callable[[F], F]:
    """``--as-of``, the same option (and type: a date) in every command that takes it."""
    return click.option("--as-of", "as_of", required=required, type=ISO_DATE, envvar="DUNNING_AS_OF", help=help)


HORIZON_DAYS = click.IntRange(min=0, max=366)


def horizon_option(
    default: int | None = 0, help: str = "Also plan the steps due in the next DAYS days."
) -> Callable[[F], F]:
    """``--horizon``, the same option (and type: 0 to 366 days) wherever a plan is made."""
    return click.option(
        "--horizon",
        type=HORIZON_DAYS,
        default=default,
        show_default=default is not None,
        envvar="DUNNING_HORIZON",
        help=help,
    )


ACCOUNTS_SOURCE = DataSource("accounts")
HISTORY_SOURCE = DataSource("history")
SOURCES_HELP = (
    "a CSV, JSON Lines or Parquet file (.gz/.zst too), - for stdin, a Parquet dataset folder, "
    "sqlite:///FILE?table=NAME or postgresql://HOST/DB?table=NAME"
)


def history_option(required: bool = False, help: str = "Contact history") -> Callable[[F], F]:
    """``--history``, the same option in every command that reads the contact history."""
    return click.option(
        "--history", required=required, type=HISTORY_SOURCE, envvar="DUNNING_HISTORY", help=f"{help}: {SOURCES_HELP}."
    )


repo_path = click.argument(
    "path",
    required=False,
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DUNNING_PATH",
)
quiet = click.option("--quiet", "-q", is_flag=True, envvar="DUNNING_QUIET", help="Print only errors.")
accounts_file = click.option(
    "--accounts",
    required=True,
    type=ACCOUNTS_SOURCE,
    envvar="DUNNING_ACCOUNTS",
    help=f"Account snapshot: {SOURCES_HELP}.",
)
JOBS_COUNT = click.IntRange(min=0, max=64)
JOBS_HELP = "Worker processes (default, or 0: one per core for large inputs, one for small)."


def jobs_option_for(default: int | None = None, help: str = JOBS_HELP) -> Callable[[F], F]:
    """``--jobs``/``-j``, the same option (and type: 0 to 64 workers) in every command that
    runs workers. 0 comes to the command as None, "the command's own choice", so one
    ``DUNNING_JOBS=0`` serves every command."""
    return click.option(
        "--jobs",
        "-j",
        "--workers",  # the name render and build used first; still accepted
        "jobs",
        type=JOBS_COUNT,
        default=default,
        show_default=default is not None,
        envvar=["DUNNING_JOBS", "DUNNING_WORKERS"],
        callback=lambda _ctx, _param, value: value or None,
        help=help,
    )


jobs_option = jobs_option_for()
OUT_FOLDER = click.Path(file_okay=False, path_type=Path)


def out_option(default: str = "out", help: str = "Output directory.") -> Callable[[F], F]:
    """``--out``, the same option (and type: a folder, ``DUNNING_OUT``) in every command that
    writes a folder of outputs; given to the command as ``out_dir``."""
    return click.option(
        "--out", "out_dir", default=default, show_default=True, type=OUT_FOLDER, envvar="DUNNING_OUT", help=help
    )


max_reject_rate = click.option(
    "--max-reject-rate",
    type=click.FloatRange(min=0.0, max=1.0),
    default=0.5,
    show_default=True,
    envvar="DUNNING_MAX_REJECT_RATE",
    help="Fail (exit 1, outputs kept) when more than this share of the accounts is rejected; 1 never fails.",
)


def accounts_end_option(help: str) -> Callable[[F], F]:
    """``--accounts-end``: the snapshot at the end of a period (``report`` and the handbook's
    Results page), from which cures and rolls are counted."""
    return click.option(
        "--accounts-end",
        "accounts_end",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="DUNNING_ACCOUNTS_END",
        help=help,
    )


def period_options(required: bool, what: str = "the period") -> Callable[[F], F]:
    """``--from`` and ``--to``: the days of a period, both included (YYYY-MM-DD)."""
    first = click.option(
        "--from", "start", required=required, envvar="DUNNING_FROM", help=f"First day of {what} (YYYY-MM-DD)."
    )
    last = click.option(
        "--to", "end", required=required, envvar="DUNNING_TO", help=f"Last day of {what} (YYYY-MM-DD), included."
    )

    def both(func: F) -> F:
        return first(last(func))

    return both
