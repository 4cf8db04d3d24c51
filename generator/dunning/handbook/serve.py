"""``dunning handbook serve``: MkDocs' live-reload server on the generated folder, plus a
watcher that regenerates the Markdown when a policy, template or hand-written page changes.

MkDocs watches the generated ``docs/`` folder and reloads the browser when it changes; our
watcher (a polling thread, no plugin) only rewrites pages whose text changed, so one edit in
``policies/tiers.yaml`` reloads the handful of pages it affects. A policy with errors is
reported on the console and the last good handbook stays up.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


def _split_addr(dev_addr: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` for IPv6) → (host, port), or a clear :class:`UserError`."""
    host, sep, port = dev_addr.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"--dev-addr {dev_addr!r} is not HOST:PORT", "for example --dev-addr 127.0.0.1:8000")
    return host, int(port)


def host_allowed(header: str, host: str, port: int) -> bool:
    """True when a request's ``Host`` header names this server: its own host name or an IP
    address, at its own port. A DNS-rebinding page reaches the server under the attacker's
    host name, which is refused, so it cannot read the handbook (which shows the policy)."""
    value = header.strip()
    if value.startswith("["):  # [v6]:port
        name, _, rest = value[1:].partition("]")
        given_port = rest[1:] if rest.startswith(":") else rest
    elif value.count(":") == 1:
        name, _, given_port = value.partition(":")
    else:
        name, given_port = value, ""
    if given_port and given_port != str(port):
        return False
    name = name.lower()
    if not name:
        return False
    if name in ("localhost", host.lower()):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _port_free(host: str, port: int) -> None:
    """Raise a clear :class:`UserError` when ``host:port`` cannot be listened on (in use, or
    an address of another machine), before anything is generated."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself does
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise _bind_error(host, port, exc) from None


def _bind_error(host: str, port: int, exc: OSError) -> UserError:
    if exc.errno == errno.EADDRINUSE:
        why = "the port is in use (another `handbook serve`, or another program)"
    else:
        why = exc.strerror or str(exc)
    return UserError(f"cannot serve on {host}:{port}: {why}", "pass a free address: --dev-addr 127.0.0.1:8001")


def check_address(dev_addr: str) -> tuple[str, int]:
    """(host, port) of ``--dev-addr`` once it is known to be free to listen on; a clear
    :class:`UserError` otherwise (malformed, in use, not this machine's)."""
    host, port = _split_addr(dev_addr)
    _port_free(host, port)
    return host, port


def serve(root: Path, src: Path, as_of: date, dev_addr: str, repo_url: str | None = None) -> None:
    """Generate once, then serve ``src`` with live reload until interrupted."""
    from dunning.extras import require

    require("handbook")
    host, port = check_address(dev_addr)
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
        _serve_site(src / "mkdocs.yml", host, port)
    finally:
        watcher.stop()


def _serve_site(config_file: Path, host: str, port: int) -> None:
    """MkDocs' ``serve`` (build into a scratch folder, watch, live reload), with a server that
    answers only requests for its own address. Kept here rather than patched into MkDocs:
    its ``serve`` command builds the server itself and offers no hook for the check."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.livereload import LiveReloadServer, _serve_url

    class HostCheckedServer(LiveReloadServer):
        def serve_request(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            if not host_allowed(str(environ.get("HTTP_HOST", "")), host, port):
                start_response("421 Misdirected Request", [("Content-Type", "text/plain; charset=utf-8")])
                return [b"this handbook server answers only requests for its own address\n"]
            return super().serve_request(environ, start_response)

    site_dir = tempfile.mkdtemp(prefix="dunning-handbook-")

    def get_config() -> Any:
        # not strict while serving: a broken link is shown as a warning, the server stays up
        return load_config(config_file=str(config_file), site_dir=site_dir, dev_addr=f"{host}:{port}", strict=False)

    config = get_config()
    config.plugins.on_startup(command="serve", dirty=False)
    mount_path = urlsplit(config.site_url or "/").path
    config.site_url = serve_url = _serve_url(host, port, mount_path)

    def builder(changed: Any = None) -> None:
        current = changed
        if current is None:
            current = get_config()
            current.site_url = serve_url
        build(current, serve_url=serve_url, dirty=False)

    server = HostCheckedServer(builder=builder, host=host, port=port, root=site_dir, mount_path=mount_path)

    def error_page(code: int) -> bytes | None:
        page = Path(site_dir) / f"{code}.html"
        return page.read_bytes() if code in (404, 500) and page.is_file() else None

    server.error_handler = error_page
    try:
        builder(config)
        server.watch(config.docs_dir)
        server.watch(str(config_file))
        server = config.plugins.on_serve(server, config=config, builder=builder)
        try:
            server.serve()
        except KeyboardInterrupt:
            logging.getLogger("mkdocs").info("Shutting down...")
        except OSError as exc:  # the port was taken between the check and the bind
            raise _bind_error(host, port, exc) from None
        finally:
            server.shutdown()
    finally:
        config.plugins.on_shutdown()
        shutil.rmtree(site_dir, ignore_errors=True)
