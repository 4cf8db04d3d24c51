"""Letters: print batches whose index matches the PDF page for page, archive copies, CJK
glyphs embedded and text in reading order (pdftotext), address blocks by country, the
Typst path's escaping and no fetch of any URL."""

from __future__ import annotations

import csv
import http.server
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
from datetime import date
from html import escape
from multiprocessing import get_context
from pathlib import Path
from typing import Any, ClassVar

import pikepdf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning.errors import UserError
from dunning.render import archive, markup, printing, typeset
from dunning.render.address import address_block
from dunning.render.markup import body_markup, letter_markup
from dunning.render.run import render_plans
from dunning.workers import Workers, without_main

from . import print_support

GOLDEN_TEXT = Path(__file__).parent / "golden_pdf_text"
UPDATE = os.environ.get("DUNNING_UPDATE_GOLDEN") == "1"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
CN_BATCH = "batch-2026-11-30-CN-A4-registered-001"
US_BATCH = "batch-2026-11-30-US-letter-first_class-001"


def _run(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


def _text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    pages = ["-f", str(first), "-l", str(last)] if first else []
    return _run("pdftotext", "-layout", *pages, str(pdf), "-")


def _index(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    ("country", "name", "address", "postal_code", "block"),
    [
        # the ZIP ends the city line once, never again on a line of its own
        ("US", "Alex Sample", "10 Example Ave, Springfield, IL 62701", "62701",
         ["Alex Sample", "10 Example Ave", "Springfield, IL 62701"]),
        ("US", "Pat Doe", "1 Main St, Apt 2, Boston, MA", "02108",
         ["Pat Doe", "1 Main St", "Apt 2", "Boston, MA 02108"]),
        ("CA", "Lee Roy", "5 King St W, Toronto, ON M5H 1A1", "M5H 1A1",
         ["Lee Roy", "5 King St W", "Toronto, ON M5H 1A1"]),
        # largest to smallest: postal code, address, name
        ("CN", "李明", "上海市浦东新区示例路10号", "200120", ["200120", "上海市浦东新区示例路10号", "李明"]),
        ("GB", "Sam Jones", "1 High Street, Leeds", "LS1 4AP", ["Sam Jones", "1 High Street", "Leeds", "LS1 4AP"]),
        # account text is cleaned: no control or bidi characters reach the envelope
        ("GB", "Eve\u202e", "2 Low Road,\tYork", "YO1 7HH", ["Eve", "2 Low Road", "York", "YO1 7HH"]),
    ],
)  # fmt: skip
def test_address_block_by_country(country: str, name: str, address: str, postal_code: str, block: list[str]) -> None:
    assert address_block(country, name, address, postal_code) == block


@needs_poppler
def test_print_batches_match_their_index_page_for_page(plan_dir: Path, example_root: Path) -> None:
    render_plans(plan_dir, example_root, workers=1, pdf=True)
    letters = plan_dir / "messages" / "letters"
    assert sorted(p.name for p in letters.iterdir()) == [
        "archive", f"{CN_BATCH}.csv", f"{CN_BATCH}.pdf", f"{US_BATCH}.csv", f"{US_BATCH}.pdf",
    ]  # fmt: skip
    for batch in (CN_BATCH, US_BATCH):
        rows = _index(letters / f"{batch}.csv")
        info = _run("pdfinfo", str(letters / f"{batch}.pdf"))
        assert f"Pages:           {rows[-1]['last_page']}" in info
        assert "CreationDate:    Mon Nov 30 00:00:00 2026 UTC" in info  # the posting date, not the clock
        expected_first = 1
        for row in rows:
            assert int(row["first_page"]) == expected_first
            expected_first = int(row["last_page"]) + 1
            pages = _text(letters / f"{batch}.pdf", int(row["first_page"]), int(row["last_page"]))
            # the pages of this row are this letter: its reference, its address block, and
            # the same text as its archive copy
            assert row["reference"] in pages
            for line in row["address_block"].splitlines():
                assert line in pages
            archive = plan_dir / row["archive"]
            assert archive.suffix == ".pdf"
            assert _text(archive).replace("\f", "") == pages.replace("\f", "")
            # a PDF of its own: titled with the reference, dated with the posting date, its pages
            info = _run("pdfinfo", str(archive))
            assert f"Title:           {row['reference']}\n" in info
            assert "CreationDate:    Mon Nov 30 00:00:00 2026 UTC" in info
            assert f"Pages:           {int(row['last_page']) - int(row['first_page']) + 1}\n" in info
        # the batch's bookmarks: one per letter, titled with its reference, on its first page
        with pikepdf.open(letters / f"{batch}.pdf") as pdf, pdf.open_outline() as outline:
            first_pages: dict[Any, int] = {page.objgen: n + 1 for n, page in enumerate(pdf.pages)}
            destinations: list[Any] = [item.destination for item in outline.root]
            marks = [
                (item.title, first_pages[to[0].objgen]) for item, to in zip(outline.root, destinations, strict=True)
            ]
        assert marks == [(row["reference"], int(row["first_page"])) for row in rows]
    us = _index(letters / f"{US_BATCH}.csv")
    # postal presort inside a batch (12207 before 62701); US Letter, First-Class
    assert [(r["sequence"], r["account_id"], r["postage"], r["paper"]) for r in us] == [
        ("1", "LN-US-0003", "first_class", "letter"),
        ("2", "LN-US-0002", "first_class", "letter"),
    ]
    assert "612 x 792 pts (letter)" in _run("pdfinfo", str(letters / f"{US_BATCH}.pdf"))
    cn = _index(letters / f"{CN_BATCH}.csv")
    assert [(r["account_id"], r["postage"], r["paper"], r["address_block"]) for r in cn] == [
        ("LN-CN-0001", "registered", "A4", "200120\n上海市浦东新区示例路10号\n李明"),  # a notice: registered
    ]
    assert "(A4)" in _run("pdfinfo", str(letters / f"{CN_BATCH}.pdf"))


@needs_poppler
def test_cjk_glyphs_are_embedded_and_the_text_reads_in_order(plan_dir: Path, example_root: Path) -> None:
    render_plans(plan_dir, example_root, workers=1, pdf=True)
    pdf = plan_dir / "messages" / "letters" / f"{CN_BATCH}.pdf"
    fonts = _run("pdffonts", str(pdf)).splitlines()[2:]
    cjk = [line for line in fonts if "NotoSerifCJK" in line]
    assert cjk and all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in cjk)  # embedded, subset, unicode
    text = _run("pdftotext", str(pdf), "-")
    in_order = ["示例消费金融有限公司", "200120", "李明", "日期: 2026年11月30日", "逾期还款通知", "尊敬的李明：",
                "¥1,234.50", "此致"]  # fmt: skip
    positions = [text.find(part) for part in in_order]
    assert -1 not in positions, dict(zip(in_order, positions, strict=True))
    assert positions == sorted(positions)


