"""Disclosure texts: opt-out per jurisdiction × channel × locale, mini-Miranda, validation end."""

from __future__ import annotations

from datetime import date

import pytest

from dunning.compliance.texts import compliance_context, mini_miranda, opt_out, validation_end


@pytest.mark.parametrize(
    ("jurisdiction", "channel", "locale", "expected"),
    [
        ("CN", "sms", "zh-CN", "回复TD退订"),
        ("US", "sms", "en-US", "Reply STOP to opt out."),
        ("US-MA", "sms", "en-US", "Reply STOP to opt out."),
        ("US", "email", "en-US", "To stop emails about this debt, unsubscribe at https://x.example/p or reply STOP."),
        ("CN", "email", "zh-CN", "如不希望再收到此类邮件，请访问 https://x.example/p 退订。"),
        ("GB", "sms", "en-GB", "Reply STOP to opt out."),
        ("US", "letter", "en-US", ""),
        ("CN", "call", "zh-CN", ""),
    ],
)
def test_opt_out_texts(jurisdiction: str, channel: str, locale: str, expected: str) -> None:
    assert opt_out(jurisdiction, channel, locale, "https://x.example/p") == expected


def test_email_opt_out_without_a_url_names_the_link() -> None:
    assert opt_out("US", "email", "en-US") == (
        "To stop emails about this debt, unsubscribe with the unsubscribe link in this email or reply STOP."
    )


def test_mini_miranda_is_us_only() -> None:
    assert mini_miranda("US", "en-US") == (
        "This communication is from a debt collector. This is an attempt to collect a debt and any "
        "information obtained will be used for that purpose."
    )
    assert mini_miranda("US-MA", "en-US", short=True) == "This is a communication from a debt collector."
    assert mini_miranda("CN", "zh-CN") == ""
    assert mini_miranda("GB", "en-GB") == ""


@pytest.mark.parametrize(
    ("sent", "end"),
    [
        # Wed before Thanksgiving: Thu 11-26 is a holiday, so the 5th business day is Thu 12-03.
        (date(2026, 11, 25), date(2027, 1, 2)),
        # New Year's Eve: Fri 01-01 holiday, weekend; 5th business day is Fri 01-08.
        (date(2026, 12, 31), date(2027, 2, 7)),
        # An ordinary Monday: Mon 11-02 → Mon 11-09 (Veterans Day is Wed 11-11, after).
        (date(2026, 11, 2), date(2026, 12, 9)),
        # Friday 11-06: Mon 09, Tue 10, (Wed 11 Veterans Day), Thu 12, Fri 13, Mon 16 → +30.
        (date(2026, 11, 6), date(2026, 12, 16)),
    ],
)
def test_validation_end_per_1006_34_b_5(sent: date, end: date) -> None:
    assert validation_end(sent) == end


def test_context_shape() -> None:
    assert compliance_context(jurisdiction="CN", channel="sms", locale="zh-CN", sent_on=date(2026, 11, 2)) == {
        "opt_out": "回复TD退订",
        "mini_miranda": "",
        "mini_miranda_short": "",
        "validation_end": None,
    }
    us = compliance_context(jurisdiction="US", channel="letter", locale="en-US", sent_on=date(2026, 11, 2))
    assert us["validation_end"] == date(2026, 12, 9)
    assert us["opt_out"] == ""


def test_a_language_without_its_own_text_gets_the_english_one() -> None:
    assert opt_out("GB", "sms", "zh-CN") == "Reply STOP to opt out."
    assert opt_out("US", "email", "fr-FR") == (
        "To stop emails about this debt, unsubscribe with the unsubscribe link in this email or reply STOP."
    )
    assert mini_miranda("US", "fr-FR") == (
        "This communication is from a debt collector. This is an attempt to collect a debt and any "
        "information obtained will be used for that purpose."
    )
    assert mini_miranda("US-MA", "zh-CN", short=True) == "这是来自债务催收方的信息。"
    # the language is the locale's first part, whatever follows it
    assert opt_out("CN", "sms", "zh-Hans-CN") == "回复TD退订"


def test_a_chinese_email_without_a_url_names_the_link_in_chinese() -> None:
    assert opt_out("CN", "email", "zh-CN") == "如不希望再收到此类邮件，请使用本邮件中的退订链接退订。"


def test_the_context_of_a_subdivision_and_without_a_url() -> None:
    context = compliance_context(jurisdiction="US-MA", channel="email", locale="en-US", sent_on=date(2026, 11, 2))
    assert context == {
        "opt_out": "To stop emails about this debt, unsubscribe with the unsubscribe link in this email or reply STOP.",
        "mini_miranda": mini_miranda("US", "en-US"),
        "mini_miranda_short": "This is a communication from a debt collector.",
        "validation_end": validation_end(date(2026, 11, 2)),
    }
