"""Tasks for the worker-pool tests: module-level, so that a spawned worker finds them by name."""

from __future__ import annotations

import os
import signal
import time

from dunning.errors import UserError

_PREFIX: str | None = None


def remember(prefix: str) -> None:
    """An initializer: what every task of this worker prefixes."""
    global _PREFIX
    _PREFIX = prefix


def refuse(prefix: str) -> None:
    """An initializer that fails as a stage's does on bad input."""
    raise UserError(f"cannot start with {prefix!r}", "fix the prefix")


def label(n: int) -> str:
    """The argument with the worker's prefix; later chunks finish first (results must still
    come in input order)."""
    time.sleep(0.02 * (n % 3 == 0))
    return f"{_PREFIX}{n}"


def pid_of(_n: int) -> int:
    """Which process ran the task."""
    return os.getpid()


def fail_at_three(n: int) -> int:
    """A task that raises the CLI's error on one chunk."""
    if n == 3:
        raise UserError("line 3: bad chunk", "fix line 3")
    return n


def die_at_three(n: int) -> int:
    """A task whose worker is killed on one chunk (as the kernel's OOM killer would)."""
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


def nap(seconds: int) -> int:
    """A chunk that takes ``seconds`` (60: far longer than any test waits)."""
    time.sleep(seconds)
    return seconds


def has_module(name: str) -> bool:
    """Whether this worker holds the module ``name`` before the task imports anything."""
    import sys

    return name in sys.modules


def mark_at_exit(folder: str) -> int:
    """A task that leaves a file to be written when its worker exits (as a print worker
    removes its fonts folder at exit); its worker's pid."""
    import atexit
    from pathlib import Path

    atexit.register(Path(folder, f"exited-{os.getpid()}").write_text, "bye")
    return os.getpid()


def mark_and_nap(job: tuple[str, int]) -> int:
    """``mark_at_exit`` in the folder, then a chunk of ``seconds`` (a ``napping-PID`` file
    says it has begun); the worker's pid."""
    from pathlib import Path

    folder, seconds = job
    pid = mark_at_exit(folder)
    if seconds:
        Path(folder, f"napping-{pid}").write_text("zzz")
    time.sleep(seconds)
    return pid


def variable(name: str) -> str:
    """The worker's value of the environment variable ``name`` ("" when unset)."""
    return os.environ.get(name, "")
