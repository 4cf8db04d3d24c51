"""SMS encoding, length and segment count, as carriers bill them (3GPP TS 23.038 / 23.040).

A text that fits the GSM 03.38 default alphabet (plus its extension table) is sent as GSM-7:
160 septets in one message, 153 per segment once it is split (7 septets go to the
concatenation header). An extension character (``^{}\\[~]|€`` and form feed) is an escape
plus a character, so it takes two septets and is never split across segments. Anything else
(Chinese, emoji, curly quotes) forces UCS-2 for the whole message: 70 UTF-16 code units in
one message, 67 per segment, and a surrogate pair (an emoji) is never split either.

validate (the SMS length rule), render (``sms.jsonl``) and the handbook's gallery all count
with these three functions, so the numbers they show agree.
"""

from __future__ import annotations

from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet (the escape 0x1B itself is not a printable character).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (escape + character).
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

SINGLE = {"GSM-7": 160, "UCS-2": 70}
PER_SEGMENT = {"GSM-7": 153, "UCS-2": 67}


def encoding(text: str) -> Encoding:
    """``GSM-7`` when every character is in the GSM alphabet (or its extension), else ``UCS-2``."""
    for ch in text:
        if ch not in GSM_BASIC and ch not in GSM_EXTENSION:
            return "UCS-2"
    return "GSM-7"


def _units(text: str, enc: Encoding) -> list[int]:
    """The cost of each character in its encoding's units (septets or UTF-16 code units)."""
    if enc == "GSM-7":
        return [2 if ch in GSM_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def length(text: str) -> int:
    """The message length in its encoding's units: septets for GSM-7, UTF-16 code units for UCS-2."""
    return sum(_units(text, encoding(text)))


def segments(text: str) -> int:
    """How many SMS segments the text is sent as (an empty text is still one message)."""
    enc = encoding(text)
    units = _units(text, enc)
    if sum(units) <= SINGLE[enc]:
        return 1
    limit = PER_SEGMENT[enc]
    count, used = 1, 0
    for cost in units:
        # a two-unit character (escape pair, surrogate pair) never straddles two segments
        if used + cost > limit:
            count += 1
            used = 0
        used += cost
    return count


_GSM = GSM_BASIC | GSM_EXTENSION


def measure(text: str) -> tuple[Encoding, int, int]:
    """``(encoding(text), length(text), segments(text))`` in one pass over the text's
    characters instead of five (render measures every text it sends)."""
    chars = set(text)
    if chars <= _GSM:
        enc: Encoding = "GSM-7"
        extended = chars & GSM_EXTENSION
        total = len(text) + sum(text.count(ch) for ch in extended)
        doubled = bool(extended)
    else:
        enc = "UCS-2"
        total = len(text.encode("utf-16-le", "surrogatepass")) // 2  # as _units counts
        doubled = total != len(text)
    if total <= SINGLE[enc]:
        return enc, total, 1
    if not doubled:  # every character one unit: full segments, then the rest
        return enc, total, -(-total // PER_SEGMENT[enc])
    return enc, total, segments(text)


def describe(text: str) -> str:
    """``GSM-7, 142 characters, 1 segment`` — for messages and the handbook."""
    n = segments(text)
    return f"{encoding(text)}, {length(text)} characters, {n} segment{'s' if n != 1 else ''}"
