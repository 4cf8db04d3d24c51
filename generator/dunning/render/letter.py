"""Letters: what goes on the page, print batches and their index.

The template gives the ``subject`` and ``body`` blocks (HTML, autoescaped); this module adds
what every letter needs whatever the template says: the sender and recipient address blocks
(by country convention, :mod:`dunning.render.address`), the date, the reference, and the
jurisdiction's disclosure when the body lacks it. The same parts make the Typst markup of
the printed letter (:mod:`dunning.render.markup`, typeset by :mod:`dunning.render.typeset`)
and the HTML preview (a browser page, for the handbook's gallery and for ``--no-pdf``).

Print batches: letters are grouped by posting date, jurisdiction, paper and postage class,
sorted by postal code (postal presort) and cut into PDFs of at most :data:`BATCH_LETTERS`
letters; each PDF has an index CSV whose rows give every letter's page range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from dunning.render import markup
from dunning.render.address import address_block
from dunning.render.files import file_stem
from dunning.templating.formatting import format_long_date
from dunning.templating.sandbox import RenderError

# CJK first for zh, Latin serif otherwise; Noto CJK comes from Debian's fonts-noto-cjk.
FONT_STACK = '"Noto Serif CJK SC", "Noto Sans CJK SC", "Noto Serif", "DejaVu Serif", serif'
STYLE = f"""
@page {{ size: {{size}}; margin: 22mm 20mm 24mm 20mm;
  @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; }} }}
body {{ font-family: {FONT_STACK}; font-size: 10.5pt; line-height: 1.5; color: #111; }}
.sender {{ font-size: 8.5pt; color: #333; }}
.recipient {{ margin: 10mm 0 8mm 0; min-height: 28mm; }}
.meta {{ text-align: right; font-size: 9pt; }}
h1 {{ font-size: 13pt; margin: 6mm 0 4mm 0; }}
table.plan {{ border-collapse: collapse; }} table.plan td, table.plan th {{ border: 1px solid #999; padding: 1mm 3mm; }}
.disclosure, .disclosures {{ font-size: 8.5pt; color: #333; }}
"""
# A4 everywhere except the US and Canada, whose print shops take US Letter.
LETTER_COUNTRIES = frozenset({"US", "CA"})
LABELS = {
    "zh-CN": {"date": "日期", "reference": "编号", "account": "账户"},
    "en-US": {"date": "Date", "reference": "Reference", "account": "Account"},
}


def _labels(locale: str) -> dict[str, str]:
    return LABELS.get(locale, LABELS["en-US"])


# Postage class when a template states none (``postage:`` in the registry, one of
# ``policy.model.POSTAGE_CLASSES``), by template purpose. Bills and statements of account go
# First-Class in the US (USPS DMM 133.3.0: they may not go as Marketing Mail); a statutory
# notice (purpose ``notice``: the validation notice, default notices) also wants a proof of
# posting, so it is sent registered — the stricter reading where a law asks for a notice to
# be "sent".
POSTAGE = {"notice": "registered"}
DEFAULT_POSTAGE = "first_class"
BATCH_LETTERS = 250  # letters per batch PDF: ≈ 100 MiB of typesetter memory for CJK (measured), vendor-sized files


def paper_size(country: str) -> str:
    """``letter`` for the US and Canada, ``A4`` elsewhere."""
    return "letter" if country in LETTER_COUNTRIES else "A4"


def postage_class(purpose: str, stated: str | None = None) -> str:
    """The postage class a letter is sent with: the one its template states, else by purpose."""
    return stated or POSTAGE.get(purpose, DEFAULT_POSTAGE)


@dataclass(frozen=True)
class LetterParts:
    """Everything printed on one letter, before layout."""

    locale: str
    country: str
    paper: str
    sent_on: date
    sender: list[str]
    recipient: list[str]
    meta: list[str]
    subject: str
    body: str  # the template's HTML (autoescaped)
    disclosure: str  # the jurisdiction's disclosure when the body lacks it, else ""


def letter_parts(context: dict[str, Any], subject: str, body: str, template_file: str) -> LetterParts:
    """The parts of one letter; RenderError when the account has no postal address."""
    account, action, company = context["account"], context["action"], context["company"]
    if not account["address"]:
        raise RenderError(template_file, None, "the account has no postal address", account["id"])
    locale = context["locale"]
    labels = _labels(locale)
    country = account["jurisdiction"].split("-", 1)[0]
    sent_on = action["not_before"].date() if action["not_before"] else context["as_of"]
    disclosure = context["compliance"].get("mini_miranda") or ""
    return LetterParts(
        locale=locale,
        country=country,
        paper=paper_size(country),
        sent_on=sent_on,
        sender=[part for part in (company["name"], company["postal_address"], company["phone"]) if part],
        recipient=address_block(country, account["name"], account["address"], account["postal_code"]),
        meta=[
            f"{labels['date']}: {format_long_date(sent_on, locale)}",
            f"{labels['account']}: {account['masked_id']}",
            f"{labels['reference']}: {action['id']}",
        ],
        subject=subject,
        body=body,
        disclosure=disclosure if disclosure and disclosure not in body else "",
    )


def letter_markup(parts: LetterParts) -> str:
    """The letter as Typst markup (content only; the page layout is the batch's or archive's)."""
    return markup.letter_markup(
        locale=parts.locale, sender=parts.sender, recipient=parts.recipient, meta=parts.meta,
        subject=parts.subject, body_html=parts.body, disclosure=parts.disclosure,
    )  # fmt: skip


def _lines(items: list[str]) -> str:
    return "<br>".join(escape(item) for item in items)


def letter_html(parts: LetterParts) -> str:
    """The letter as a complete HTML page: the browser preview of what the PDF prints."""
    size = "letter" if parts.paper == "letter" else "A4"
    extra = f'<p class="disclosures">{escape(parts.disclosure)}</p>' if parts.disclosure else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(parts.locale)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(parts.subject)}</title>\n"
        f"<style>{STYLE.replace('{size}', size)}</style>\n</head>\n<body>\n"
        f'<div class="sender">{_lines(parts.sender)}</div>\n'
        f'<div class="recipient">{_lines(parts.recipient)}</div>\n'
        f'<div class="meta">{_lines(parts.meta)}</div>\n'
        f"<h1>{escape(parts.subject)}</h1>\n"
        f'<div class="body">{parts.body}</div>\n{extra}\n</body>\n</html>\n'
    )


def batch_name(posting: str, jurisdiction: str, paper: str, postage: str, part: int) -> str:
    """``batch-<date>-<jurisdiction>-<paper>-<postage>-<NNN>`` (file-system safe)."""
    return f"batch-{posting}-{file_stem(jurisdiction)}-{paper}-{postage}-{part:03d}"


INDEX_COLUMNS = (
    "sequence", "first_page", "last_page", "account_id", "reference", "address_block", "postage", "paper",
    "posting_date", "jurisdiction", "locale", "template", "archive",
)  # fmt: skip
