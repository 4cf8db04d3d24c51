"""T014 template-external-reference: a template refers to a file or URL outside the message.

Templates arrive by pull request. A letter template with ``<img src="http://…">`` would make
every render call that server, and ``<a rel="attachment" href="file:///…">`` would embed a
file of the build machine in every debtor's letter; in an email, a remote image tells a
stranger who opened it. So a message may load only inline raster images
(``data:image/png``, ``jpeg``, ``gif``, ``webp``): every ``src``, ``srcset``, stylesheet
``href``, attachment, CSS ``url()`` and ``@import`` with another scheme (``file:``,
``http:``, ``https:``, ``ftp:``, other ``data:`` types), a protocol-relative ``//host``, an
absolute path or any other path is reported. Links a reader clicks (``<a href>``) may go
to the company's own website or unsubscribe page (``portfolio.company.website`` and
``unsubscribe_url``), ``mailto:`` and ``tel:``; links elsewhere are reported too.

Reported at the value's first character. A URL built from data (``src="{{ … }}"``) is
judged on its written prefix only; the letter renderer refuses anything else when it
renders, whatever the template says (see docs/security.md).

Passing::

    <p>Pay online at <a href="https://example-finance.com/pay">example-finance.com</a>.</p>
    <img src="data:image/png;base64,iVBORw0KGgo…" alt="logo">

Failing::

    <img src="http://tracker.example/pixel.png">
    <a rel="attachment" href="file:///etc/passwd">terms</a>
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.resources import link_hosts, reference_refusal, references
from dunning.rules import RuleContext
from dunning.rules._templates import template_files

CODE = "T014"
NAME = "template-external-reference"
LEVEL = Level.ERROR


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report every reference in a registered template file that a message may not make."""
    rule = sys.modules[__name__]
    company = ctx.policy.company
    hosts = link_hosts(company.website, company.unsubscribe_url)
    seen: set[str] = set()
    for file in template_files(ctx):
        if file.text is None or file.name in seen:  # one report per file, whatever locales share it
            continue
        seen.add(file.name)
        for ref in references(file.text):
            why = reference_refusal(ref, hosts)
            if why is None:
                continue
            kind = "loads" if ref.loaded else "links to"
            yield ctx.problem(
                rule,
                file.source(*file.position(ref.offset)),
                f"template {file.template.id!r} {kind} {why}; messages may not reach outside themselves",
                "inline images as data:image/png;base64,…; link only to the company's website or unsubscribe page",
            )
