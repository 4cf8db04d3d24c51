"""Letters typeset with Typst: a print batch's PDF (a letter's markup: :mod:`dunning.render.markup`).

Why Typst (the ``typst`` package, a self-contained compiler) and not WeasyPrint: measured on
this project's letters, WeasyPrint took ≈ 170 ms of CPU a letter; Typst sets a letter in a
print batch in ≈ 2 ms, where a single-letter PDF costs 4–6 ms (Typst memoizes the layout of
the paragraphs that letters share only within one document). So a letter is typeset once,
in its batch, and its archive copy is cut out of the batch PDF (:mod:`dunning.render.archive`).
See docs/render.md "Letters".

What the engine may read: the layout in ``letter_assets/`` (its project root), the fonts
Typst embeds in itself and the two Noto Serif CJK files (Debian ``fonts-noto-cjk``); system
fonts are ignored. The markup dunning generates never names a file, a URL or a package: every
piece of text enters as a Typst string literal (:func:`literal`, :mod:`dunning.render.markup`).

Output is byte-stable: the PDF's creation date is the letter's (or the batch's) date, never
the clock, and the document title (from which Typst derives the PDF's /ID) is the
reference.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dunning.errors import UserError

ASSETS = Path(__file__).parent / "letter_assets"
LAYOUT = ASSETS / "letter.typ"
# Debian's fonts-noto-cjk; the first folder that holds the serif face is used
CJK_FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/noto-cjk"))
CJK_FONT_FILE = "NotoSerifCJK-Regular.ttc"
CJK_BOLD_FILE = "NotoSerifCJK-Bold.ttc"
LATIN_FONT = "Libertinus Serif"  # embedded in the typst package itself
CJK_FONT = "Noto Serif CJK SC"
PAPER = {"letter": "us-letter", "A4": "a4"}
# A letter's footer: its page of its own pages, on letters of more than one page. Each letter
# in a batch resets the page counter, records its number in a state and ends with a label of
# its own; the total is the page counter at that label (a lookup by label, not a scan).
# Reading them makes Typst lay the batch out a second time, ≈ 0.7 ms a letter (measured), so a
# batch is first typeset without footers and again with them only when a letter in it runs
# over a page (its pages then outnumber its letters); the footer does not change where pages
# break (it sits in the bottom margin). Typesetting twice costs a batch ≈ 1.6× one pass with
# footers (measured: the second pass gains nothing from the first), so a batch holding a
# letter whose markup is long enough that it may well run over (LONG_LETTER characters, a
# third of what fills a US Letter page with Latin text) gets the one pass with footers.
BATCH_FOOTER = (
    '[#let total = counter(page).at(label("dunning-end-" + str(state("dunning-letter").get()))).first()'
    "; #if total > 1 [#counter(page).display() / #total]]"
)
NO_FOOTER = "[]"
LONG_LETTER = 2000
# A table's cell is a box of its column's width since 2026-12-07 (dunning/render/markup.py,
# ``_rows``), ≈ 16 characters of markup more than the table's cell it replaced for the same
# printed text: taken off a letter's length, so that LONG_LETTER means what it meant before
# (a batch whose letters hold tables is not sent to the dearer pass with footers for them).
BOX_MARKUP = "#box(width: "
BOX_EXTRA = 16

_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")

# Content a batch's letters share is written once, before them (``#let u0 = [...]``), and each
# letter names it (``[#u0]``). Typst lays a piece of content out again wherever it is written
# in the source, even the same text under the same styles: its memo of layouts knows content
# by where it was written (its span). Named, it is one piece of content, laid out once: the
# sender's block, the closing, the disclosure, a table's headings, its numbers and dates, the
# paragraphs that only the name they greet makes differ. The 250-letter batches of the 200k
# Monday, ms of CPU a letter in Typst (one process, its cache emptied before each, median of 7,
# load 3–5): US 1.66 → 1.06, CN with payment plans 1.19 → 0.97, CN notices 0.70 → 0.55; the
# PDF byte for byte the same. Finding the units costs 3–11 ms a batch (0.013–0.044 ms a letter,
# measured 2026-12-07: see shared()).
# A unit is a content block, ``[...]``, holding no other block but named units: no bracket is
# ever inside a literal (literal() writes them as escapes), so every bracket is dunning's markup.
# Named units count in the next round: a cell's ``[#strong[#"Due";]]`` is shared as a whole
# once its ``[#"Due";]`` is.
_UNITS = re.compile(r"\[(?!#u[0-9]+\])([^\[\]]*+(?:\[#u[0-9]+\][^\[\]]*+)*+)\]")


# control characters (below U+0020, tab kept) print as a space: one C pass, not a Python loop
# over every character (≈ 5 µs of a 110-character line, measured; 20–30 lines a letter). The
# translation only when there is one: str.translate looks every character of a CJK text up in
# the table (≈ 4.5 µs a piece of a letter's body, measured), the search scans in C.
_CONTROLS = {code: " " for code in range(0x20) if code != 0x09}
# brackets as escapes, so that a bracket in a letter's markup is always markup (see _UNITS)
_CONTROLS |= {ord("["): "\\u{5b}", ord("]"): "\\u{5d}"}
_HAS_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\\[\\]]").search


def literal(text: str) -> str:
    """``text`` as an embedded Typst string expression, terminated (``#"…";``), with no bracket
    in it (``\\u{5b}``, ``\\u{5d}``: the same string).

    The semicolon ends the expression, so whatever markup follows cannot extend it (``.x``,
    ``(…)`` or ``[…]`` after a string would otherwise be a method call or an argument)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    if _HAS_CONTROL(escaped) is not None:
        escaped = escaped.translate(_CONTROLS)
    return f'#"{escaped}";'


@functools.lru_cache(maxsize=1)
def _layout() -> str:
    return LAYOUT.read_text(encoding="utf-8")


def _preamble(paper: str, footer: str, title: str) -> str:
    layout = _layout().replace("PAPER", f'"{PAPER[paper]}"').replace("FOOTER", footer)
    return f"#set document(title: {literal(title)[1:-1]})\n{layout}\n"


def _font_dir() -> Path:
    for folder in CJK_FONT_DIRS:
        if (folder / CJK_FONT_FILE).is_file():
            return folder
    raise UserError(
        f"no {CJK_FONT_FILE} in {', '.join(map(str, CJK_FONT_DIRS))}",
        "install the Noto CJK fonts (Debian: apt-get install fonts-noto-cjk), or render with --no-pdf",
    )


def _cjk_font_folder() -> str:
    """A private folder holding links to the two Noto Serif CJK files only, removed at exit
    by the process that made it (see :func:`_remove_own`).

    Typst indexes every face of every file in a folder it is given (and takes a file path for
    an empty folder): Debian's folder also holds the Sans collections, and indexing all four
    cost ≈ 48 ms of each print process against ≈ 16 ms for these two (measured)."""
    source = _font_dir()
    # what tempfile.mkdtemp does (a new folder only its owner reads), without importing
    # tempfile and random into every print process
    folder = os.path.join(os.environ.get("TMPDIR") or "/tmp", f"dunning-fonts-{os.urandom(8).hex()}")
    os.mkdir(folder, 0o700)
    atexit.register(_remove_own, folder, os.getpid())
    for name in (CJK_FONT_FILE, CJK_BOLD_FILE):
        if (source / name).is_file():
            os.symlink(source / name, os.path.join(folder, name))
    return folder


def _remove_own(folder: str, owner: int) -> None:
    """Remove ``folder`` in the process ``owner`` only. A print worker forked from the fork
    server inherits the server's ``atexit`` functions and runs them when it exits
    (dunning.workers, ``_exit_now``); the folder made by the server must outlive every worker,
    since Typst reads a font file only when a letter first needs it (its index holds paths),
    so the server removes it when it exits, after its workers."""
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def _new_compiler() -> Any:
    import typst

    fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=[_cjk_font_folder()])
    return typst.Compiler(root=str(ASSETS), font_paths=fonts, ignore_system_fonts=True)


