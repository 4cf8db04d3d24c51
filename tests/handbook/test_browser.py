"""The built handbook in headless Chromium: the tier table, a template preview in each locale,
and a working search (Material's search box). Screenshots go under the build folder."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(built_site: Path) -> Iterator[str]:
    """The built site on 127.0.0.1 (an ephemeral port), for as long as the module's tests run."""
    handler = functools.partial(_Quiet, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def page(served: str) -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        # the handbook must work offline: any request off this machine fails the test
        outside: list[str] = []
        tab.on("request", lambda r: None if r.url.startswith(served) else outside.append(r.url))
        yield tab
        browser.close()
        assert outside == [], f"the handbook fetched from outside: {outside}"


def test_tier_table(page, served: str, built_site: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{served}/tiers.html")
    table = page.locator("table", has_text="Days past due").first
    assert table.is_visible()
    rows = table.locator("tbody tr")
    assert rows.count() == 5
    assert rows.nth(3).locator("td").nth(2).inner_text() == "Serious arrears"
    assert rows.nth(3).locator("td").nth(3).inner_text() == "61–90"
    assert page.locator("figure.hb-figure svg").first.is_visible()
    shots = built_site.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "tiers.png"), full_page=True)
    assert (shots / "tiers.png").stat().st_size > 10_000


@pytest.mark.parametrize(("locale", "expected"), [("zh-CN", "【示例金融】"), ("en-US", "Example Finance:")])
def test_template_preview_in_each_locale(page, served: str, built_site: Path, locale: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{served}/gallery/sms-reminder.html")
    preview = page.locator(f'.hb-preview[data-locale="{locale}"] pre.hb-text').first
    assert preview.is_visible()
    assert preview.inner_text().startswith(expected)
    preview.scroll_into_view_if_needed()
    page.screenshot(path=str(built_site.parent / "screenshots" / f"sms-reminder-{locale}.png"))


def test_letter_preview_is_a_sandboxed_frame(page, served: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{served}/gallery/letter-notice.html")
    frame = page.locator('.hb-preview[data-locale="zh-CN"] iframe.hb-html').first
    assert frame.get_attribute("sandbox") == ""
    body = page.frame_locator('.hb-preview[data-locale="zh-CN"] iframe.hb-html >> nth=1').locator("body")
    assert "逾期" in body.inner_text()


def test_search_finds_a_tier(page, served: str, built_site: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{served}/index.html")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    # typed key by key, as a reader does: Material searches on key events
    box.press_sequentially("Serious arrears", delay=20)
    result = page.locator(".md-search-result__item", has_text="Serious arrears").first
    result.wait_for(state="visible", timeout=60_000)
    assert page.locator(".md-search-result__meta").inner_text().lower().startswith(("1", "2", "3", "4", "5", "6", "7"))
    page.screenshot(path=str(built_site.parent / "screenshots" / "search.png"))


def test_search_finds_chinese_text(page, served: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{served}/index.html")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    # Chinese arrives through an input method, not key by key: insert the text, then a key event
    page.keyboard.insert_text("外访工单")
    box.press("End")
    result = page.locator(".md-search-result__item", has_text="visit-sheet").first
    result.wait_for(state="visible", timeout=60_000)
