"""`dunning handbook serve` answers only requests for its own address (a DNS-rebinding page
cannot read the handbook) and a busy port is a clear message, not a traceback."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.handbook.serve import host_allowed

from .handbook_support import copy_example


@pytest.mark.parametrize(
    ("header", "allowed"),
    [
        ("127.0.0.1:8000", True),
        ("localhost:8000", True),
        ("LOCALHOST", True),
        ("[::1]:8000", True),
        ("10.1.2.3:8000", True),  # an address literal cannot be rebound to another name
        ("evil.example:8000", False),
        ("evil.example", False),
        ("127.0.0.1.nip.io:8000", False),
        ("localhost:8001", False),
        ("127.0.0.1:8000:8000", False),
        ("", False),
        ("[::1]x", False),
    ],
)
def test_host_header_names_this_server(header: str, allowed: bool) -> None:
    assert host_allowed(header, "127.0.0.1", 8000) is allowed


def test_a_named_host_is_its_own_name() -> None:
    assert host_allowed("handbook.internal:9000", "handbook.internal", 9000)
    assert not host_allowed("other.internal:9000", "handbook.internal", 9000)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, host: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", "/tiers.html", skip_host=True)
        connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@contextmanager
def _serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`dunning handbook serve` of the example in a child process (its temporary folders under
    ``tmp_path/tmp``, its log in ``tmp_path/serve.log``), once it answers; the server and its
    port. Stopped with SIGTERM after."""
    repo = copy_example(tmp_path / "repo")
    (tmp_path / "tmp").mkdir()
    port = _free_port()
    command = [
        sys.executable, "-c", "from dunning.cli import main; main()", "handbook", "serve", str(repo),
        "--out", str(tmp_path / "out"), "--as-of", "2026-11-28", "--dev-addr", f"127.0.0.1:{port}",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "TMPDIR": str(tmp_path / "tmp")}
    log = (tmp_path / "serve.log").open("wb")
    with log, subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=env) as server:
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    _get(port, f"127.0.0.1:{port}")
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError("handbook serve did not start") from None
                    time.sleep(0.5)
            yield server, port
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_serve_refuses_requests_for_another_host_name(tmp_path: Path) -> None:
    with _serving(tmp_path) as (_, port):
        assert _get(port, f"127.0.0.1:{port}")[0] == 200
        assert _get(port, f"localhost:{port}")[0] == 200
        assert _get(port, f"evil.example:{port}") == (
            421,
            b"this handbook server answers only requests for its own address\n",
        )
        assert _get(port, "evil.example")[0] == 421


def test_serve_stopped_by_sigterm_removes_its_scratch_site(tmp_path: Path) -> None:
    """`docker stop` or `systemctl stop` sends SIGTERM: the server stops as on Ctrl-C and the
    site it built into a temporary folder (a copy of the handbook) does not stay behind."""
    with _serving(tmp_path) as (server, _):
        assert [p.name.startswith("dunning-handbook-") for p in (tmp_path / "tmp").iterdir()].count(True) == 1
    assert server.returncode == 143
    assert (tmp_path / "serve.log").read_bytes().endswith(b"dunning: stopped (SIGTERM)\n")
    assert not [p for p in (tmp_path / "tmp").iterdir() if p.name.startswith("dunning-handbook-")]


def test_a_busy_port_is_a_clear_usage_error(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            main,
            ["handbook", "serve", str(repo), "--out", str(tmp_path / "out"), "--as-of", "2026-11-28",
             "--dev-addr", f"127.0.0.1:{port}"],
        )  # fmt: skip
    assert result.exit_code == 2
    assert result.output == (
        f"error: cannot serve on 127.0.0.1:{port}: the port is in use (another `handbook serve`, or another program)\n"
        "  hint: pass a free address: --dev-addr 127.0.0.1:8001\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_malformed_address_is_a_clear_usage_error(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    result = CliRunner().invoke(main, ["handbook", "serve", str(repo), "--as-of", "2026-11-28", "--dev-addr", "8000"])
    assert result.exit_code == 2
    assert result.output == (
        "error: --dev-addr '8000' is not HOST:PORT\n  hint: for example --dev-addr 127.0.0.1:8000\n"
    )