_COMPILERS: dict[int, Any] = {}
# A compiler built before this process forks, for its children (:func:`prepare_for_forks`)
_PREPARED: Any = None


def prepare_for_forks() -> None:
    """Build the font index and a compiler that children forked from this process take
    instead of building their own: called by the print workers' fork server
    (:mod:`dunning.render.print_server`), once, before it forks them. Indexing the fonts cost
    ≈ 20 ms of CPU in every print worker (a worker typesets one or two batches: ≈ 80 µs a
    letter, measured 2026-12-07). Building the index and the compiler starts no thread (Typst
    starts its thread pool in a first compile), so a process that only prepared may still fork;
    this one must not compile (see :func:`started_here`). The fonts' folder is this process's,
    removed when it exits (:func:`_remove_own`)."""
    global _PREPARED
    if _PREPARED is None and not _COMPILERS:
        _PREPARED = _new_compiler()


def _compiler() -> Any:
    """One compiler per process: loading the font index is the slow part of a first letter.
    Keyed by process id because the compiler runs threads, which a forked worker does not
    inherit: a worker forked after the parent typeset something builds its own. A worker
    forked from a process that prepared one (:func:`prepare_for_forks`) and never compiled
    takes that one: its font index is built, its fonts not yet read."""
    global _PREPARED
    pid = os.getpid()
    compiler = _COMPILERS.get(pid)
    if compiler is None:
        _COMPILERS.clear()
        compiler, _PREPARED = _PREPARED, None
        _COMPILERS[pid] = compiler = compiler if compiler is not None else _new_compiler()
    return compiler


def started_here() -> bool:
    """Whether this process has typeset anything. Typst runs a thread pool that a forked
    child does not get: a child that then typesets waits forever for it. Render forks its
    workers only from a process where this is False (a CLI run always is)."""
    return os.getpid() in _COMPILERS