@needs_poppler
def test_printed_text_golden_per_locale(plan_dir: Path, example_root: Path) -> None:
    """What each letter prints, as pdftotext reads it (regenerate with DUNNING_UPDATE_GOLDEN=1)."""
    render_plans(plan_dir, example_root, workers=1, pdf=True)
    archive = plan_dir / "messages" / "letters" / "archive"
    produced = {p.stem + ".txt": _text(p) for p in sorted(archive.glob("*.pdf"))}
    assert sorted(produced) == [
        "LN-CN-0001-early-letter21-20261130.txt",
        "LN-US-0002-mid-letter45-20261130.txt",
        "LN-US-0003-recovery-letter91-20261130.txt",
    ]
    if UPDATE:
        shutil.rmtree(GOLDEN_TEXT, ignore_errors=True)
        GOLDEN_TEXT.mkdir()
        for name, text in produced.items():
            (GOLDEN_TEXT / name).write_text(text, encoding="utf-8")
    for name, text in produced.items():
        assert text == (GOLDEN_TEXT / name).read_text(encoding="utf-8"), name


def test_template_text_is_never_typst_markup() -> None:
    # what a template (or an account's name) may contain that Typst would otherwise run
    hostile = '#read("/etc/passwd") #import "@preview/x:0.1.0": * ] [ \\" $x$ *b* _i_ <l> @ref = h // c'
    markup = body_markup(f"<p>{escape(hostile)}</p><p><img src='x.png'>after</p>")
    assert markup == f"#block[{typeset.literal(hostile)}]#block[{typeset.literal('after')}]"
    letter = letter_markup(locale="en-US", sender=["S"], recipient=[hostile], meta=["m"], subject=hostile,
                                   body_html=f"<p>{escape(hostile)}</p>", disclosure="")  # fmt: skip
    # the reference is typeset too (the batch's bookmark): hostile text there is a literal as well
    data = typeset.batch_pdf("batch", "A4", __import__("datetime").date(2026, 11, 30), [(hostile, letter)])
    assert typeset.page_count(data) == 1
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
        assert text.count('#read("/etc/passwd")') == 3  # printed as text, three times, never run


# pieces of letter bodies: the plain HTML templates write, and what only HTMLParser reads
_HTML_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<br>", "<br/>", "<br />", "<strong>", "</strong>", "<b>", "</b>", "<em>", "</em>",
        '<p class="disclosure">', '<p class="small" id="x">', '<p class="">', '<table class="plan">', "</table>",
        "<tr>", "</tr>", "<td>", "</td>", "<th>", "</th>", "<ul>", "<li>", "</li>", "</ul>", "<h1>", "</h1>",
        "<div>", "</div>", "<span>", "</span>", "<img src=\"x.png\">", "<hr>",
        "<colgroup>", "</colgroup>", '<col style="width: 15mm">', '<col style="width: 40%">', '<col span="2">',
        "<P>", "</P >", "<p class=plan>", "<p class='x'>", '<p class="a&amp;b">', "<!-- c -->", "<!DOCTYPE html>",
        "<script>x<p>y</script>", "<style>p{}</style>", "<title>t</title>", "< p>", "<", ">", "</>", "<p/ >",
        "&amp;", "&lt;", "&gt;", "&#39;", "&#34;", "&amp", "&", "&;", "&#x41;", "&notit;", "&unknown;",
        "text", " ", "  ", "\n", "\t", "\r", "你好，", "¥1,234.50", '"', "\\", "#x", "\x00", "\u2028",
    ]
)  # fmt: skip


