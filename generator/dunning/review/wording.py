"""A readable word-level diff of two template texts.

Chinese, Japanese and Korean text has no spaces between words, so it is compared one
character at a time; other scripts one word at a time; a Jinja tag (``{{ … }}``,
``{% … %}``) is one token, so a moved variable reads as one change. difflib's
SequenceMatcher does the matching (no junk heuristic: templates are short and every
token matters). Changes are shown as ``[-old-]{+new+}`` (git's word-diff notation) with a
little context, one hunk per line of the new text.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31a0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
TOKEN = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}"  # a Jinja tag is one token
    rf"|[{_CJK}]"  # one CJK character
    r"|\s+"  # a run of whitespace
    rf"|[^\s{_CJK}\W]+"  # a word (letters, digits, underscore)
    r"|.",  # any other single character (punctuation)
    re.DOTALL,
)
CONTEXT = 30  # characters of unchanged text shown either side of a change


def tokens(text: str) -> list[str]:
    """Split ``text`` into diff tokens; joining them gives ``text`` back."""
    return TOKEN.findall(text)


@dataclass(frozen=True)
class Hunk:
    """One changed place: its 1-based line in the new text and the marked-up excerpt."""

    line: int
    text: str


def _show(value: str) -> str:
    # Newlines inside a change are shown as ⏎ so that each hunk stays on one line.
    return value.replace("\r\n", "⏎").replace("\n", "⏎")


def word_diff(before: str, after: str) -> tuple[Hunk, ...]:
    """The changed places between ``before`` and ``after`` (empty when equal)."""
    a, b = tokens(before), tokens(after)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    ops = matcher.get_opcodes()
    hunks: list[Hunk] = []
    pending: list[str] = []
    pending_line = 0
    pending_tail = ""
    for index, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            continue
        old, new = "".join(a[i1:i2]), "".join(b[j1:j2])
        mark = (f"[-{_show(old)}-]" if old else "") + (f"{{+{_show(new)}+}}" if new else "")
        line = "".join(b[:j1]).count("\n") + 1
        lead = "".join(a[ops[index - 1][1] : ops[index - 1][2]]) if index and ops[index - 1][0] == "equal" else ""
        trail = "".join(a[ops[index + 1][1] : ops[index + 1][2]]) if index + 1 < len(ops) else ""
        trail = trail if index + 1 < len(ops) and ops[index + 1][0] == "equal" else ""
        if pending and pending_line == line and "\n" not in pending_tail and len(pending_tail) <= 2 * CONTEXT:
            # Close to the previous change on the same line: one hunk, not two.
            pending.append(_show(pending_tail) + mark)
        else:
            if pending:
                hunks.append(Hunk(pending_line, "".join(pending) + _tail(pending_tail)))
            pending = [_head(lead) + mark]
            pending_line = line
        pending_tail = trail
    if pending:
        hunks.append(Hunk(pending_line, "".join(pending) + _tail(pending_tail)))
    return tuple(hunks)


def _head(text: str) -> str:
    text = text.rsplit("\n", 1)[-1]
    return ("…" + text[-CONTEXT:]) if len(text) > CONTEXT else text


def _tail(text: str) -> str:
    text = text.split("\n", 1)[0]
    return (text[:CONTEXT] + "…") if len(text) > CONTEXT else text


def render_hunks(hunks: tuple[Hunk, ...]) -> str:
    """Hunks as text lines ``line N: excerpt``."""
    return "\n".join(f"line {h.line}: {h.text}" for h in hunks)


__all__ = ["Hunk", "render_hunks", "tokens", "word_diff"]
