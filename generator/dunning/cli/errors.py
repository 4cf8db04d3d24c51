"""Turn the package's own errors into a message and an exit code, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from dunning.errors import PolicyInvalid, UserError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print :class:`UserError` (exit 2) and :class:`PolicyInvalid` (exit 1) cleanly."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            click.echo(f"error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"  hint: {exc.hint}", err=True)
            raise SystemExit(EXIT_USAGE) from None
        except PolicyInvalid as exc:
            from dunning.report import text

            click.echo(text.render(list(exc.problems)), err=True, nl=False)  # type: ignore[arg-type]
            click.echo("error: the policy has errors; fix them first (`dunning validate`)", err=True)
            raise SystemExit(EXIT_FINDINGS) from None

    return wrapper
