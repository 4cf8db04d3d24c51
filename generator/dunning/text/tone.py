"""Tone lint: find threatening, insulting, impersonating, shaming or exaggerating words.

The word lists are data (``lexicon/<locale>.txt``, one section per category) so compliance
staff can read and extend them; a policy adds its own through
``portfolio.settings.tone_extra_words``. English entries match whole words, case-insensitively;
Chinese entries match as substrings (Chinese has no spaces between words). A locale without
its own list uses the list of its language (``en-GB`` → ``en-US``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

CATEGORIES = {
    "threat": "threatening language",
    "impersonation": "impersonating courts, police or government",
    "blacklist": "a fake blacklist or credit threat",
    "insult": "an insult",
    "shaming": "shaming or telling third parties",
    "exaggeration": "exaggerated consequences",
    "policy": "a word this policy bans",
}


@dataclass(frozen=True)
class ToneHit:
    """One banned word at a character offset of the checked text."""

    offset: int
    phrase: str
    category: str


def _lexicon_files() -> dict[str, str]:
    folder = resources.files("dunning.text") / "lexicon"
    return {
        p.name.removesuffix(".txt"): p.read_text(encoding="utf-8") for p in folder.iterdir() if p.name.endswith(".txt")
    }


@functools.cache
def lexicon(locale: str) -> tuple[tuple[str, str], ...]:
    """(category, phrase) pairs for ``locale`` (exact file, else the same language's file)."""
    files = _lexicon_files()
    text = files.get(locale)
    if text is None:
        language = locale.split("-", 1)[0]
        text = next((files[k] for k in sorted(files) if k.split("-", 1)[0] == language), "")
    out: list[tuple[str, str]] = []
    category = "threat"
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            category = line[1:-1]
            continue
        out.append((category, line))
    return tuple(out)


def _is_wordy(phrase: str) -> bool:
    return re.search(r"[A-Za-z]", phrase) is not None


def _key(phrase: str) -> str:
    return " ".join(phrase.casefold().split())


@functools.lru_cache(maxsize=64)
def _matcher(locale: str, extra: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every phrase of ``locale`` and the category of each phrase.

    Two alternations, longest phrase first so that the longest phrase at an offset wins:
    the phrases with Latin letters as whole words (one shared word-boundary guard), then the
    others as substrings. At an offset where both kinds match, the whole-word one wins.
    One compiled pattern instead of one per phrase: compiling ~100 small case-insensitive
    patterns with their own guards was a tenth of ``dunning validate``."""
    categories: dict[str, str] = {}
    for category, phrase in (*lexicon(locale), *(("policy", w) for w in extra)):
        if phrase.strip():
            categories.setdefault(_key(phrase), category)
    phrases = sorted(categories, key=lambda k: (-len(k), k))
    words = [r"\s+".join(re.escape(w) for w in p.split()) for p in phrases if _is_wordy(p)]
    others = [re.escape(p) for p in phrases if not _is_wordy(p)]
    branches = []
    if words:
        branches.append(rf"(?<![A-Za-z])(?:{'|'.join(words)})(?![A-Za-z])")
    if others:
        branches.append("|".join(others))
    return re.compile("|".join(branches) or r"(?!)", re.IGNORECASE), categories


def find(text: str, locale: str, extra: Iterable[str] = ()) -> list[ToneHit]:
    """Every banned word or phrase in ``text``, by offset; where hits overlap, the one that
    starts first (and at one offset the longest) is the finding: "we will sue" and "sue you"
    in "we will sue you" are one finding."""
    pattern, categories = _matcher(locale, tuple(extra))
    return [ToneHit(m.start(), m.group(0), categories.get(_key(m.group(0)), "policy")) for m in pattern.finditer(text)]