@given(st.lists(_HTML_PIECES, max_size=24))
def test_a_plain_body_reads_as_htmlparser_reads_it(pieces: list[str]) -> None:
    html = "".join(pieces)
    assert body_markup(html) == markup.parsed_markup(html)


_TAGS = st.sampled_from(
    [
        "<p>", "</p>", "<br>", "<br/>", "<strong>", "</strong>", '<p class="disclosure">', '<table class="plan">',
        "</table>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "</th>", "<li>", "</li>", "<title>", "</title>",
        "<head>", "</head>", "<h2>", "</h2>", "<span>", "</span>", "<P>", "<!-- c -->",
        "<colgroup>", "</colgroup>", '<col style="width: 15mm">', '<col style="width:2.5cm;">',
    ]
)  # fmt: skip
_TEXTS = st.sampled_from(["", "text", " ", "  a  b ", "\n", " x", "y ", "&amp; &lt;", "你好，", "¥1,234.50", '"\\'])


@given(st.lists(_TAGS, max_size=16), st.data())
def test_letters_of_one_body_skeleton_differ_only_where_their_texts_go(tags: list[str], data: st.DataObject) -> None:
    # two bodies with the same tags, and text in the same gaps between them, share a skeleton
    # (translated once); each reads as HTMLParser reads it
    first = data.draw(st.lists(_TEXTS, min_size=len(tags) + 1, max_size=len(tags) + 1))
    second = [data.draw(_TEXTS.filter(bool)) if text else "" for text in first]
    for texts in (first, second):
        html = "".join(text + tag for text, tag in zip(texts, [*tags, ""], strict=True))
        assert body_markup(html) == markup.parsed_markup(html)


def test_the_bundled_letter_bodies_are_read_without_htmlparser(
    example_letter_bodies: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies = example_letter_bodies
    assert len(bodies) == 48
    read: list[str] = []

    def parsed(html: str) -> str:
        read.append(html)
        return ""

    monkeypatch.setattr(markup, "parsed_markup", parsed)
    plain = [body_markup(body) for body in bodies]
    assert read == []  # HTMLParser read none of them
    monkeypatch.undo()
    assert plain == [markup.parsed_markup(body) for body in bodies]


_CELLS = "<tr><th>#</th><th>Due</th></tr><tr><td>1</td><td>December 8, 2026</td></tr></table>"
_CELL_MARKUP = '[#strong[#"#";]], [#strong[#"Due";]], [#"1";], [#"December 8, 2026";])'
_CELL_TEXTS = ('#strong[#"#";]', '#strong[#"Due";]'), ('#"1";', '#"December 8, 2026";')


@pytest.mark.parametrize(
    ("cols", "widths"),
    [
        ('<col style="width: 15mm"><col style="width: 40mm">', ("15mm", "40mm")),
        ('<colgroup><col style="width: 1.5cm"><col style="width:40%;"></colgroup>', ("1.5cm", "40%")),
        ('<col style="width: 1in"><col style="width: 100pt">', ("1in", "100pt")),
        ('<col style="width: 15mm">', None),  # one column of two declared: both sized to their content
        ('<col style="width: 15mm"><col style="width: 40mm"><col style="width: 9mm">', None),  # three for two
        ('<col style="width: 15px"><col style="width: 40mm">', None),  # not a unit of print
        ('<col style="width: 15mm; color: red"><col style="width: 40mm">', None),  # more than a width
        ('<col span="2" style="width: 15mm">', None),
        ('<col style="width: 15mm"><col width="40mm">', None),
        ('<col style="width: 1mm), #read(&quot;/etc/passwd&quot;"><col style="width: 40mm">', None),
        ('<col style="width: 100mm"><col style="width: 71mm">', None),  # wider than A4's text (170 mm)
        ('<col style="width: 100mm"><col style="width: 70mm">', ("100mm", "70mm")),
        ('<col style="width: 60%"><col style="width: 41%">', None),
        ('<col style="width: 50%"><col style="width: 85mm">', ("50%", "85mm")),
    ],
)
def test_a_table_with_the_widths_its_cols_declare_is_lines_of_boxes_else_an_auto_table(
    cols: str, widths: tuple[str, str] | None
) -> None:
    # declared widths: a row a line of one paragraph, a cell a box of its column's width (no
    # Typst table, which lays every cell out twice and strokes it); anything but a plain width
    # for every column, fitting the page, leaves a table with auto columns, never markup
    html = f'<table class="plan">{cols}{_CELLS}'
    if widths is None:
        expected = f"#table(columns: 2, inset: (x: 3mm, y: 1mm), stroke: 0.5pt + gray, {_CELL_MARKUP}"
    else:
        lines = [
            "#[" + "".join(f"#box(width: {width})[{text}]" for width, text in zip(widths, row, strict=True)) + "]"
            for row in _CELL_TEXTS
        ]
        expected = f"#rows[{'#linebreak()'.join(lines)}]"
    assert body_markup(html) == expected
    assert markup.parsed_markup(html) == expected


def test_a_short_row_is_filled_with_empty_cells() -> None:
    # (the itemization's "Between … and today:", a cell of colspan 2: the span is not read)
    html = (
        '<table><col style="width: 100mm"><col style="width: 62mm">'
        '<tr><td>As of</td><td>$1</td></tr><tr><td colspan="2">Between</td></tr></table>'
    )
    assert body_markup(html) == (
        '#rows[#[#box(width: 100mm)[#"As of";]#box(width: 62mm)[#"$1";]]#linebreak()'
        '#[#box(width: 100mm)[#"Between";]#box(width: 62mm)[]]]'
    )


def test_every_bundled_letter_table_has_fixed_columns(example_letter_bodies: tuple[str, ...]) -> None:
    bodies = [body_markup(body) for body in example_letter_bodies]
    assert not any("#table(" in body for body in bodies)
    rows = {tuple(re.findall(r"#box\(width: ([0-9a-z.%]+)\)", line)) for body in bodies for line in body.split("#[")}
    # the itemization's, the payment plan's (and the text before a table's first row)
    assert rows == {(), ("100mm", "62mm"), ("15mm", "40mm", "62mm")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('say "hi" \\ bye', '#"say \\"hi\\" \\\\ bye";'),
        ("a\tb\nc\rd\x00e\x1ff\x7fg\u2028h", '#"a\tb c d e f\x7fg\u2028h";'),  # controls below U+0020 but tab
        ("", '#"";'),
        ("[a] ]\n[", '#"\\u{5b}a\\u{5d} \\u{5d} \\u{5b}";'),  # brackets as escapes: markup's are the only ones
    ],
)
def test_a_literal_escapes_backslash_and_quote_and_blanks_control_characters(text: str, expected: str) -> None:
    assert typeset.literal(text) == expected


