"""Tone lint: find threatening, insulting, impersonating, shaming, exaggerating or falsely
urgent words.

The word lists are data (``lexicon/<locale>.txt``, one section per category) so compliance
staff can read and extend them; a policy adds its own through
``portfolio.settings.tone_extra_words``. Two kinds of entry:

* a word or phrase. English entries match whole words, case-insensitively, and a one-word
  entry matches its inflections too (``arrest`` → arrests, arrested, arresting; a policy's
  ``bailiffs`` → bailiff); Chinese entries match as substrings (Chinese has no spaces
  between words, and no inflections);
* a pattern, a line starting with ``~``: a regular expression (Python ``re``,
  case-insensitive) for a threat whose words vary — "we will call your employer", "通知您的
  家人", "再不还款…就上门…".

A locale without its own list uses the list of its language (``en-GB`` → ``en-US``).
Where hits overlap, the one that starts first (and at one offset the longest) is reported.
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
    "urgency": "false urgency",
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
def _entries(locale: str) -> tuple[tuple[str, str, bool], ...]:
    """(category, text, is_pattern) for every entry of ``locale``'s list (exact file, else
    the same language's file)."""
    files = _lexicon_files()
    text = files.get(locale)
    if text is None:
        language = locale.split("-", 1)[0]
        text = next((files[k] for k in sorted(files) if k.split("-", 1)[0] == language), "")
    out: list[tuple[str, str, bool]] = []
    category = "threat"
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            category = line[1:-1]
            continue
        if line.startswith("~"):
            out.append((category, line[1:].strip(), True))
        else:
            out.append((category, line, False))
    return tuple(out)


def lexicon(locale: str) -> tuple[tuple[str, str], ...]:
    """(category, phrase) pairs for ``locale`` (exact file, else the same language's file)."""
    return tuple((c, t) for c, t, pattern in _entries(locale) if not pattern)


def patterns(locale: str) -> tuple[tuple[str, str], ...]:
    """(category, regular expression) pairs for ``locale``."""
    return tuple((c, t) for c, t, pattern in _entries(locale) if pattern)


def word_forms(word: str) -> tuple[str, ...]:
    """A one-word English entry and its regular inflections (plural, past, -ing; ``bailiffs``
    also as ``bailiff``), the entry first. Irregular forms (thief → thieves) are entries of
    their own. Several-word phrases and non-Latin words are kept as they are."""
    if " " in word.strip() or not re.fullmatch(r"[A-Za-z]+", word):
        return (word,)
    forms = [word, f"{word}s", f"{word}es", f"{word}ed", f"{word}d", f"{word}ing"]
    if word.endswith("e"):
        forms.append(f"{word[:-1]}ing")
    if word.endswith("y") and len(word) > 3:
        forms += [f"{word[:-1]}ies", f"{word[:-1]}ied"]
    if word.endswith("s") and len(word) > 4:
        forms.append(word[:-1])
        if word.endswith("es"):
            forms.append(word[:-2])
    return tuple(dict.fromkeys(forms))


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
    # the listed words first, then their forms: a form that is itself an entry keeps its category
    entries = (*lexicon(locale), *(("policy", w) for w in extra))
    for category, phrase in entries:
        if phrase.strip():
            categories.setdefault(_key(phrase), category)
    for category, phrase in entries:
        for form in word_forms(phrase.strip())[1:]:
            categories.setdefault(_key(form), category)
    phrases = sorted(categories, key=lambda k: (-len(k), k))
    words = [r"\s+".join(re.escape(w) for w in p.split()) for p in phrases if _is_wordy(p)]
    others = [re.escape(p) for p in phrases if not _is_wordy(p)]
    branches = []
    if words:
        branches.append(rf"(?<![A-Za-z])(?:{'|'.join(words)})(?![A-Za-z])")
    if others:
        branches.append("|".join(others))
    return re.compile("|".join(branches) or r"(?!)", re.IGNORECASE), categories


# A hit right after a negation (at most one word between) is a promise not to, not a threat:
# "we will never contact your employer", "我们不会通知您的家人". "We won't hesitate to sue
# you" keeps its hit (two words between).
_NEGATION = {
    "en": re.compile(r"\b(?:never|not|n't|no)\s+(?:[\w'-]+\s+)?\Z", re.IGNORECASE),
    "zh": re.compile(r"(?:不会|不得|绝不|从不|不|禁止|严禁)(?:向|把|将|对)?\Z"),
}


@functools.lru_cache(maxsize=16)
def _patterns(locale: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((category, re.compile(source, re.IGNORECASE)) for category, source in patterns(locale))


def find(text: str, locale: str, extra: Iterable[str] = ()) -> list[ToneHit]:
    """Every banned word, phrase or pattern in ``text``, by offset; where hits overlap, the
    one that starts first (and at one offset the longest) is the finding: "we will sue" and
    "sue you" in "we will sue you" are one finding."""
    pattern, categories = _matcher(locale, tuple(extra))
    found = [(m.start(), m.end(), categories.get(_key(m.group(0)), "policy")) for m in pattern.finditer(text)]
    for category, compiled in _patterns(locale):
        found.extend((m.start(), m.end(), category) for m in compiled.finditer(text) if m.end() > m.start())
    hits: list[ToneHit] = []
    end = -1
    negation = _NEGATION.get(locale.split("-", 1)[0])
    for start, stop, category in sorted(found, key=lambda f: (f[0], -f[1])):
        if negation is not None and negation.search(text, max(0, start - 40), start):
            continue  # "we will never contact your employer" is a promise, not a threat
        if start >= end:
            hits.append(ToneHit(start, text[start:stop], category))
            end = stop
    return hits
