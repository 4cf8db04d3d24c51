"""Archive copies: each letter's pages cut out of its print batch's PDF.

Typesetting a letter on its own cost 4–6 ms of CPU (Typst memoizes the layout of what
letters share only within one document), typesetting it in its batch ≈ 2 ms. So every letter
is typeset once, in its batch, and its archive copy is those pages as a PDF of their own: the
same page objects (content, fonts, page size), hence the same text under ``pdftotext``.

The batch PDF carries one bookmark per letter, titled with its reference, on the letter's first
page (:func:`dunning.render.typeset.batch_pdf`); the bookmarks give every letter's page range,
which the batch index uses too. A bookmark list that does not hold one bookmark per letter, in page
order, is a bug, reported as such rather than cutting the wrong pages.

The cut reads the PDF itself rather than through a PDF library: Typst writes a plain PDF (a
classic cross-reference table, no object streams, direct stream lengths), and a copy is its
page objects and everything they refer to (but their parent), renumbered, byte for byte. With
pikepdf the cut cost ≈ 0.6–0.7 ms a letter plus ≈ 70–100 ms a print process to import it
(measured 2026-12-06 at load ≈ 8); this way ≈ 0.1 ms a letter. A batch in any other shape
(an object stream, an indirect length, a named destination) is reported as a dunning bug, not
guessed at.

Byte-stable: the copy's document information is the batch's (creator, dates: the posting date)
with the letter's reference as its title, and its /ID is derived from its content, never random.
A copy embeds the fonts of its batch (Typst subsets a font once per document): for CJK letters
a few tens of kB more than a copy typeset on its own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from dunning.errors import UserError

_BUG = "report this as a dunning bug"
# the document information a copy keeps from its batch (its title is the letter's reference)
_INFO_KEYS = (b"/Creator", b"/Producer", b"/CreationDate", b"/ModDate")
_TOKEN = re.compile(
    rb"(?P<ws>[\x00\t\n\x0c\r ]+)|(?P<comment>%[^\r\n]*)|(?P<dict><<|>>)|(?P<array>[\[\]])"
    rb"|(?P<name>/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*)|(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))"
    rb"|(?P<hex><[0-9A-Fa-f\x00\t\n\x0c\r ]*>)|(?P<string>\()|(?P<word>[A-Za-z]+)"
)
# ``N 0 R`` as a whole token: after white space, ``[``, ``]`` or ``>``; before a delimiter
_REF = re.compile(
    rb"(?<![^\x00\t\n\x0c\r \[\]>])(\d+)[\x00\t\n\x0c\r ]+0[\x00\t\n\x0c\r ]+R(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])"
)
_STREAM = re.compile(rb"(?<=[>\x00\t\n\x0c\r ])stream\r?\n")
# The dictionaries the cut reads most (every page, every bookmark: ≈ 0.1 ms a letter through the
# token loop, measured) are flat: keys with a name, a number or reference, an array without
# nesting or a string without parentheses or escapes as their value. Such a dictionary is read
# by one regular expression an entry; any other by the token loop (tested: the same entries).
_WHITE = rb"[\x00\t\n\x0c\r ]*"
_NAME = rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*"
_FLAT_ENTRY = re.compile(
    _WHITE + rb"(" + _NAME + rb")(" + _WHITE + rb"(?:" + _NAME + rb"|\[[^\[\]()<>%]*\]|\([^()\\]*\)|[^/\[\]()<>%]*))"
)
_SIMPLE_STRING = re.compile(rb"\([^()\\]*\)")
_OBJECT = re.compile(rb"(\d+)\s+(\d+)\s+obj\b")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")


class _Object:
    """One indirect object: its bytes between ``obj`` and ``endobj``, the span that may hold
    references (the whole object, or a stream's dictionary), and where the references are.
    (A plain class: importing dataclasses cost a print process ≈ 10 ms.)"""

    __slots__ = ("body", "head", "refs")

    def __init__(self, body: bytes, head: int, refs: list[tuple[int, int, int]]) -> None:
        self.body = body
        self.head = head  # bytes of ``body`` that are PDF syntax (the rest is stream data)
        self.refs = refs  # (start, end, object number) of every ``N 0 R`` in the head


def _fail(message: str = "a print batch's PDF is not in the shape the archive cut reads") -> UserError:
    return UserError(message, _BUG)


def _string_end(data: bytes, start: int) -> int:
    """The offset after the literal string opening at ``start`` (balanced parentheses, escapes)."""
    depth, n = 0, start
    while n < len(data):
        char = data[n]
        if char == 0x5C:  # backslash: the next byte is escaped
            n += 2
            continue
        if char == 0x28:
            depth += 1
        elif char == 0x29:
            depth -= 1
            if depth == 0:
                return n + 1
        n += 1
    raise _fail()


def _parse(body: bytes) -> _Object:
    """Tokenize an object's syntax (up to ``stream``) and note its references."""
    stream = _STREAM.search(body)
    head = body[: stream.start()] if stream else body
    if b"(" in head and b"%" not in head:
        # strings without parentheses or escapes (a bookmark's title) made empty arrays of their
        # length: still a token of their own (``1 0 (t) R`` is no reference), offsets kept
        plain = _SIMPLE_STRING.sub(lambda string: b"[" + b" " * (len(string.group()) - 2) + b"]", head)
        if b"(" not in plain and b")" not in plain:
            return _Object(body, len(head), [(m.start(), m.end(), int(m.group(1))) for m in _REF.finditer(plain)])
    elif b"%" not in head:
        # no string and no comment, where ``1 0 R`` would be text: every match is a reference
        return _Object(body, len(head), [(m.start(), m.end(), int(m.group(1))) for m in _REF.finditer(head)])
    return _parse_tokens(body)


def _parse_tokens(body: bytes) -> _Object:
    """:func:`_parse` token by token (any object; the reference its fast paths are tested against)."""
    refs: list[tuple[int, int, int]] = []
    numbers: list[tuple[int, bytes]] = []  # the last numbers seen, for ``N G R``
    n = 0
    while n < len(body):
        match = _TOKEN.match(body, n)
        if match is None:
            raise _fail()
        kind = match.lastgroup
        if kind == "string":
            n = _string_end(body, n)
            numbers.clear()
            continue
        n = match.end()
        if kind in ("ws", "comment"):
            continue
        if kind == "number":
            numbers = [*numbers[-1:], (match.start(), match.group())]
            continue
        if kind == "word":
            word = match.group()
            if word == b"R" and len(numbers) == 2 and b"." not in numbers[0][1] + numbers[1][1]:
                refs.append((numbers[0][0], match.end(), int(numbers[0][1])))
            elif word == b"stream":
                return _Object(body, match.start(), refs)
        numbers.clear()
    return _Object(body, len(body), refs)


class _Reader:
    """The objects of a PDF as Typst writes it, by number."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        tail = _STARTXREF.search(data, max(0, len(data) - 64))
        if tail is None:
            raise _fail()
        xref = int(tail.group(1))
        if not data.startswith(b"xref", xref):
            raise _fail()  # a cross-reference stream
        trailer = data.find(b"trailer", xref)
        if trailer < 0:
            raise _fail()
        offsets: dict[int, int] = {}
        lines = data[xref + 4 : trailer].split()
        n = 0
        while n < len(lines):
            first, count = int(lines[n]), int(lines[n + 1])
            entries = lines[n + 2 : n + 2 + 3 * count]
            for k in range(count):
                offset, kind = entries[3 * k], entries[3 * k + 2]
                if kind == b"n":
                    offsets[first + k] = int(offset)
            n += 2 + 3 * count
        self.offsets = offsets
        starts = sorted(offsets.values())
        following = dict(zip(starts, [*starts[1:], xref], strict=True))
        self.extent = {number: following[offset] for number, offset in offsets.items()}
        self.cache: dict[int, _Object] = {}
        self.dictionaries: dict[int, dict[bytes, bytes]] = {}
        self.trailer = self._dictionary(_parse(data[trailer + 7 : tail.start()]))
        self.header = data[: min(offsets.values())]

    def object(self, number: int) -> _Object:
        """Object ``number`` (generation 0, as Typst writes every object)."""
        found = self.cache.get(number)
        if found is None:
            offset = self.offsets.get(number)
            if offset is None:
                raise _fail()
            match = _OBJECT.match(self.data, offset)
            if match is None or int(match.group(1)) != number or match.group(2) != b"0":
                raise _fail()
            body = self.data[match.end() : self.extent[number]].rstrip()
            if not body.endswith(b"endobj"):
                raise _fail()
            found = self.cache[number] = _parse(body[:-6].strip())
        return found

    @staticmethod
    def _dictionary(item: _Object) -> dict[bytes, bytes]:
        """A dictionary's top-level entries as raw bytes (enough for the keys the cut reads)."""
        head = item.body[: item.head].strip()
        if not (head.startswith(b"<<") and head.endswith(b">>")):
            raise _fail()
        entries: dict[bytes, bytes] = {}
        n, end = 2, len(head) - 2
        while n < end:
            match = _FLAT_ENTRY.match(head, n, end)
            if match is None or match.end() == n:
                break
            entries[match.group(1)] = match.group(2).strip()
            n = match.end()
        if not head[n:end].strip(b"\x00\t\n\x0c\r "):
            return entries
        return _Reader._dictionary_tokens(head)

    @staticmethod
    def _dictionary_tokens(head: bytes) -> dict[bytes, bytes]:
        """:meth:`_dictionary` token by token (any dictionary; the reference its fast path is
        tested against)."""
        entries: dict[bytes, bytes] = {}
        depth, key, value_start, need_value, n = 0, b"", 0, False, 2
        end = len(head) - 2
        while n < end:
            match = _TOKEN.match(head, n)
            if match is None:
                raise _fail()
            kind, token = match.lastgroup, match.group()
            if kind == "string":
                n = _string_end(head, n)
                need_value = need_value and depth > 0
                continue
            n = match.end()
            if kind in ("ws", "comment"):
                continue
            if kind in ("dict", "array"):
                depth += 1 if token in (b"<<", b"[") else -1
                need_value = need_value and depth > 0
            elif depth == 0 and kind == "name" and not need_value:  # a key (a name value follows one)
                if key:
                    entries[key] = head[value_start : match.start()].strip()
                key, value_start, need_value = token, n, True
            elif depth == 0:
                need_value = False
        if key:
            entries[key] = head[value_start:end].strip()
        return entries

    def dictionary(self, number: int) -> dict[bytes, bytes]:
        """Object ``number``'s dictionary entries (raw bytes by key)."""
        found = self.dictionaries.get(number)
        if found is None:
            found = self.dictionaries[number] = self._dictionary(self.object(number))
        return found


def _ref(value: bytes | None) -> int:
    match = re.fullmatch(rb"(\d+)\s+0\s+R", value or b"")
    if match is None:
        raise _fail()
    return int(match.group(1))


def _pages(reader: _Reader, node: int) -> list[int]:
    """The page objects under a page-tree node, in order (a node with attributes its pages
    would inherit is refused: a copy's own page tree would lose them)."""
    entries = reader.dictionary(node)
    if entries.get(b"/Type") == b"/Page":
        return [node]
    if set(entries) - {b"/Type", b"/Kids", b"/Count", b"/Parent"}:
        raise _fail()
    kids = re.findall(rb"(\d+)\s+0\s+R", entries.get(b"/Kids", b""))
    return [page for kid in kids for page in _pages(reader, int(kid))]


def _start_page(reader: _Reader, item: int, index: dict[int, int]) -> int:
    """The page index a bookmark's explicit destination ``[page /XYZ …]`` points at."""
    destination = reader.dictionary(item).get(b"/Dest", b"")
    if destination.endswith(b"R"):
        target = reader.object(_ref(destination))
        destination = target.body[: target.head]
    match = re.match(rb"\[\s*(\d+)\s+0\s+R", destination)
    if match is None or int(match.group(1)) not in index:
        raise _fail("a print batch's bookmark points at no page")
    return index[int(match.group(1))]


def _pdf_string(text: str) -> bytes:
    """``text`` as a PDF text string: a literal for ASCII, UTF-16BE with its mark otherwise."""
    if text.isascii():
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + "".join(ch if " " <= ch <= "~" else f"\\{ord(ch):03o}" for ch in escaped).encode("ascii") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _copy(
    reader: _Reader, pages: list[int], parents: set[int], index: dict[int, int], info: bytes, seed: bytes
) -> bytes:
    """A PDF of ``pages`` and what they refer to: catalog 1, page tree 2, information 3, then
    the copied objects in the order they are first reached. ``index``: every page of the batch
    by its place; nothing of a letter may reach another letter's page (a link to another letter
    would copy it)."""
    numbers: dict[int, int] = {parent: 2 for parent in parents}
    order: list[int] = []
    queue = list(pages)
    for page in pages:
        numbers[page] = 4 + len(order)
        order.append(page)
    while queue:
        item = reader.object(queue.pop(0))
        for _, _, target in item.refs:
            if target not in numbers:
                if target in index:  # a page, and not one of the letter's: they are numbered
                    raise _fail("a letter in a print batch refers to another letter's page")
                numbers[target] = 4 + len(order)
                order.append(target)
                queue.append(target)
    kids = b" ".join(b"%d 0 R" % numbers[page] for page in pages)
    bodies = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Count %d/Kids[%s]>>" % (len(pages), kids),
        info,
    ]
    for number in order:
        item = reader.object(number)
        parts, last = [], 0
        for start, end, target in item.refs:
            parts += [item.body[last:start], b"%d 0 R" % numbers[target]]
            last = end
        parts.append(item.body[last:])
        bodies.append(b"".join(parts))
    out = [reader.header]
    size = len(reader.header)
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(size)
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        out.append(chunk)
        size += len(chunk)
    # the batch's /ID (Typst derives it from the batch) and the letter's info and pages: hashing
    # each copy's whole content cost ≈ 0.3 ms a CJK letter for the same uniqueness
    identifier = hashlib.md5(seed + info + kids, usedforsecurity=False).hexdigest().upper().encode("ascii")
    xref = [b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(bodies) + 1)]
    xref += [b"%010d 00000 n\r\n" % offset for offset in offsets]
    out += xref
    out.append(
        b"trailer\n<</Size %d/Root 1 0 R/Info 3 0 R/ID[<%s><%s>]>>\nstartxref\n%d\n%%%%EOF\n"
        % (len(bodies) + 1, identifier, identifier, size)
    )
    return b"".join(out)


