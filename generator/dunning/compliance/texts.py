"""The disclosure texts templates get as ``compliance.*`` (see :mod:`dunning.templating.context_spec`).

* ``opt_out`` — the opt-out instruction a jurisdiction requires on a channel, in the message
  locale: US texts and emails (12 CFR 1006.6(e)), UK texts and emails (PECR reg. 22(3)),
  China's texts (the carriers' 退订 keyword, read strictly: on every collection text).
  Letters, calls and visits carry none.
* ``mini_miranda`` / ``mini_miranda_short`` — the debt-collector disclosure of
  12 CFR 1006.18(e) (US only): the full form for the first communication, the short form
  for later ones. Limited-content voicemails must carry neither (validate checks that).
* ``validation_end`` — 12 CFR 1006.34(b)(5): the validation period ends 30 days after the
  consumer receives the notice, and a collector may assume receipt 5 days after sending,
  not counting Saturdays, Sundays and legal public holidays. So: the send date, plus 5
  such business days, plus 30 calendar days (no exclusions in the 30). Observed holidays
  are skipped too — the later end date, stricter for the collector.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dunning.compliance.calendar import country_calendar

RECEIPT_BUSINESS_DAYS = 5
VALIDATION_PERIOD_DAYS = 30

MINI_MIRANDA = {
    "en": (
        "This communication is from a debt collector. This is an attempt to collect a debt and any "
        "information obtained will be used for that purpose."
    ),
    "zh": "本信息来自债务催收方。这是催收债务的行为，所获得的任何信息都将仅用于该目的。",
}
MINI_MIRANDA_SHORT = {
    "en": "This is a communication from a debt collector.",
    "zh": "这是来自债务催收方的信息。",
}

# (country, channel, language) -> text; "{url}" is the policy's contact-preferences page.
OPT_OUT: dict[tuple[str, str, str], str] = {
    ("US", "sms", "en"): "Reply STOP to opt out.",
    ("US", "sms", "zh"): "回复STOP退订短信。",
    ("US", "email", "en"): "To stop emails about this debt, unsubscribe at {url} or reply STOP.",
    ("US", "email", "zh"): "如不希望再收到关于此债务的邮件，请访问 {url} 退订，或回复STOP。",
    ("GB", "sms", "en"): "Reply STOP to opt out.",
    ("GB", "email", "en"): "To stop emails about this account, unsubscribe at {url}.",
    ("CN", "sms", "zh"): "回复TD退订",
    ("CN", "sms", "en"): "Reply TD to unsubscribe.",
    ("CN", "email", "zh"): "如不希望再收到此类邮件，请访问 {url} 退订。",
    ("CN", "email", "en"): "To stop these emails, unsubscribe at {url}.",
}
_NO_URL = {"en": "the unsubscribe link in this email", "zh": "本邮件中的退订链接"}


def _language(locale: str) -> str:
    return locale.split("-", 1)[0].lower() or "en"


def opt_out(jurisdiction: str, channel: str, locale: str, unsubscribe_url: str = "") -> str:
    """The opt-out instruction for a message ('' where none is required)."""
    country = jurisdiction.split("-", 1)[0]
    language = _language(locale)
    text = OPT_OUT.get((country, channel, language)) or OPT_OUT.get((country, channel, "en"), "")
    if "{url}" in text:
        if unsubscribe_url:
            return text.replace("{url}", unsubscribe_url)
        # without a URL, name the link instead of leaving a blank
        words = _NO_URL.get(language, _NO_URL["en"])
        return text.replace("at {url}", f"with {words}").replace("访问 {url} ", f"使用{words}")
    return text


def mini_miranda(jurisdiction: str, locale: str, *, short: bool = False) -> str:
    """The 1006.18(e) disclosure for US accounts ('' elsewhere)."""
    if jurisdiction.split("-", 1)[0] != "US":
        return ""
    table = MINI_MIRANDA_SHORT if short else MINI_MIRANDA
    return table.get(_language(locale), table["en"])


def validation_end(sent_on: date) -> date:
    """Last day of the validation period for a notice sent on ``sent_on`` (12 CFR 1006.34(b)(5))."""
    # only the US calendar is loaded: validate renders the US notices for its sample personas on
    # every run, and importing every country's calendar for them was ≈ 0.1 s of each run
    calendar = country_calendar("US")
    day, counted = sent_on, 0
    while counted < RECEIPT_BUSINESS_DAYS:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            counted += 1
    return day + timedelta(days=VALIDATION_PERIOD_DAYS)


def compliance_context(
    *, jurisdiction: str, channel: str, locale: str, sent_on: date, unsubscribe_url: str = ""
) -> dict[str, Any]:
    """The ``compliance`` object of the template context for one message."""
    us = jurisdiction.split("-", 1)[0] == "US"
    return {
        "opt_out": opt_out(jurisdiction, channel, locale, unsubscribe_url),
        "mini_miranda": mini_miranda(jurisdiction, locale),
        "mini_miranda_short": mini_miranda(jurisdiction, locale, short=True),
        "validation_end": validation_end(sent_on) if us else None,
    }


@dataclass(frozen=True)
class NoticeElement:
    """One element a US validation notice must show (12 CFR 1006.34(c)): what it is, where the
    regulation asks for it, and what a rendered notice must contain — a value of the
    notice's own context (``account.itemization.amount`` formatted as money …) or, for the
    model form's statements, fixed English words."""

    name: str
    citation: str
    value: str = ""  # dotted path into the template context ("" for a fixed phrase)
    format: str = ""  # money | date | mask ("" for text as it is)
    phrase: str = ""  # fixed words (English notices only)
    only_if: str = ""  # dotted path that must be non-empty for the element to be required


