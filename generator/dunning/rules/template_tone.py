"""T006 template-tone: a message uses threatening, insulting, impersonating, shaming or falsely urgent words.

Collection messages must be respectful and lawful: no threats (arrest, jail, "we will sue
you" when no suit is planned), no insults, no impersonating courts, police or government,
no fake blacklists, no shaming or telling family and employers, no exaggerated
consequences (US: FDCPA 1692d–e / Regulation F; CN: the internet-finance collection
self-discipline convention and the regulator's collection rules). The word lists are data
files (``dunning/text/lexicon/en-US.txt``, ``zh-CN.txt``) that a policy extends with
``portfolio.settings.tone_extra_words``: words (English ones with their inflections) and
patterns for threats whose wording varies ("we will call your employer", 通知您的家人,
再不还款……就上门), no false urgency ("last chance", 最后通牒). A hit right after a negation
("we will never contact your employer") is not reported. Checked in the text the debtor reads — SMS, email
and letter templates that are not ``internal`` — outside the ``{{ }}``/``{% %}`` tags.
Call scripts and visit sheets are instructions to staff that must *name* the forbidden
conduct ("never threaten, never claim to be the police"), so they are not linted.
Reported at the word.

Passing::

    Please call us on {{ company.phone }} so we can agree a plan that works for you.

Failing::

    Pay today or we will sue you and tell your employer.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import template_files
from dunning.text.tone import CATEGORIES, find

CODE = "T006"
NAME = "template-tone"
LEVEL = Level.ERROR
LINTED_CHANNELS = ("sms", "email", "letter")


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report each banned word in debtor-facing text at its line and column."""
    rule = sys.modules[__name__]
    extra = ctx.policy.settings.tone_extra_words
    for file in template_files(ctx):
        template = file.template
        if file.text is None or template.channel not in LINTED_CHANNELS or template.purpose == "internal":
            continue
        for hit in find(file.prose(), file.locale, extra.get(file.locale, ())):
            yield ctx.problem(
                rule,
                file.source(*file.position(hit.offset)),
                f"template {template.id!r} ({file.locale}) uses {CATEGORIES.get(hit.category, hit.category)}: "
                f"{hit.phrase!r}",
                "say what will actually happen, plainly and respectfully; offer help and a way to reach you",
            )