def cut_letters(batch: bytes, references: list[str]) -> Iterator[tuple[bytes, int]]:
    """Every letter of a batch PDF as a PDF of its own, in print order: (bytes, pages), one at
    a time (a batch's copies together are ≈ 12–17 MiB, held by each printing process otherwise)."""
    reader = _Reader(batch)
    catalog = reader.dictionary(_ref(reader.trailer.get(b"/Root")))
    root = _ref(catalog.get(b"/Pages"))
    pages = _pages(reader, root)
    parents = {root} | {_ref(reader.dictionary(page).get(b"/Parent")) for page in pages}
    index = {page: n for n, page in enumerate(pages)}
    starts: list[int] = []
    if b"/Outlines" in catalog:
        item = reader.dictionary(_ref(catalog[b"/Outlines"])).get(b"/First")
        while item is not None and len(starts) <= len(references):
            number = _ref(item)
            starts.append(_start_page(reader, number, index))
            item = reader.dictionary(number).get(b"/Next")
    # one bookmark per letter, the first on the first page, each on a later page than the last
    # (titles are not compared: Typst may normalise white space in an account-derived reference)
    if len(starts) != len(references) or starts != sorted(set(starts)) or (starts and starts[0] != 0):
        raise UserError("a print batch's bookmarks do not match its letters", _BUG)
    bounds = [*starts, len(pages)]
    batch_info = reader.dictionary(_ref(reader.trailer.get(b"/Info"))) if b"/Info" in reader.trailer else {}
    kept = b"".join(key + (b"" if value[:1] in b"(</[" else b" ") + value for key in _INFO_KEYS
                    if (value := batch_info.get(key)) is not None)  # fmt: skip
    seed = reader.trailer.get(b"/ID", b"")
    for n, reference in enumerate(references):
        info = b"<<" + kept + b"/Title" + _pdf_string(reference) + b">>"
        own = pages[bounds[n] : bounds[n + 1]]
        # _copy numbers the letter's own pages first, so a page it reaches without a number is
        # another letter's: looked up in the batch's index, not in a set of the other pages
        # built for each letter (O(pages²) a batch)
        yield _copy(reader, own, parents, index, info, seed), len(own)
