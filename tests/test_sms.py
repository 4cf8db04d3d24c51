"""SMS encoding, length and segments as carriers count them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dunning.text.sms import GSM_BASIC, GSM_EXTENSION, describe, encoding, length, measure, segments


@pytest.mark.parametrize(
    ("text", "enc", "size", "parts"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters count double
        ("{" * 81, "GSM-7", 162, 2),
        ("^{}\\[~]|€", "GSM-7", 18, 1),
        ("a" * 152 + "€" + "a" * 8, "GSM-7", 162, 2),  # the escape pair moves whole to segment 2
        ("Ça coûte 5 €", "UCS-2", 12, 1),  # û is not in the GSM alphabet
        ("你" * 70, "UCS-2", 70, 1),
        ("你" * 71, "UCS-2", 71, 2),
        ("你" * 134, "UCS-2", 134, 2),
        ("你" * 135, "UCS-2", 135, 3),
        ("😀" * 35, "UCS-2", 70, 1),  # a surrogate pair is two UTF-16 code units
        ("a" * 66 + "😀", "UCS-2", 68, 1),
        ("【示例金融】您好", "UCS-2", 8, 1),
        # the first character above the BMP (U+10000) is a surrogate pair; the last BMP one is not
        ("\U00010000", "UCS-2", 2, 1),
        ("\uffff", "UCS-2", 1, 1),
    ],
)
def test_encoding_length_segments(text: str, enc: str, size: int, parts: int) -> None:
    assert (encoding(text), length(text), segments(text)) == (enc, size, parts)
    assert measure(text) == (enc, size, parts)


# texts around the segment limits: GSM letters, extension characters, CJK, emoji, a lone surrogate
_PIECES = st.sampled_from(["a", "€", "{", "\n", "你", "😀", "û", "\ud800", "ab" * 40, "你" * 30, "€" * 20])


@given(st.lists(_PIECES, max_size=40).map("".join))
def test_measure_is_encoding_length_and_segments_at_once(text: str) -> None:
    assert measure(text) == (encoding(text), length(text), segments(text))


@given(st.text(alphabet=st.sampled_from(sorted(GSM_BASIC | GSM_EXTENSION)), max_size=500))
def test_measure_agrees_on_any_gsm_text(text: str) -> None:
    assert measure(text) == (encoding(text), length(text), segments(text))


def test_surrogate_pair_not_split() -> None:
    text = "你" * 66 + "😀" + "你" * 10  # 66 + 2 + 10 = 78 units; the emoji starts segment 2
    assert segments(text) == 2
    assert segments("你" * 133 + "😀") == 3  # 67 | 66 + emoji would be 68 > 67 → third segment


def test_describe() -> None:
    assert describe("hello") == "GSM-7, 5 characters, 1 segment"
    assert describe("你" * 71) == "UCS-2, 71 characters, 2 segments"
