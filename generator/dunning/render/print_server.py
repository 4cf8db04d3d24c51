"""Imported by the print workers' fork server only (:data:`dunning.render.printing.PRELOAD`):
builds Typst's font index there once, before the server forks its workers, so that each worker
inherits it instead of indexing the fonts again (:func:`dunning.render.typeset.prepare_for_forks`).

A module rather than a call because a fork server runs nothing but the imports it is given
(``multiprocessing``'s ``set_forkserver_preload``). Importing it anywhere else only builds a
compiler that process would have built for its first batch anyway.
"""

from __future__ import annotations

import contextlib
import signal
from types import FrameType

from dunning.errors import UserError
from dunning.render import typeset


def _terminated(signum: int, frame: FrameType | None) -> None:
    """SIGTERM to the server (a stop that signals every process of the run: systemd's, a
    CI job's): it exits as when its pool stops it, through ``SystemExit``, so that its
    ``atexit`` functions run and remove its fonts folder (SIGTERM's default would leave it in
    the temporary folder). Its workers replace this handler with their own (dunning.workers)."""
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, _terminated)
# No CJK fonts: the server would die of the error (it survives only an ImportError of its
# preloads) and its workers with it, unexplained; left to the workers, whose first batch raises
# it again, it reaches the user with its hint (dunning.workers)
with contextlib.suppress(UserError):
    typeset.prepare_for_forks()
