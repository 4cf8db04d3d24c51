"""The handbook's Results page in headless Chromium at a laptop's width: the tier table, the
charts, and nothing fetched from outside."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .results_support import write_portfolio
from .test_results_page import build

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(example_root: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    out = build(example_root, tmp_path / "out", *write_portfolio(tmp_path))
    site = out / "handbook"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", out
    finally:
        server.shutdown()
        server.server_close()


def test_results_page_in_the_browser(served: tuple[str, Path]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    url, out = served
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        tab = browser.new_page(viewport={"width": 1366, "height": 768})
        outside: list[str] = []
        tab.on("request", lambda r: None if r.url.startswith(url) else outside.append(r.url))
        tab.goto(f"{url}/results.html")
        table = tab.locator("table", has_text="Right-party contact").first
        rows = table.locator("tbody tr")
        assert rows.count() == 2
        assert [rows.nth(1).locator("td").nth(i).inner_text() for i in range(3)] == ["reminder", "15", "100.0 %"]
        charts = tab.locator("figure.hb-figure svg")
        assert charts.count() == 3  # cure rate by tier, by strategy, the weekly lines
        assert charts.first.is_visible()
        box = charts.first.bounding_box()
        assert box is not None and box["width"] <= 1366
        shot = out / "results.png"
        tab.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert outside == []
    assert shot.stat().st_size > 10_000
