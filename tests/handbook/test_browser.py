"""The built handbook in headless Chromium: the tier table, a template preview in each locale,
and a working search (Material's search box). Screenshots go under the build folder."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dunning.handbook import build_handbook
from dunning.policy.model import Policy
from dunning.review.forecast import forecast_files

from .handbook_support import AS_OF, ROOT

EXAMPLES = ROOT / "examples"
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
def built_site(example_policy: Policy, example_policy_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example handbook with a 14-day forecast page, as `make demo` builds it."""
    extra = forecast_files(example_policy, EXAMPLES / "accounts.csv", AS_OF, 14, EXAMPLES / "history.csv")
    return build_handbook(
        example_policy, example_policy_root, tmp_path_factory.mktemp("demo"), AS_OF, extra_pages=extra
    )


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


def pages_with(built_site: Path, word: str) -> int:
    """How many pages hold ``word`` in their indexed text (jieba puts zero-width spaces between
    the words it segments, so they are taken out before looking)."""
    docs = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    return len({d["location"].split("#")[0] for d in docs if word in (d["title"] + d["text"]).replace("\u200b", "")})


def search(page, served: str, query: str) -> str:  # type: ignore[no-untyped-def]
    """Type ``query`` into Material's search box as an input method does; the result summary."""
    page.goto(f"{served}/index.html")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    page.keyboard.insert_text(query)
    box.press("End")
    meta = page.locator(".md-search-result__meta")
    page.wait_for_function(
        "() => /^\\d+ matching/.test(document.querySelector('.md-search-result__meta')?.innerText ?? '')",
        timeout=60_000,
    )
    return str(meta.inner_text())


@pytest.mark.parametrize("word", ["催收", "还款", "逾期"])
def test_chinese_search_finds_every_page_with_the_word(page, served: str, built_site: Path, word: str) -> None:  # type: ignore[no-untyped-def]
    # without jieba's segmentation 催收 found none of the 4 pages that hold it
    expected = pages_with(built_site, word)
    assert expected >= 4
    assert search(page, served, word) == f"{expected} matching documents"


def test_chart_labels_stay_out_of_the_search_index(built_site: Path) -> None:
    docs = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    # the SVG figures' labels ("Cadence of late", the axis numbers run together) are no text to find
    indexed = " ".join(d["text"] for d in docs)
    assert "Cadence of late" not in indexed and re.search(r"\d{6,}", indexed) is None


# the layout checks run at a common laptop width
LAPTOP = {"width": 1366, "height": 768}
BROKEN_CODE = """() => [...document.querySelectorAll('article table code')]
    .filter(c => c.getClientRects().length > 1).map(c => c.textContent)"""


@pytest.mark.parametrize("name", ["tiers", "strategies", "timetables", "compliance", "offers-and-exclusions", "index"])
def test_wide_tables_keep_ids_and_zones_whole(page, served: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(LAPTOP)
    page.goto(f"{served}/{name}.html")
    # an id, a code or a time zone on two lines has two client rectangles
    assert page.evaluate(BROKEN_CODE) == []
    assert page.locator("article table code").count() > 0


def test_compliance_page_speaks_words_not_regex(page, served: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(LAPTOP)
    page.goto(f"{served}/compliance.html")
    article = page.locator("article").inner_text()
    assert "(?i)" not in article and "\\b" not in article and "`" not in article
    assert "“opt out” (or “opt-out”, “optout”) in any case" in article
    # the packs' `names` are code, not backticks
    assert page.locator("article p code", has_text="compliance.opt_out").count() >= 1


def test_forecast_chart_marks_days_and_reads_at_laptop_width(page, served: str, built_site: Path) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(LAPTOP)
    page.goto(f"{served}/forecast.html")
    chart = page.locator('article img[alt="Contacts made per day"]')
    chart.wait_for(state="visible")
    assert page.evaluate("() => document.querySelector('article img').naturalWidth") > 0
    width = chart.bounding_box()["width"]
    svg = (built_site / "forecast" / "load.svg").read_text(encoding="utf-8")
    # ticks name the weekday; weekends and holidays have bands in the legend
    assert ">Sat 11-28</text>" in svg and ">weekend</text>" in svg
    sizes = {float(px) for px in re.findall(r"font-size: ([\d.]+)px", svg)}
    # the SVG is 720 units wide: its smallest text, as drawn on the page, is 10 px or more
    assert min(sizes) * width / 720 >= 10, (sizes, width)
    assert "Grey bands are weekends, red bands public holidays" in page.locator("article").inner_text()
    shots = built_site.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "forecast-1366.png"), full_page=True)
    page.goto(f"{served}/compliance.html")
    page.screenshot(path=str(shots / "compliance-1366.png"))
