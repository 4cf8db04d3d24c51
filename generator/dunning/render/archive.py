"""Archive copies: each letter's pages cut out of its print batch's PDF.

Typesetting a letter on its own cost 4–6 ms of CPU (Typst memoizes the layout of what
letters share only within one document), typesetting it in its batch ≈ 2 ms, and cutting its
pages out of the batch ≈ 0.5 ms (measured, docs/render.md "Letters"). So every letter is typeset
once, in its batch, and its archive copy is those pages as a PDF of their own: the same page
objects (content, fonts, page size), hence the same text under ``pdftotext``.

The batch PDF carries one bookmark per letter, titled with its reference, on the letter's first
page (:func:`dunning.render.typeset.batch_pdf`); the bookmarks give every letter's page range,
which the batch index uses too. A bookmark list that does not hold one bookmark per letter, in page
order, is a bug, reported as such rather than cutting the wrong pages.

Byte-stable: the copy's document information is the batch's (creator, dates: the posting date)
with the letter's reference as its title, and its /ID is derived from its content
(``deterministic_id``), never random. A copy embeds the fonts of its batch (Typst subsets a font
once per document): for CJK letters a few tens of kB more than a copy typeset on its own.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from dunning.errors import UserError

# the document information a copy keeps from its batch (its title is the letter's reference)
_INFO_KEYS = ("/Creator", "/Producer", "/CreationDate", "/ModDate")


def cut_letters(batch: bytes, references: list[str]) -> Iterator[tuple[bytes, int]]:
    """Every letter of a batch PDF as a PDF of its own, in print order: (bytes, pages), one at
    a time (a batch's copies together are ≈ 12–17 MiB, held by each printing process otherwise)."""
    import pikepdf

    source = pikepdf.open(io.BytesIO(batch))
    index = {page.objgen: n for n, page in enumerate(source.pages)}
    with source.open_outline() as outline:
        starts = [_page_of(item.destination, index) for item in outline.root]
    # one bookmark per letter, the first on the first page, each on a later page than the last
    # (titles are not compared: Typst may normalise white space in an account-derived reference)
    if len(starts) != len(references) or starts != sorted(set(starts)) or (starts and starts[0] != 0):
        raise UserError("a print batch's bookmarks do not match its letters", "report this as a dunning bug")
    bounds = [*starts, len(source.pages)]
    batch_info = source.docinfo
    info = {key: batch_info[key] for key in _INFO_KEYS if key in batch_info}
    for n, reference in enumerate(references):
        copy = pikepdf.new()
        copy.pages.extend(source.pages[bounds[n] : bounds[n + 1]])
        for page in copy.pages:
            # a tagged batch's structure tree stays behind: no key may point into it
            if "/StructParents" in page.obj:
                del page.obj["/StructParents"]
        copy.docinfo = copy.make_indirect(pikepdf.Dictionary({**info, "/Title": pikepdf.String(reference)}))
        buffer = io.BytesIO()
        copy.save(buffer, deterministic_id=True, min_version=source.pdf_version)
        yield buffer.getvalue(), bounds[n + 1] - bounds[n]


def _page_of(destination: Any, index: dict[Any, int]) -> int:
    """The page index a bookmark's explicit destination ``[page /XYZ …]`` points at."""
    try:
        return index[destination[0].objgen]
    except (TypeError, KeyError, IndexError, AttributeError):
        raise UserError("a print batch's bookmark points at no page", "report this as a dunning bug") from None