def test_a_batch_names_the_content_its_letters_share_and_defines_it_once() -> None:
    # what occurs in two letters (or twice in one) is defined once and named; a cell's heading
    # is shared as a whole in the next round; what occurs once stays where it is
    hi, bye, due, one = (typeset.literal(text) for text in ("Hi [you]", "Bye", "Due", "1"))
    markups = [
        f"#block[{hi}]#table(columns: 2, [#strong[{due}]], [{one}])#small[{bye}]",
        f"#block[{typeset.literal('Dear Ann')}]#table(columns: 2, [#strong[{due}]], [{due}])#small[{bye}]",
        f"#block[{hi}]#block[{hi}]",
    ]
    definitions, named = typeset.shared(markups)
    assert definitions == f"#let u0 = [{hi}]\n#let u1 = [{due}]\n#let u2 = [{bye}]\n#let u3 = [#strong[#u1]]\n"
    assert named == [
        f"#block[#u0]#table(columns: 2, [#u3], [{one}])#small[#u2]",
        f"#block[{typeset.literal('Dear Ann')}]#table(columns: 2, [#u3], [#u1])#small[#u2]",
        "#block[#u0]#block[#u0]",
    ]
    assert typeset.shared(markups[:1]) == ("", markups[:1])


def _shared_reference(markups: list[str]) -> tuple[str, list[str]]:
    """typeset.shared as it was until 2026-12-07: every markup counted and written anew in every
    round (a callback for every unit), the plain statement of what it gives."""
    definitions: list[str] = []
    names: dict[str, str] = {}
    repeated: set[str] = set()

    def name(unit: re.Match[str]) -> str:
        content = unit[1]
        if content not in repeated:
            return unit[0]
        named = names.get(content)
        if named is None:
            named = names[content] = f"u{len(names)}"
            definitions.append(f"#let {named} = [{content}]\n")
        return f"[#{named}]"

    while True:
        counts: dict[str, int] = {}
        for each in markups:
            for content in typeset._UNITS.findall(each):
                counts[content] = counts.get(content, 0) + 1
        repeated.clear()
        repeated.update(content for content, count in counts.items() if count > 1)
        if not repeated:
            return "".join(definitions), markups
        markups = [typeset._UNITS.sub(name, each) for each in markups]


# markup as dunning writes it: blocks (with a function before them or not) nested a few deep
# around literals from a small alphabet, so that units repeat within and across letters
_UNIT_TREES = st.recursive(
    st.sampled_from(["a", "b", "#strong", ", "]).map(typeset.literal),
    lambda inner: st.tuples(st.sampled_from(["", "#block", "#strong", "#small"]), st.lists(inner, max_size=3)).map(
        lambda made: f"{made[0]}[{''.join(made[1])}]"
    ),
    max_leaves=12,
)


