"""Tone lexicons: what they catch, what they must not catch, and policy extensions."""

from __future__ import annotations

import pytest

from dunning.text.tone import find, lexicon, patterns


@pytest.mark.parametrize(
    ("text", "locale", "hits"),
    [
        ("Pay now or we will SUE you.", "en-US", [(0, "Pay now or", "urgency"), (11, "we will SUE", "threat")]),
        ("The Police will call.", "en-US", [(4, "Police", "impersonation")]),
        ("You are on our blacklist", "en-US", [(15, "blacklist", "blacklist")]),
        ("We will  tell\nyour employer", "en-US", [(0, "We will  tell\nyour employer", "shaming")]),
        ("They will  tell\nyour employer", "en-US", [(11, "tell\nyour employer", "shaming")]),
        ("Our policy is to help.", "en-US", []),  # "police" is a whole word, not a prefix
        ("Please check your first payment.", "en-US", []),  # "irs" only as a word
        ("Hello, Firstname.", "en-GB", []),  # en-GB falls back to the English list
        ("你这个老赖", "zh-CN", [(3, "老赖", "insult")]),
        ("再不还款就坐牢，公检法已介入", "zh-CN", [(5, "坐牢", "threat"), (8, "公检法", "impersonation")]),
        ("如未收到，请查看垃圾邮件。", "zh-CN", []),  # the spam folder is not an insult
        ("我们会联系你的亲属", "zh-CN", [(3, "联系你的亲属", "shaming")]),  # a pattern: any relative
    ],
)
def test_find(text: str, locale: str, hits: list[tuple[int, str, str]]) -> None:
    assert [(h.offset, h.phrase, h.category) for h in find(text, locale)] == hits


def test_policy_words_extend_the_list() -> None:
    hits = find("Final Warning: pay today", "en-US", ["final warning"])
    assert [(h.offset, h.phrase, h.category) for h in hits] == [(0, "Final Warning", "policy")]


def test_every_category_has_words_in_both_languages() -> None:
    for locale in ("en-US", "zh-CN"):
        categories = {c for c, _ in (*lexicon(locale), *patterns(locale))}
        assert categories == {"threat", "impersonation", "blacklist", "insult", "shaming", "exaggeration", "urgency"}
