"""``dunning handbook serve``: MkDocs' live-reload server on the generated folder, plus a
watcher that regenerates the Markdown when a policy, template or hand-written page changes.

MkDocs watches the generated ``docs/`` folder and reloads the browser when it changes; our
watcher (a polling thread, no plugin) only rewrites pages whose text changed, so one edit in
``policies/tiers.yaml`` reloads the handful of pages it affects. A policy with errors is
reported on the console and the last good handbook stays up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import click

from dunning.errors import UserError
from dunning.handbook import context_for
from dunning.handbook.writer import write_sources
from dunning.policy import load_and_compile
from dunning.report import text as text_report

WATCHED = ("policies", "templates", "site")
Snapshot = tuple[tuple[str, int, int], ...]


def snapshot(root: Path) -> Snapshot:
    """(path, mtime ns, size) of every file under the watched folders, sorted."""
    out = []
    for folder in WATCHED:
        base = root / folder
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            try:
                if path.is_file():
                    st = path.stat()
                    out.append((path.relative_to(root).as_posix(), st.st_mtime_ns, st.st_size))
            except OSError:  # removed while we looked
                continue
    return tuple(sorted(out))


def regenerate(root: Path, src: Path, as_of: date, repo_url: str | None, echo: Callable[[str], None]) -> bool:
    """Load, compile and write the Markdown again; False (and the problems echoed) on errors."""
    loaded = load_and_compile(root)
    if loaded.policy is None:
        echo(text_report.render(list(loaded.problems)))
        echo("handbook: the policy has errors; still serving the last good version")
        return False
    try:
        write_sources(context_for(loaded.policy, root, as_of, repo_url), src)
    except UserError as exc:
        echo(f"handbook: {exc}")
        return False
    return True


class PolicyWatcher(threading.Thread):
    """Polls the policy folders and regenerates on change, until :meth:`stop`."""

    def __init__(
        self,
        root: Path,
        src: Path,
        as_of: date,
        repo_url: str | None,
        interval: float = 1.0,
        echo: Callable[[str], None] = click.echo,
    ) -> None:
        super().__init__(name="dunning-handbook-watch", daemon=True)
        self.root, self.src, self.as_of, self.repo_url = root, src, as_of, repo_url
        self.interval = interval
        self.echo = echo
        self.regenerations = 0
        self._stop = threading.Event()
        self._seen = snapshot(root)

    def poll(self) -> bool:
        """Regenerate when something changed since the last poll; True when it did."""
        now = snapshot(self.root)
        if now == self._seen:
            return False
        self._seen = now
        if regenerate(self.root, self.src, self.as_of, self.repo_url, self.echo):
            self.regenerations += 1
            self.echo("handbook: policy changed, pages regenerated")
        return True

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def stop(self) -> None:
        """End the thread after its current poll."""
        self._stop.set()


def serve(root: Path, src: Path, as_of: date, dev_addr: str, repo_url: str | None = None) -> None:
    """Generate once, then serve ``src`` with live reload until interrupted."""
    from dunning.extras import require

    require("handbook")
    from mkdocs.commands.serve import serve as mkdocs_serve

    if not regenerate(root, src, as_of, repo_url, click.echo):
        raise UserError("the policy has errors; fix them first", "run `dunning validate`")
    logger = logging.getLogger("mkdocs")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    watcher = PolicyWatcher(root, src, as_of, repo_url)
    watcher.start()
    try:
        # not strict while serving: a broken link is shown as a warning, the server stays up
        mkdocs_serve(config_file=str(src / "mkdocs.yml"), livereload=True, dev_addr=dev_addr, strict=False)
    finally:
        watcher.stop()
