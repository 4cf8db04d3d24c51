"""T005 template-sms-length: an SMS template renders to more segments than the policy allows.

Each SMS template is rendered for the synthetic sample personas of its locale (every
delinquency stage, with and without offers; signature, disclosures and opt-out text
included) and measured as carriers bill it: GSM-7 160 characters in one message or 153
per segment (``^{}\\[~]|€`` count double), UCS-2 — any Chinese character or emoji — 70 or
67 per segment, counted in UTF-16 code units. The longest rendering must fit in
``portfolio.settings.sms_max_segments`` (default 3). Reported at the top of the file.

Passing (``sms_max_segments: 3``)::

    【{{ company.sms_signature }}】{{ account.name }}您好，您的账户已逾期{{ account.dpd }}天。{{ compliance.opt_out }}

Failing (``sms_max_segments: 1``; the Chinese text with the opt-out is over 70 characters)::

    【{{ company.sms_signature }}】{{ account.name }}您好，您账户{{ account.id | mask }}已逾期{{ account.dpd }}天，
    待还{{ account.overdue_amount | money }}。如遇困难，请致电{{ company.phone }}，我们可以一起商量还款安排。
    {{ compliance.opt_out }}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import sample_renders, template_files
from dunning.text.sms import describe, segments

CODE = "T005"
NAME = "template-sms-length"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report SMS templates whose longest sample rendering exceeds ``sms_max_segments``."""
    rule = sys.modules[__name__]
    limit = ctx.policy.settings.sms_max_segments
    for file in template_files(ctx):
        if file.tree is None or file.template.channel != "sms":
            continue
        texts = [(r.persona, r.text) for r in sample_renders(ctx, file) if r.text is not None]
        if not texts:
            continue
        persona, longest = max(texts, key=lambda pt: (segments(pt[1]), len(pt[1])))
        if segments(longest) > limit:
            yield ctx.problem(
                rule,
                file.source(),
                f"SMS template {file.template.id!r} ({file.locale}) renders to {describe(longest)} for sample "
                f"persona {persona!r}; the policy allows {limit} segment{'s' if limit != 1 else ''}",
                "shorten the text (a single non-GSM character such as an emoji or curly quote "
                "makes the whole text UCS-2, 70/67 characters per segment), or raise settings.sms_max_segments",
            )
