"""T013 template-validation-notice: a US validation notice without every element 12 CFR 1006.34(c) requires.

Regulation F makes the validation notice's content law: the debt collector's and the
consumer's names and addresses, the account number, the current creditor (and the creditor
on the itemization date when different), the itemization date, the amount then, the
interest, fees, payments and credits since, the current amount, the end of the validation
period, how to dispute (electronically too, when offered), how to ask for the original
creditor, the CFPB website reference (www.cfpb.gov/debt-collection) and the consumer-response
section — laid out by model form B-1 (appendix B). The elements are data
(``compliance.texts.VALIDATION_NOTICE``, each with its paragraph of 1006.34(c)).

A template registered as the validation notice (``notice: validation``) on the letter or
email channel, in a locale a US jurisdiction serves, is the US validation notice; so is, read
strictly, any such ``purpose: notice`` template that names no notice kind (a ``default`` or
``arrears`` notice is not one). Like the disclosure rules, it is checked against a rendered
example: the template is rendered for each synthetic US persona of its locale, and every
element must appear in the output — values formatted as the template filters format them
(``| money``, ``| date``, ``| mask``), the model form's statements in its words (English
notices; a notice in another language is checked for the values). Reported at the top of the
file, naming every missing element.

Passing (abridged)::

    {{ company.name }} is a debt collector. We are trying to collect a debt that you owe to
    {{ account.creditor }}. ... As of {{ account.itemization.date | date }}, you owed:
    {{ account.itemization.amount | money }} ... Total amount of the debt now:
    {{ account.itemization.total | money }} ... Call or write to us by
    {{ compliance.validation_end | date }}, to dispute all or part of the debt. ...
    Go to www.cfpb.gov/debt-collection to learn more about your rights under federal law.

Failing::

    Dear {{ account.name }}, the amount past due as of {{ as_of | date }} is
    {{ account.overdue_amount | money }}. You may dispute it by {{ compliance.validation_end | date }}.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

from markupsafe import escape

from dunning.compliance.texts import VALIDATION_NOTICE, NoticeElement
from dunning.policy.model import Template
from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._templates import TemplateFile, sandbox, served_by, template_files
from dunning.templating.formatting import format_long_date, format_money, mask

CODE = "T013"
NAME = "template-validation-notice"
LEVEL = Level.ERROR
CHANNELS = ("letter", "email")


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def expected_text(element: NoticeElement, context: Mapping[str, Any], locale: str) -> str | None:
    """What a rendered notice for ``context`` must contain for ``element`` (None: the element
    is not required here — its condition is empty, or it is a fixed English phrase and the
    notice is in another language)."""
    if element.only_if and not _lookup(context, element.only_if):
        return None
    if element.phrase and not locale.lower().startswith("en"):
        return None if not element.value else _formatted(element, context, locale)
    if not element.value:
        return element.phrase
    value = _formatted(element, context, locale)
    return f"{element.phrase} {value}" if element.phrase else value


def _formatted(element: NoticeElement, context: Mapping[str, Any], locale: str) -> str:
    value = _lookup(context, element.value)
    if value is None or value == "":
        return "\x00missing"  # a persona without the value: never found, always reported
    if element.format == "money":
        return format_money(value, str(_lookup(context, "account.currency")), locale)
    if element.format == "date":
        return format_long_date(value, locale)
    if element.format == "mask":
        return mask(value)
    return str(value)


def missing_elements(ctx: RuleContext, file: TemplateFile) -> list[NoticeElement]:
    """The elements missing from ``file`` rendered for any US persona of its locale, in the
    order of :data:`VALIDATION_NOTICE`."""
    from dunning.templating.personas import persona_context, personas
    from dunning.templating.sandbox import RenderError, is_html

    html = is_html(file.template.channel)
    box = sandbox(ctx)
    missing: list[NoticeElement] = []
    # US personas even where another jurisdiction serves the locale first (the sample personas
    # of the gallery and T011 are in that one)
    for persona in personas(ctx.policy, file.locale, country="US"):
        context = persona_context(ctx.policy, persona, file.template.id)
        try:
            text = box.render(file.name, context, html=html)
        except RenderError:  # a template that does not render is T011's finding
            continue
        for element in VALIDATION_NOTICE:
            want = expected_text(element, context, file.locale)
            if want is None or element in missing:
                continue
            if (str(escape(want)) if html else want) not in text:
                missing.append(element)
    return [e for e in VALIDATION_NOTICE if e in missing]


def is_validation_notice(template: Template) -> bool:
    """True when ``template`` is registered as the validation notice, or is a notice of no kind."""
    return template.notice == "validation" or (template.purpose == "notice" and template.notice is None)


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report US notices whose rendered example lacks an element of 1006.34(c)."""
    rule = sys.modules[__name__]
    for file in template_files(ctx):
        template = file.template
        if file.tree is None or template.channel not in CHANNELS or not is_validation_notice(template):
            continue
        if not served_by(ctx, file.locale, "US"):
            continue
        missing = missing_elements(ctx, file)
        if missing:
            listed = "; ".join(f"{e.name} ({e.citation})" for e in missing)
            yield ctx.problem(
                rule,
                file.source(),
                f"{template.channel} template {template.id!r} ({file.locale}) is the US validation notice but lacks "
                f"{listed} (12 CFR 1006.34(c))",
                "lay the notice out on model form B-1: the itemization from {{ account.itemization }}, "
                "{{ account.creditor }}, {{ compliance.validation_end | date }} and the form's statements",
            )