@given(st.lists(st.lists(_UNIT_TREES, max_size=5).map("".join), max_size=6))
def test_a_batch_names_shared_content_as_a_reading_of_every_markup_in_every_round_would(markups: list[str]) -> None:
    # shared() reads again only the markups the round before changed: the same definitions, in
    # the same order, and the same markups
    assert typeset.shared(markups) == _shared_reference(markups)


def test_a_batch_is_the_same_pdf_with_its_shared_content_named_or_written_in_each_letter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # naming shared content only spares Typst laying it out again: the same bytes
    def letter(n: int, locale: str) -> str:
        body = (
            f"<p>Dear {['Ann', 'Bo'][n % 2]},</p><p>You owe ${n}.50 [{n}].</p>"
            '<table><col style="width: 15mm"><col style="width: 40mm">'
            f"<tr><th>#</th><th>Due</th></tr><tr><td>1</td><td>${n}.25</td></tr></table>"
            "<p>Sincerely,<br>Example</p>"
        )
        return letter_markup(locale=locale, sender=["S", "Street 1"], recipient=[f"R {n}"], meta=["m"],
                             subject=f"Notice {n % 3}", body_html=body, disclosure="A debt collector.")  # fmt: skip

    letters = [(f"A-{n}", letter(n, "zh-CN" if n % 3 == 0 else "en-US")) for n in range(8)]
    # 15: the table's heading row is shared as a whole, as its cells are
    assert typeset.shared([markup for _, markup in letters])[0].count("#let ") == 15
    shared = typeset.batch_pdf("batch", "A4", date(2026, 11, 30), letters)
    monkeypatch.setattr(typeset, "shared", lambda markups: ("", markups))
    assert typeset.batch_pdf("batch", "A4", date(2026, 11, 30), letters) == shared


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def test_letters_fetch_no_url(plan_dir: Path, example_copy: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        template = example_copy / "templates" / "letter" / "letter-plan.en-US.j2"
        source = template.read_text(encoding="utf-8")
        template.write_text(
            source.replace(
                "{% block body %}",
                f'{{% block body %}}<img src="{url}/img.png"><link rel="stylesheet" href="{url}/s.css">'
                f'<style>@import url("{url}/i.css"); p {{ background: url("{url}/bg.png") }}</style>'
                f'<p style="background: url({url}/inline.png)"><a href="{url}/a">link</a></p>',
            ),
            encoding="utf-8",
        )
        result = render_plans(plan_dir, example_copy, workers=1, pdf=True)
        assert result.rendered["letter"] == 3
    finally:
        server.shutdown()
        server.server_close()
    assert _Recorder.hits == []


def test_a_template_states_its_postage_class_and_batches_follow_it(plan_dir: Path, example_copy: Path) -> None:
    registry = example_copy / "policies" / "templates.yaml"
    source = registry.read_text(encoding="utf-8")
    stated = "letter-plan: {channel: letter, postage: standard,"
    registry.write_text(source.replace("letter-plan: {channel: letter,", stated), encoding="utf-8")
    render_plans(plan_dir, example_copy, workers=1, pdf=False)
    letters = plan_dir / "messages" / "letters"
    # the US letters now go in two batches: the plan offer as stated, the other by its purpose
    assert sorted(p.name for p in letters.glob("*.csv")) == [
        f"{CN_BATCH}.csv", f"{US_BATCH}.csv", "batch-2026-11-30-US-letter-standard-001.csv",
    ]  # fmt: skip
    standard = _index(letters / "batch-2026-11-30-US-letter-standard-001.csv")
    first_class = _index(letters / f"{US_BATCH}.csv")
    assert [(r["account_id"], r["template"], r["postage"]) for r in standard] == [
        ("LN-US-0002", "letter-plan", "standard")
    ]
    assert [(r["account_id"], r["template"], r["postage"]) for r in first_class] == [
        ("LN-US-0003", "letter-pre-legal", "first_class")
    ]


@needs_poppler
def test_archive_copies_are_cut_at_the_bookmarks_and_a_mismatch_is_a_bug() -> None:
    def markup(paragraphs: int) -> str:
        body = "".join("<p>x</p>" for _ in range(paragraphs))  # ≈ 30 short paragraphs fill a page
        return letter_markup(locale="en-US", sender=["S"], recipient=["R"], meta=["m"], subject="s",
                                     body_html=body, disclosure="")  # fmt: skip

    # references as account text may make them: white space that Typst may fold in a title
    references = ["A  1\t", "B-2"]
    data = typeset.batch_pdf(
        "batch", "A4", date(2026, 11, 30), [(references[0], markup(40)), (references[1], markup(5))]
    )
    copies = list(archive.cut_letters(data, references))
    assert [pages for _, pages in copies] == [2, 1]
    assert sum(pages for _, pages in copies) == typeset.page_count(data)
    # the two-page letter numbers its pages, the one-page letter beside it prints no number
    texts = [subprocess.run(["pdftotext", "-layout", "-", "-"], input=copy, capture_output=True, check=True).stdout
             for copy, _ in copies]  # fmt: skip
    footers = [[page.split()[-1] for page in text.decode().split("\f") if page.strip()] for text in texts]
    assert footers == [["1/2", "2/2"], ["x"]]
    assert [typeset.page_count(copy) for copy, _ in copies] == [2, 1]
    with pytest.raises(UserError) as caught:
        list(archive.cut_letters(data, [*references, "C-3"]))
    assert (caught.value.message, caught.value.hint) == (
        "a print batch's bookmarks do not match its letters",
        "report this as a dunning bug",
    )


def test_the_cut_reads_plain_objects_and_dictionaries_as_its_token_loop_reads_them() -> None:
    # the fast paths (flat dictionaries, bookmark titles without parentheses) against the token
    # loop on every object of a batch whose titles need it too: parentheses, a backslash, CJK
    references = ["A-1", "B (2)", "C\\3", "D)(", "编号-5", "F 0 R", "G-7"]
    letters = [
        (reference, letter_markup(locale="zh-CN" if n % 2 else "en-US", sender=["S"], recipient=["R"], meta=["m"],
                                  subject=reference, body_html="<p>x</p>" * (3 + 30 * (n == 1)), disclosure=""))
        for n, reference in enumerate(references)
    ]  # fmt: skip
    data = typeset.batch_pdf("batch (1)", "A4", date(2026, 11, 30), letters)
    reader = archive._Reader(data)
    dictionaries = fast = 0
    for number, offset in reader.offsets.items():
        opening = archive._OBJECT.match(data, offset)
        assert opening is not None
        body = data[opening.end() : reader.extent[number]].rstrip()[: -len(b"endobj")].strip()
        item, reference = archive._parse(body), archive._parse_tokens(body)
        assert (item.head, item.refs) == (reference.head, reference.refs)
        head = body[: item.head].strip()
        if head.startswith(b"<<") and head.endswith(b">>"):
            entries = archive._Reader._dictionary(item)
            assert entries == archive._Reader._dictionary_tokens(head)
            dictionaries += 1
            fast += b"(" not in head
    assert dictionaries > 50 and fast > 40
    copies = list(archive.cut_letters(data, references))
    assert [pages for _, pages in copies] == [1, 2, 1, 1, 1, 1, 1]


def test_an_archive_copy_is_its_pages_objects_byte_for_byte_with_its_reference_as_title() -> None:
    def markup(paragraphs: int, text: str) -> str:
        body = "".join(f"<p>{escape(text)}</p>" for _ in range(paragraphs))
        return letter_markup(locale="zh-CN", sender=["S"], recipient=["R"], meta=["m"], subject="s",
                                     body_html=body, disclosure="")  # fmt: skip

    # a reference that reads like a PDF reference and holds PDF string syntax, and a CJK one
    references = ["A 1 0 R (x) \\", "账户-2"]
    data = typeset.batch_pdf(
        "batch", "A4", date(2026, 11, 30), [(references[0], markup(40, "逾期 1 0 R")), (references[1], markup(2, "y"))]
    )
    copies = list(archive.cut_letters(data, references))
    assert [pages for _, pages in copies] == [2, 1]
    with pikepdf.open(io.BytesIO(data)) as batch:
        contents = [page.Contents.read_raw_bytes() for page in batch.pages]
    for n, (copy, _) in enumerate(copies):
        with pikepdf.open(io.BytesIO(copy)) as pdf:
            assert pdf.check_pdf_syntax() == []
            assert str(pdf.docinfo["/Title"]) == references[n]
            assert str(pdf.docinfo["/CreationDate"]) == "D:20261130000000Z"
            assert [page.Contents.read_raw_bytes() for page in pdf.pages] == contents[n * 2 : n * 2 + 2 - n]
    # the same batch gives the same copies, byte for byte
    assert [copy for copy, _ in archive.cut_letters(data, references)] == [copy for copy, _ in copies]


def test_a_batch_pdf_in_another_shape_is_reported_as_a_bug_not_cut() -> None:
    markup = letter_markup(locale="en-US", sender=["S"], recipient=["R"], meta=["m"], subject="s",
                                   body_html="<p>x</p>", disclosure="")  # fmt: skip
    data = typeset.batch_pdf("batch", "A4", date(2026, 11, 30), [("A-1", markup)])
    with pikepdf.open(io.BytesIO(data)) as pdf:
        buffer = io.BytesIO()
        pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate)  # a cross-reference stream
    with pytest.raises(UserError) as caught:
        list(archive.cut_letters(buffer.getvalue(), ["A-1"]))
    assert (caught.value.message, caught.value.hint) == (
        "a print batch's PDF is not in the shape the archive cut reads",
        "report this as a dunning bug",
    )


