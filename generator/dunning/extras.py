"""Optional extras: what each one brings, and the one-line message when it is missing.

The core install (``pip install dunning``) is what validate, plan, gate, explain and diff
need; a pre-commit hook or a CI job that only validates installs nothing else. PDF letters,
the handbook's theme and the charts come with extras (``dunning[all]`` has them all).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from dunning.errors import UserError


@dataclass(frozen=True)
class Extra:
    """One optional extra: its name in ``dunning[NAME]``, the modules that prove it is
    installed (every one of them), and what needs it (the message's subject and verb)."""

    name: str
    modules: tuple[str, ...]
    needs: str


EXTRAS = {
    # typst sets the print batches, pikepdf cuts each letter's archive copy out of them
    "pdf": Extra("pdf", ("typst", "pikepdf"), "PDF letters need"),
    "handbook": Extra("handbook", ("material",), "the handbook needs"),
    "charts": Extra("charts", ("matplotlib",), "charts need"),
    "parquet": Extra("parquet", ("pyarrow",), "Parquet input needs"),
    "postgres": Extra("postgres", ("adbc_driver_postgresql",), "PostgreSQL sources need"),
}


class MissingExtra(UserError):
    """An optional extra is not installed: one line naming it and the install command."""

    def __init__(self, name: str, alternative: str = "") -> None:
        extra = EXTRAS[name]
        message = f"{extra.needs} the '{name}' extra: pip install 'dunning[{name}]'"
        super().__init__(message + (f" ({alternative})" if alternative else ""))
        self.extra = name

    def __reduce__(self) -> tuple[type[UserError], tuple[str, str]]:
        return (UserError, (self.message, self.hint))


def installed(name: str) -> bool:
    """Whether the extra ``name`` is installed (its module can be imported; nothing is imported)."""
    try:
        return all(importlib.util.find_spec(module) is not None for module in EXTRAS[name].modules)
    except (ImportError, ValueError):  # a parent package missing, or a module left half-imported
        return False


def require(name: str, alternative: str = "") -> None:
    """Raise :class:`MissingExtra` unless the extra ``name`` is installed; ``alternative``
    says how to do without it (``use --no-pdf``)."""
    if not installed(name):
        raise MissingExtra(name, alternative)