def _compile(source: str, dated: date) -> bytes:
    import typst

    stamp = datetime(dated.year, dated.month, dated.day, tzinfo=UTC)
    try:
        # untagged: a batch goes to a printer and its archive copies are cut out of it, which a
        # structure tree cannot follow; tagging cost ≈ 15 % of the typesetting (measured)
        data = _compiler().compile(input=source.encode("utf-8"), format="pdf", timestamp=stamp, pdf_tags=False)
    except typst.TypstError as exc:  # a bug here, never the template's text: say so plainly
        raise UserError(f"letter typesetting failed: {exc.message}", "report this as a dunning bug") from None
    assert isinstance(data, bytes)
    return data


def page_count(pdf: bytes) -> int:
    """Pages in a PDF Typst wrote (its page objects are plain dictionaries)."""
    return len(_PAGE_OBJECT.findall(pdf))


def shared(markups: list[str]) -> tuple[str, list[str]]:
    """The units (see ``_UNITS``) that occur more than once in ``markups``, each defined once as
    ``#let uN = [...]`` (in the order they first occur), and the markups naming them instead.

    In rounds: a round counts the units, names those that occur more than once and writes the
    markups anew; a unit that holds a unit named in this round may occur more than once in the
    next. Only the markups a round changed are read again in the next: a unit that is new in a
    round holds a name given in the round before, so it occurs only where that name was
    written, and a unit that occurred once occurs once for good (the later rounds only write
    names into units that were not units before). Each markup is matched once a round (its
    units' places kept), not once to count and again to replace through a function called for
    every unit: 200k Monday's 250-letter batches 40 -> 30 µs a letter (measured 2026-12-07)."""
    definitions: list[str] = []
    names: dict[str, str] = {}
    markups = list(markups)
    todo: Iterable[int] = range(len(markups))  # the markups that may hold a unit not yet counted
    while True:
        counts: dict[str, int] = {}
        found: list[tuple[int, list[re.Match[str]]]] = []
        for n in todo:
            units = list(_UNITS.finditer(markups[n]))
            found.append((n, units))
            for unit in units:
                content = unit[1]
                counts[content] = counts.get(content, 0) + 1
        repeated = {content for content, count in counts.items() if count > 1}
        if not repeated:
            return "".join(definitions), markups
        changed: list[int] = []
        for n, units in found:
            markup, parts, last = markups[n], list[str](), 0
            for unit in units:
                content = unit[1]
                if content in repeated:
                    named = names.get(content)
                    if named is None:  # in the order the units first occur
                        named = names[content] = f"u{len(names)}"
                        definitions.append(f"#let {named} = [{content}]\n")
                    parts += (markup[last : unit.start()], "[#", named, "]")
                    last = unit.end()
            if parts:
                parts.append(markup[last:])
                markups[n] = "".join(parts)
                changed.append(n)
        todo = changed


def _body(references: list[str], markups: list[str], footers: bool) -> str:
    """The letters one after another, each on a new page and with its bookmark; with
    ``footers``, what BATCH_FOOTER reads too: each letter resets the page counter, records its
    number and ends with its label. A batch typeset without footers has none of these (nothing
    reads them there; the PDF is the same byte for byte, and they cost ≈ 5 % of its Typst time,
    measured)."""
    parts: list[str] = []
    for n, (reference, markup) in enumerate(zip(references, markups, strict=True)):
        if n:
            parts.append("#pagebreak()\n")
        # an invisible heading: the layout shows no heading, its bookmark stays
        bookmark = f"#heading(outlined: false, bookmarked: true, {literal(reference)[1:-1]})"
        if footers:
            parts.append(
                f'#counter(page).update(1)#state("dunning-letter").update({n}){bookmark}\n'
                f"{markup}#metadata(none)<dunning-end-{n}>\n"
            )
        else:
            parts.append(f"{bookmark}\n{markup}")
    return "".join(parts)


def batch_pdf(title: str, paper: str, dated: date, letters: list[tuple[str, str]]) -> bytes:
    """A print batch: ``letters`` (reference, markup) one after another, each starting on a
    new page with its own page numbers and a PDF bookmark titled with its reference (an
    invisible heading: it prints nothing), by which the batch is cut into archive copies and
    the index learns every letter's page range. A letter of more than one page numbers them
    (``1 / 2``); a one-page letter prints no page number."""
    definitions, markups = shared([markup for _, markup in letters])
    references = [reference for reference, _ in letters]
    long = any(len(markup) - BOX_EXTRA * markup.count(BOX_MARKUP) > LONG_LETTER for _, markup in letters)
    if not long:
        data = _compile(_preamble(paper, NO_FOOTER, title) + definitions + _body(references, markups, False), dated)
        if page_count(data) == len(letters):  # no letter runs over a page
            return data
    return _compile(_preamble(paper, BATCH_FOOTER, title) + definitions + _body(references, markups, True), dated)