@needs_poppler
@pytest.mark.parametrize("paragraph", ["x", "a longer paragraph of text " * 4])
def test_page_numbers_print_on_letters_of_more_than_one_page_whichever_way_the_batch_was_typeset(
    paragraph: str,
) -> None:
    # short paragraphs: markup under typeset.LONG_LETTER (typeset without footers, then again);
    # long ones: over it (typeset once with footers)
    def letter(paragraphs: int) -> str:
        body = "".join(f"<p>{paragraph}</p>" for _ in range(paragraphs))
        return letter_markup(locale="en-US", sender=["S"], recipient=["R"], meta=["m"], subject="s",
                             body_html=body, disclosure="")  # fmt: skip

    letters = [("A-1", letter(1)), ("B-2", letter(45)), ("C-3", letter(2))]
    assert (max(len(markup) for _, markup in letters) > typeset.LONG_LETTER) == (paragraph != "x")
    data = typeset.batch_pdf("batch", "A4", date(2026, 11, 30), letters)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout
    last_words = [page.split()[-1] for page in text.decode().split("\f") if page.strip()]
    assert last_words == [paragraph.split()[-1], "1/2", "2/2", paragraph.split()[-1]]


def test_print_workers_do_not_run_the_main_script_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker, script = tmp_path / "ran", tmp_path / "main_script.py"
    script.write_text(f"open({str(marker)!r}, 'a').write('ran\\n')\n", encoding="utf-8")
    main = types.ModuleType("__main__")
    main.__file__, main.__spec__ = str(script), None
    monkeypatch.setitem(sys.modules, "__main__", main)

    def spawn() -> None:
        process = get_context("spawn").Process(target=os.getpid)
        process.start()
        process.join()
        assert process.exitcode == 0

    with without_main():  # what render opens around its print workers
        spawn()
    assert not marker.exists()
    assert main.__spec__ is None
    spawn()  # without it the spawned process runs the script first
    assert marker.read_text(encoding="utf-8") == "ran\n"


