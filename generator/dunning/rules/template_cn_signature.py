"""T009 template-cn-signature: a text for China that does not start with 【signature】.

Chinese carriers require every application-to-person text to begin with the sender's
signature in 【】 brackets, and texts without it are blocked. Every SMS template in a
locale that a CN jurisdiction serves must start with ``【{{ company.sms_signature }}】``.
Reported at the top of the file.

Passing::

    【{{ company.sms_signature }}】{{ account.name }}您好，您的账户已逾期。{{ compliance.opt_out }}

Failing::

    {{ account.name }}您好，您的账户已逾期。{{ compliance.opt_out }}
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import served_by, template_files

CODE = "T009"
NAME = "template-cn-signature"
LEVEL = Level.ERROR
SIGNATURE = re.compile(r"\s*(\{#.*?#\}\s*)*【\{\{-?\s*company\.sms_signature\s*-?\}\}】", re.S)


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report CN-served SMS templates that do not open with the bracketed signature."""
    rule = sys.modules[__name__]
    for file in template_files(ctx):
        if file.text is None or file.template.channel != "sms" or not served_by(ctx, file.locale, "CN"):
            continue
        if not SIGNATURE.match(file.text):
            yield ctx.problem(
                rule,
                file.source(),
                f"SMS template {file.template.id!r} ({file.locale}) is sent in China but does not start with "
                "【{{ company.sms_signature }}】",
                "begin the text with 【{{ company.sms_signature }}】",
            )
