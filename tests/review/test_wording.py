"""The word-level template diff."""

from __future__ import annotations

from dunning.review.wording import render_hunks, tokens, word_diff


def test_tokens_split_words_cjk_characters_and_jinja_tags() -> None:
    assert tokens("您好{{ account.name }}，请还款。Pay now, ok") == [
        "您", "好", "{{ account.name }}", "，", "请", "还", "款", "。", "Pay", " ", "now", ",", " ", "ok",
    ]  # fmt: skip
    text = "Dear {{ name }},\n{% if x %}due{% endif %}\n"
    assert "".join(tokens(text)) == text


def test_equal_texts_have_no_hunks() -> None:
    assert word_diff("same text\n", "same text\n") == ()


def test_one_hunk_per_line_with_context() -> None:
    before = "Dear {{ name }},\nPlease pay your balance of {{ amt }} today.\nThanks, the team\n"
    after = "Dear {{ name }},\nPlease settle your balance of {{ amt }} this week.\nThanks, the team.\n"
    assert render_hunks(word_diff(before, after)) == (
        "line 2: Please [-pay-]{+settle+} your balance of {{ amt }} [-today-]{+this week+}.\n"
        "line 3: Thanks, the team{+.+}"
    )


def test_a_variable_swap_is_one_change() -> None:
    hunks = word_diff("Total: {{ account.overdue_amount | money }}", "Total: {{ offer.total | money }}")
    assert render_hunks(hunks) == "line 1: Total: [-{{ account.overdue_amount | money }}-]{+{{ offer.total | money }}+}"


def test_newlines_inside_a_change_stay_on_one_line() -> None:
    # A run of whitespace is one token, so a blank line added reads as the run replaced.
    assert render_hunks(word_diff("a\nb", "a\n\nb")) == "line 1: a[-⏎-]{+⏎⏎+}b"
