"""For tests that start dunning (or a script using it) in a child process and signal it."""

from __future__ import annotations

import signal


def ctrl_c_on() -> None:
    """``preexec_fn``: SIGINT back to its default in the child before it starts. A test run
    started with SIGINT ignored (a background job of a non-interactive shell, some CI
    runners) passes that on, and Python then leaves Ctrl-C ignored: a test that sends it
    would see the run go on."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