def test_print_workers_share_a_budget_of_batches_before_they_are_replaced() -> None:
    assert [printing.recycle_after(n) for n in (1, 2, 3, 8)] == [2, 1, 1, 1]


def test_print_workers_take_turns_ending_half_a_batch_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    # a worker peaks at the end of its batch: two workers whose batches ended together would
    # peak together, so a batch starts when it is expected to end at least half its expected
    # time away from the end of the other worker's batch (with two workers); until a batch has
    # ended, a letter's time is not known and the others wait for that end
    assert printing.turns(1) is None
    shared = printing.turns(2)
    assert shared is not None and shared[2] == 2 and list(shared[1]) == [0.0, 0.0, 0.0]
    monkeypatch.setattr(printing, "_TURNS", None)
    printing.take_turns(shared)
    clock, slept, ended = [100.0], list[float](), list[bool]()

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds
        if clock[0] >= 101.6 and not ended:  # the first batch ends (in its own process)
            ended.append(True)
            printing._paced(250, 1.6, 1)  # 6.4 ms a letter

    monkeypatch.setattr("dunning.render.printing.time.monotonic", lambda: clock[0])
    monkeypatch.setattr("dunning.render.printing.time.sleep", sleep)
    assert printing._wait_turn(250) == 1  # nothing else being typeset: at once, expected at 101
    assert slept == [] and list(shared[1]) == [0.0, 101.0, 0.0]
    clock[0] = 100.2
    # the second waits, looking again every FIRST_POLL_S, until the first has ended; then at once
    assert printing._wait_turn(250) == 1 and ended
    assert set(slept) == {printing.FIRST_POLL_S} and 101.6 <= clock[0] < 101.6 + printing.FIRST_POLL_S
    assert list(shared[1]) == [pytest.approx(0.0064), pytest.approx(clock[0] + 1.6), 0.0]
    # the next would end with it: it waits to end half its time (0.8 s) after it
    slept.clear()
    assert printing._wait_turn(250) == 2 and slept == [pytest.approx(0.8)]
    assert shared[1][2] == pytest.approx(shared[1][1] + 0.8)
    printing._paced(250, 1.2, 1)  # 4.8 ms a letter, averaged with what was known
    assert list(shared[1]) == [pytest.approx(0.0056), 0.0, pytest.approx(clock[0] + 1.6)]
    # 50 letters (0.28 s) may end before the batch under way does, far enough from its end
    slept.clear()
    assert printing._wait_turn(50) == 1 and slept == [] and shared[1][1] == pytest.approx(clock[0] + 0.28)

    # a first batch that never ends (its worker died): the others wait FIRST_WAIT_TIMES its
    # expected time, then go by FIRST_PACE_S
    shared = printing.turns(2)
    printing.take_turns(shared)
    clock[0], ended[:] = 200.0, [True]
    assert shared is not None and printing._wait_turn(250) == 1
    slept.clear()
    assert printing._wait_turn(250) == 2
    assert 220.0 <= clock[0] < 220.0 + printing.FIRST_POLL_S and list(shared[1]) == [0.0, 201.0, clock[0] + 1.0]
    printing.take_turns(None)  # one worker: no turns to take
    slept.clear()
    assert printing._wait_turn(250) == 0 and slept == []
    printing._paced(250, 1.0, 0)