# Model form B-1 (12 CFR part 1006, appendix B) is the layout; these are the contents the
# regulation requires in it. Stricter readings: payments and credits are itemized on their own
# lines, as 1006.34(c)(2)(viii) lists them (the model form joins them); the electronic-dispute
# statement is required whenever the policy gives the company an email address.
VALIDATION_NOTICE: tuple[NoticeElement, ...] = (
    NoticeElement("the debt-collector disclosure", "1006.34(c)(1)", value="compliance.mini_miranda"),
    NoticeElement("the debt collector's name", "1006.34(c)(2)(i)", value="company.name"),
    NoticeElement(
        "the debt collector's mailing address",
        "1006.34(c)(2)(i)",
        value="company.postal_address",
        only_if="company.postal_address",
    ),
    NoticeElement("the consumer's name", "1006.34(c)(2)(ii)", value="account.name"),
    NoticeElement(
        "the consumer's mailing address", "1006.34(c)(2)(ii)", value="account.address", only_if="account.address"
    ),
    NoticeElement(
        "the creditor on the itemization date",
        "1006.34(c)(2)(iii)",
        value="account.original_creditor",
        only_if="account.original_creditor",
    ),
    NoticeElement("the account number", "1006.34(c)(2)(iv)", value="account.id", format="mask"),
    NoticeElement("the current creditor", "1006.34(c)(2)(v)", value="account.creditor"),
    NoticeElement("the itemization date", "1006.34(c)(2)(vi)", value="account.itemization.date", format="date"),
    NoticeElement(
        "the amount on the itemization date",
        "1006.34(c)(2)(vii)",
        value="account.itemization.amount",
        format="money",
    ),
    NoticeElement(
        "the interest since the itemization date",
        "1006.34(c)(2)(viii)",
        value="account.itemization.interest",
        format="money",
    ),
    NoticeElement(
        "the fees since the itemization date", "1006.34(c)(2)(viii)", value="account.itemization.fees", format="money"
    ),
    NoticeElement(
        "the payments since the itemization date",
        "1006.34(c)(2)(viii)",
        value="account.itemization.payments",
        format="money",
    ),
    NoticeElement(
        "the credits since the itemization date",
        "1006.34(c)(2)(viii)",
        value="account.itemization.credits",
        format="money",
    ),
    NoticeElement(
        "the current amount of the debt", "1006.34(c)(2)(ix)", value="account.itemization.total", format="money"
    ),
    NoticeElement(
        "the end of the validation period", "1006.34(c)(3)(i)-(iii)", value="compliance.validation_end", format="date"
    ),
    NoticeElement("how to dispute the debt", "1006.34(c)(3)(i)", phrase="to dispute all or part of the debt"),
    NoticeElement(
        "that collection of a disputed amount stops until verification",
        "1006.34(c)(3)(ii)",
        phrase="we must stop collection on any amount you dispute",
    ),
    NoticeElement(
        "how to ask for the original creditor",
        "1006.34(c)(3)(iii)",
        phrase="name and address of the original creditor",
    ),
    NoticeElement("the CFPB website reference", "1006.34(c)(3)(iv)", phrase="www.cfpb.gov/debt-collection"),
    NoticeElement(
        "the consumer's rights under federal law", "1006.34(c)(3)(iv)", phrase="your rights under federal law"
    ),
    NoticeElement(
        "how to dispute electronically",
        "1006.34(c)(3)(v)",
        value="company.email",
        phrase="electronically at",
        only_if="company.email",
    ),
    NoticeElement("the consumer-response section", "1006.34(c)(4)", phrase="How do you want to respond?"),
    NoticeElement("the dispute prompts", "1006.34(c)(4)(i)", phrase="This is not my debt."),
)
