"""A letter's content as Typst markup: address blocks, date and reference, subject, the
template's HTML body translated element by element, the disclosure.

Every piece of text — template output and account data alike — enters as a Typst *string
literal* (``#"…";``, :func:`dunning.render.typeset.literal`), never as markup, so no text can
become a command, an ``#import``, an ``#image`` or ``#read``. The template's HTML is translated
element by element (``p``, ``br``, ``strong``/``b``, ``em``/``i``, ``table``/``tr``/``td``/``th``,
``ul``/``ol``/``li``, headings, ``div``/``span``); any other element contributes its text only
(``img``, ``link``, ``a``'s target, ``style``, ``script`` contribute nothing), so a letter
fetches nothing. A table whose ``<col style="width: …">`` declarations fix its column widths
(checked and written as lengths, never copied as markup) is set as lines of boxes of those
widths rather than as a Typst table.

Apart from :mod:`dunning.render.typeset` because the chunk workers translate and the print
processes typeset: a print process imports neither the HTML parser nor this module (≈ 10 ms of
each process's start-up, measured).
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from dunning.render.typeset import CJK_FONT, LATIN_FONT, literal
from dunning.text.table_widths import col_width, fixed_widths

_SPACE = re.compile(r"\s+")


def lines(parts: list[str]) -> str:
    """Text lines joined by line breaks, each a literal."""
    return "#linebreak()".join(literal(part) for part in parts)


_BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote"})

# A table whose template fixes its column widths (dunning.text.table_widths: one ``<col
# style="width: 15mm">`` per column, fitting the text width) is set without Typst's table: each
# row is a line of one paragraph, each cell a box of its column's width (:func:`_rows`). Typst
# lays every cell of a table out at least twice (measuring its row, then laying the row out; an
# ``auto`` column a third time, measuring the column) with its inset, and draws its strokes
# cell by cell: a letter's 3-column, 3–6 row payment table cost ≈ 1.7 ms with auto columns,
# ≈ 1.2 ms with fixed ones (2026-12-07), and as a paragraph of boxes ≈ 0.45 ms less again
# (docs/performance.md, "Tables as lines of boxes"). Any other table keeps ``auto`` columns,
# sized to its content (validate's T015 names it). A box does not grow: the template's widths
# must hold what a cell prints (a cell wraps at its spaces, within its box; a word longer than
# its box runs over its edge).


def _rows(widths: list[str], rows: list[list[str]]) -> str:
    """A table with fixed columns as the layout's ``rows``: one paragraph, a row a line, a cell
    a box of its column's width (each row a content block of its own, so that a row that
    recurs in a batch is one of the units it shares: :func:`dunning.render.typeset.shared`)."""
    lines = [
        "#[" + "".join(f"#box(width: {width})[{cell}]" for width, cell in zip(widths, row, strict=True)) + "]"
        for row in rows
    ]
    return f"#rows[{'#linebreak()'.join(lines)}]"


_DROP = frozenset({"script", "style", "head", "title"})
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"})


class _Body:
    """The template's HTML body as Typst markup (see the module docstring for the elements):
    what to write for each start tag, end tag and text an HTML parser reports."""

    def __init__(self) -> None:
        self.out: list[list[str]] = [[]]  # a stack of buffers: tables and cells collect apart
        self.closers: list[str] = []  # what each open element writes when it closes
        self.tags: list[str] = []
        self.drop = 0
        self.rows: list[list[list[str]]] = []  # open tables: rows of cells' markup
        self.widths: list[list[str | None]] = []  # open tables: their <col>s' widths
        self.pending_space = True  # no white space here before text: a block or a line starts

    def _emit(self, markup: str) -> None:
        self.out[-1].append(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if tag == "br":
                self._emit("#linebreak()")
                self.pending_space = True
            elif tag == "hr":
                self._emit("#line(length: 100%)")
            elif tag == "col" and self.widths:
                self.widths[-1].append(col_width(attrs))
            return
        if tag in _DROP:
            self.drop += 1
            self.tags.append(tag)
            self.closers.append("")
            return
        if tag == "table":
            self.rows.append([])
            self.widths.append([])
            self.out.append([])
            self.tags.append(tag)
            self.closers.append("")
            return
        if tag == "tr" and self.rows:
            self.rows[-1].append([])
            self.tags.append(tag)
            self.closers.append("")
            return
        if tag in ("td", "th") and self.rows:
            if not self.rows[-1]:
                self.rows[-1].append([])
            self.out.append([])
            self.tags.append(tag)
            self.closers.append("")
            self.pending_space = True
            if tag == "th":
                self._emit("#strong[")
                self.closers[-1] = "]"
            return
        opener, closer = "", ""
        if tag in ("strong", "b"):
            opener, closer = "#strong[", "]"
        elif tag in ("em", "i"):
            opener, closer = "#emph[", "]"
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            opener, closer = '#block(text(weight: "bold")[', "])"
        elif tag == "li":
            opener, closer = "#block[• ", "]"
        elif tag in _BLOCKS:
            classes = " ".join(value or "" for name, value in attrs if name == "class").split() if attrs else []
            if "disclosure" in classes or "disclosures" in classes or "small" in classes:
                opener, closer = "#small[", "]"
            else:
                opener, closer = "#block[", "]"
        self._emit(opener)
        if tag in _BLOCKS or tag == "li":
            self.pending_space = True
        self.tags.append(tag)
        self.closers.append(closer)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or tag not in self.tags:
            return
        while self.tags:
            open_tag = self.tags.pop()
            closer = self.closers.pop()
            self._close(open_tag, closer)
            if open_tag == tag:
                break

    def _close(self, tag: str, closer: str) -> None:
        if tag in _DROP:
            self.drop -= 1
            return
        if tag in ("td", "th") and self.rows:
            cell = "".join(self.out.pop()) + closer
            self.rows[-1][-1].append(cell)
            return
        if tag == "tr":
            return
        if tag == "table" and self.rows:
            self.out.pop()
            rows = [row for row in self.rows.pop() if row]
            widths = self.widths.pop()
            width = max((len(row) for row in rows), default=0)
            if width:
                full = [row + [""] * (width - len(row)) for row in rows]
                self.pending_space = True
                fixed = fixed_widths(widths, width)
                if fixed is not None:
                    self._emit(_rows(fixed, full))
                else:
                    cells = ", ".join(f"[{cell}]" for row in full for cell in row)
                    self._emit(f"#table(columns: {width}, inset: (x: 3mm, y: 1mm), stroke: 0.5pt + gray, {cells})")
            return
        self._emit(closer)
        if tag in _BLOCKS or tag == "li":
            self.pending_space = True

    def handle_data(self, data: str) -> None:
        if self.drop:
            return
        text = _SPACE.sub(" ", data)
        if text.startswith(" ") and self.pending_space:
            text = text[1:]  # HTML collapses white space: none at a block's start, never two
        if text:
            self.pending_space = text.endswith(" ")
            self._emit(literal(text))

    def markup(self) -> str:
        while self.tags:
            self._close(self.tags.pop(), self.closers.pop())
        return "".join(self.out[0])


class _Parser(HTMLParser):
    """:class:`HTMLParser` (character references converted) reporting to a :class:`_Body`."""

    def __init__(self, body: _Body) -> None:
        super().__init__(convert_charrefs=True)
        self.body = body

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.body.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.body.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        self.body.handle_data(data)


# The plain HTML letter templates write, read without HTMLParser (≈ 130 µs of a letter's
# ≈ 260 µs in it, measured on the bench portfolio's letters): lowercase tags, double-quoted
# attribute values with no character reference, no comment, declaration or CDATA element.
# For such a body body_markup makes exactly the calls HTMLParser makes (tested on random
# bodies against it): one start tag (or a start and an end tag for ``<x/>``) per tag, with
# its attributes in order; one end tag per ``</x>``; the text between two tags as one
# piece, its character references converted (html.unescape, as HTMLParser converts them).
# Any other body — a ``<`` that starts no such tag, an attribute without quotes, ``<!--``,
# ``<script>`` — is read by HTMLParser.
_WS = "[ \t\n\r\f]"
_TAG = re.compile(f'<(?:([a-z][a-z0-9]*)((?:{_WS}+[a-z][a-z0-9-]*="[^"&<>]*")*){_WS}*(/?)>|/([a-z][a-z0-9]*)>)')
_ATTRIBUTE = re.compile(f'{_WS}+([a-z][a-z0-9-]*)="([^"&<>]*)"')
_CDATA = frozenset(HTMLParser.CDATA_CONTENT_ELEMENTS)


def parsed_markup(html: str) -> str:
    """:func:`body_markup` through :class:`HTMLParser` whatever the body (the reference the
    plain bodies' reading is tested against)."""
    body = _Body()
    parser = _Parser(body)
    parser.feed(html)
    parser.close()
    return body.markup()


# Letters of one template differ in their texts, not in their tags, and a body's markup depends
# on its texts only where each text goes: so the tags are translated once per *skeleton* — the
# tags in order, and which gaps between them hold text — into markup with a marker where each
# text goes, and each letter translates only its texts (2,000 bench-like bodies, CPU a body:
# with a 3–6 row table 106 → 55 µs, five CJK paragraphs 21 → 12 µs; measured at load 10–12).
# A text's markup depends on the texts before it only through white space (HTML collapses it:
# none at a block's or a line's start, never two); the skeleton records where a tag starts a
# block or a line. Skeletons are held per process, at most SKELETONS (a template has a few: its
# branches, the rows of a table).
SKELETONS = 256
_SPLIT = re.compile("(<[^>]*>)").split
# where a text goes in a skeleton's markup, with its number (the tags' markup holds no text;
# a text may go nowhere: inside a table but in no cell)
_MARK = re.compile("\x00([0-9]+)\x00")
_SAME = 0  # a text's leading space: as the text before it left it
_FRESH = 1  # a block or a line starts before the text: no leading space
_DROPPED = 2  # a text inside an element that contributes nothing (``head``, ``title``)
# skeleton → (the markup around the markers, the texts' numbers in the markup's order, each text
# gap's kind); None: HTMLParser reads it
_skeletons: dict[tuple[tuple[str, ...], tuple[bool, ...]], tuple[list[str], list[int], list[int]] | None] = {}


class _Skeleton(_Body):
    """:class:`_Body` on a skeleton: a marker for each text, and the kind of each text gap."""

    def __init__(self) -> None:
        super().__init__()
        self.gaps: list[int] = []

    def handle_data(self, data: str) -> None:
        if self.drop:
            self.gaps.append(_DROPPED)
            return
        self._emit(f"\x00{len(self.gaps)}\x00")
        self.gaps.append(_FRESH if self.pending_space else _SAME)
        self.pending_space = False  # until a tag starts a block or a line: as the text leaves it


def _skeleton(tags: tuple[str, ...], texts: tuple[bool, ...]) -> tuple[list[str], list[int], list[int]] | None:
    """A skeleton's markup around its markers and its gaps' kinds; None when a tag is not a
    plain one (see above) or opens a CDATA element."""
    body = _Skeleton()
    for tag, text in zip(tags, texts, strict=False):
        if text:
            body.handle_data("")
        match = _TAG.fullmatch(tag)
        if match is None:
            return None
        name, attributes, closed, end_name = match.groups()
        if end_name is not None:
            body.handle_endtag(end_name)
        elif name in _CDATA:
            return None
        else:
            body.handle_starttag(name, _ATTRIBUTE.findall(attributes) if attributes else [])
            if closed:
                body.handle_endtag(name)
    if texts[-1]:
        body.handle_data("")
    split = _MARK.split(body.markup())
    return split[0::2], [int(number) for number in split[1::2]], body.gaps


def body_markup(html: str) -> str:
    """The template's (autoescaped) HTML body as Typst markup; text only ever as literals."""
    parts = _SPLIT(html)
    tags = tuple(parts[1::2])
    if html.count("<") != len(tags):  # a "<" that starts no tag: HTMLParser reads the body
        return parsed_markup(html)
    texts = parts[0::2]
    key = (tags, tuple(map(bool, texts)))
    if key in _skeletons:
        found = _skeletons[key]
    else:
        if len(_skeletons) >= SKELETONS:
            _skeletons.clear()
        found = _skeletons[key] = _skeleton(*key)
    if found is None:
        return parsed_markup(html)
    pieces, order, gaps = found
    literals: list[str] = []
    pending = True
    for text, gap in zip([text for text in texts if text], gaps, strict=True):
        if gap == _DROPPED:
            literals.append("")
            continue
        if gap == _FRESH:
            pending = True
        piece = _SPACE.sub(" ", unescape(text))
        if piece.startswith(" ") and pending:
            piece = piece[1:]  # HTML collapses white space: none at a block's start, never two
        if piece:
            pending = piece.endswith(" ")
        literals.append(literal(piece) if piece else "")
    out = [pieces[0]]
    for number, after in zip(order, pieces[1:], strict=True):
        out += (literals[number], after)
    return "".join(out)


def letter_markup(
    *,
    locale: str,
    sender: list[str],
    recipient: list[str],
    meta: list[str],
    subject: str,
    body_html: str,
    disclosure: str,
) -> str:
    """One letter's content: address blocks, date and reference, subject, body, disclosure."""
    cjk = locale.lower().startswith(("zh", "ja", "ko"))
    fonts = (CJK_FONT, LATIN_FONT) if cjk else (LATIN_FONT, CJK_FONT)
    language = locale.split("-", 1)[0].lower()
    if not re.fullmatch(r"[a-z]{2,3}", language):
        language = "en"
    parts = [
        f'#letter(("{fonts[0]}", "{fonts[1]}"), "{language}")[\n',
        f"#sender[{lines(sender)}]\n",
        f"#recipient[{lines(recipient)}]\n",
        f"#meta[{lines(meta)}]\n",
        f"#subject[{literal(subject)}]\n",
        body_markup(body_html),
        "\n",
    ]
    if disclosure:
        parts.append(f"#small[{literal(disclosure)}]\n")
    parts.append("]\n")
    return "".join(parts)