@pytest.mark.parametrize("budget", [1, 2])
def test_a_print_worker_typesets_batch_after_batch_until_it_is_replaced_and_the_bytes_do_not_change(
    plan_dir: Path, example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    def typeset_files() -> dict[str, bytes]:
        letters = plan_dir / "messages" / "letters"
        return {str(p.relative_to(letters)): p.read_bytes() for p in sorted(letters.rglob("*")) if p.is_file()}

    render_plans(plan_dir, example_root, workers=2, pdf=True)
    expected = typeset_files()
    profile = tmp_path / "print-profile.jsonl"
    monkeypatch.setenv(printing.PROFILE_VARIABLE, str(profile))
    monkeypatch.setattr(printing, "RECYCLE_BUDGET", budget)
    render_plans(plan_dir, example_root, workers=1, pdf=True)
    batches = [json.loads(line) for line in profile.read_text(encoding="utf-8").splitlines()]
    assert [batch["batch"] for batch in batches] == [CN_BATCH, US_BATCH]
    pids = [batch["pid"] for batch in batches]
    assert os.getpid() not in pids  # typeset in a worker, even with one job
    # one worker for both batches when it may typeset two; a fresh one for each when not
    assert len(set(pids)) == (2 if budget == 1 else 1)
    assert typeset_files() == expected


def test_print_workers_inherit_the_fork_servers_font_index_and_only_the_server_removes_its_folder(
    tmp_path: Path,
) -> None:
    # the fork server builds Typst's font index and compiler once (printing.PRELOAD); each
    # worker takes them and gives the same bytes as a compiler of its own. Typst reads a font
    # file only when a letter first needs it, so the server's fonts folder must outlive every
    # worker: a worker exits with the server's atexit functions (it is a fork of it) and must
    # not remove it; the server removes it when the pool closes, and nothing is left
    expected = typeset.batch_pdf("batch", "A4", date(2026, 11, 30), print_support.LETTERS)
    pool = Workers(
        2, start="forkserver", separate=True, max_tasks_per_child=1, preload=printing.PRELOAD,
        env={"TMPDIR": str(tmp_path)},
    )  # fmt: skip
    with pool:
        done = list(pool.map(print_support.typeset_inherited, [str(tmp_path)] * 4))
    assert len({pid for pid, _, _, _ in done}) == 4  # a fresh worker each: the later ones after the first exited
    assert [inherited for _, inherited, _, _ in done] == [True] * 4
    server_folders = {tuple(folders) for _, _, folders, _ in done}
    assert len(server_folders) == 1 and len(next(iter(server_folders))) == 1  # the server's one folder
    assert [data for _, _, _, data in done] == [expected] * 4
    assert list(tmp_path.iterdir()) == []


def test_a_fonts_folder_is_removed_by_the_process_that_made_it_only(tmp_path: Path) -> None:
    folder = tmp_path / "dunning-fonts-x"
    folder.mkdir()
    typeset._remove_own(str(folder), os.getpid() + 1)  # a forked worker running its server's atexit functions
    assert folder.is_dir()
    typeset._remove_own(str(folder), os.getpid())
    assert not folder.exists()


def test_a_fork_server_without_the_cjk_fonts_starts_and_leaves_the_error_to_the_workers() -> None:
    # a fork server stops only at an ImportError: an error of its preload would kill it, and its
    # workers, without a word; the workers' first batch raises the UserError with its hint. In
    # an interpreter of its own, as the server's: the module sets the process's SIGTERM handler
    script = textwrap.dedent(
        """
        from datetime import date
        from dunning.errors import UserError
        from dunning.render import typeset
        typeset.CJK_FONT_DIRS = ()
        import dunning.render.print_server
        assert typeset._PREPARED is None
        try:
            typeset.batch_pdf("batch", "A4", date(2026, 11, 30), [("A-1", '#"a";')])
        except UserError as error:
            print(error.hint)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    assert "fonts-noto-cjk" in done.stdout


def test_a_fork_server_stopped_by_sigterm_removes_its_fonts_folder(tmp_path: Path) -> None:
    # a stop that signals every process of the run (systemd's, a CI job's) reaches the server
    # too: it exits through its atexit functions, as when the pool stops it
    from multiprocessing import forkserver

    # (its worker kept: a replacement forked while the server is stopping would fail)
    pool = Workers(1, start="forkserver", separate=True, preload=printing.PRELOAD, env={"TMPDIR": str(tmp_path)})
    with pool:
        [folders] = pool.map(print_support.fonts_folders, [str(tmp_path)])
        assert len(folders) == 1  # the server's
        server = getattr(forkserver._forkserver, "_forkserver_pid", None)
        assert server is not None
        os.kill(server, signal.SIGTERM)
        for _ in range(500):  # until it has exited (a zombie until the pool reaps it)
            with open(f"/proc/{server}/stat", encoding="ascii") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.01)
    assert list(tmp_path.iterdir()) == []
