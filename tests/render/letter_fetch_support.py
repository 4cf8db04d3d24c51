"""A local HTTP server that records every request it gets, for tests that must see none."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

LIFETIME = 120.0  # seconds: the server stops itself even if a test never returns


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = b"SERVED-BY-THE-TEST-SERVER"
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def recording_server() -> Iterator[tuple[int, list[str]]]:
    """A server on 127.0.0.1 (a free port) that answers anything and records each path;
    yields (port, paths). It shuts down on exit, or after LIFETIME seconds at the latest."""
    seen: list[str] = []
    handler = type("Recorder", (_Recorder,), {"requests": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.timeout = 1
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    stop = threading.Timer(LIFETIME, server.shutdown)
    stop.daemon = True
    stop.start()
    try:
        yield server.server_address[1], seen
    finally:
        stop.cancel()
        server.shutdown()
        server.server_close()
        thread.join(5)
