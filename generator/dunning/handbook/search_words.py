"""Chinese words for the handbook's search: jieba with its dictionary narrowed to the handbook.

Material's search plugin cuts every run of Han characters into words with jieba (without it
催收 matches no page). jieba's first cut loads its whole dictionary, 349,046 words: 0.62 s of
CPU unmarshalling the prefix table it caches in the temporary folder (``jieba.cache``, 9 MB,
written there by the first run on a machine), a fifth of a handbook build's CPU and the
handbook's largest single cost in ``dunning build``. A handbook uses a few hundred distinct
characters (the example: 414 Chinese ones among 543), so only the dictionary's words made of
them can ever be cut out of its text: 19,224 of them. :func:`narrowed_words` gives jieba those
alone (0.15–0.18 s with reading the sources, measured; nothing read from or written to the
temporary folder) and the same words out:

- jieba chooses a cut by its words' frequencies over the dictionary's total
  (``log(freq) - log(total)`` a word), so the narrowed table keeps the whole dictionary's
  total, and a cut scores exactly as with the whole dictionary;
- a word with a character that is not in the text can never be a candidate, nor a prefix
  of one that is (jieba's prefix table stops at the first character a text does not have),
  and the unknown runs jieba hands to its HMM are the same, since they depend only on which
  words are candidates;
- a text with a character outside the narrowed set (a page the set was not read from) is cut
  with the whole dictionary, so what the search index holds never depends on the narrowing.
  That dictionary is jieba's default one loaded by a tokenizer of its own, whose
  ``jieba.cache`` goes to a folder of the build's that is removed with the build's end: a
  build leaves nothing in the temporary folder either way (it pays the 0.6 s once a build
  when it falls back, which a handbook made from its own sources does not).

The whole dictionary's total is a sum over its 349,046 lines (0.07 s of CPU, a third of the
narrowing): for jieba's own dictionary it is known, by the file's SHA-256 (3 ms), and any other
file is summed.

It reads jieba 0.42's tokenizer fields (``FREQ``, ``total``, ``initialized``) and its own
``gen_pfdict``; jieba has not changed since 2020 and is pinned below 1.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# the sources the site is made of: the pages and the navigation's titles
_TEXT_SUFFIXES = (".md", ".yml", ".yaml")
_FREQUENCY = re.compile(rb"^\S+ (\d+)", re.MULTILINE)
# the sum of the frequencies of jieba's default dictionary (``dict.txt`` of jieba 0.42.1), by the
# file's SHA-256: tests/handbook/test_search_words.py sums the installed one to check it
KNOWN_TOTALS = {"7197c3211ddd98962b036cdf40324d1ea2bfaa12bd028e68faa70111a88e12a8": 60_101_967}


def handbook_characters(src_dir: Path) -> frozenset[str]:
    """Every character of the handbook's generated sources (what the pages' text is made of)."""
    chars: set[str] = set()
    for path in sorted(src_dir.rglob("*")):
        if path.suffix in _TEXT_SUFFIXES and path.is_file():
            chars.update(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(chars)


def dictionary_total(raw: bytes) -> int:
    """The sum of every word's frequency in a jieba dictionary file (what jieba's own loading
    computes as ``total``): known for jieba's default dictionary, else summed."""
    known = KNOWN_TOTALS.get(hashlib.sha256(raw).hexdigest())
    return known if known is not None else sum(map(int, _FREQUENCY.findall(raw)))


def narrowed_tokenizer(jieba: Any, chars: frozenset[str]) -> Any:
    """A jieba tokenizer that knows the words of the default dictionary made of ``chars``
    alone, scored against the whole dictionary's total."""
    with jieba.get_dict_file() as dictionary:
        raw: bytes = dictionary.read()
    total = dictionary_total(raw)
    data = raw.decode("utf-8")
    # words (the dictionary's first field) of these characters only, in the file's order, so a
    # word listed twice keeps the frequency jieba would keep (its last)
    allowed = "".join(re.escape(c) for c in sorted(chars) if not c.isspace())
    lines = re.findall(rf"^[{allowed}]+ .*$", data, re.MULTILINE) if allowed else []
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, _narrow_total = tokenizer.gen_pfdict(io.BytesIO("\n".join(lines).encode("utf-8")))
    tokenizer.total = total
    tokenizer.initialized = True
    return tokenizer


@contextmanager
def narrowed_words(jieba: Any, src_dir: Path) -> Iterator[None]:
    """While the block runs, ``jieba.cut`` (what Material calls) cuts with the dictionary
    narrowed to ``src_dir``'s characters, and with the whole one for a text it does not cover."""
    chars = handbook_characters(src_dir)
    narrow = narrowed_tokenizer(jieba, chars)
    before: Callable[..., Iterator[str]] = jieba.cut
    # the whole dictionary's tokenizer and its cache folder, made on the first text that needs
    # them (none for a handbook cut from its own sources): a folder made up front was left
    # behind, empty, by every handbook process a stopped build ends without unwinding it
    whole: list[Any] = []
    scratch: list[str] = []

    def cut(sentence: str | bytes, *args: Any, **kwargs: Any) -> Iterator[str]:
        text = sentence.decode("utf-8") if isinstance(sentence, bytes) else sentence
        if chars.issuperset(text):
            return narrow.cut(text, *args, **kwargs)  # type: ignore[no-any-return]
        if not whole:
            scratch.append(tempfile.mkdtemp(prefix="dunning-jieba-"))
            tokenizer = jieba.Tokenizer()
            tokenizer.tmp_dir = scratch[0]  # its jieba.cache, removed with this folder
            tokenizer.initialize()  # now, while the folder exists (a cut is a lazy generator)
            whole.append(tokenizer)
        return whole[0].cut(text, *args, **kwargs)  # type: ignore[no-any-return]

    jieba.cut = cut
    try:
        yield
    finally:
        jieba.cut = before
        for folder in scratch:
            shutil.rmtree(folder, ignore_errors=True)
