"""Letters: a printable HTML page per letter, its PDF (WeasyPrint), and a print batch index.

The template gives the ``subject`` and ``body`` blocks (HTML, autoescaped); this module adds
what every letter needs whatever the template says: the sender and recipient address
blocks, the date, the reference, and the jurisdiction's disclosure when the body lacks it.
PDF bytes are deterministic: WeasyPrint writes no creation date unless the HTML asks for
one, and the document identifier is derived from the action id.
"""

from __future__ import annotations

import functools
import hashlib
from html import escape
from typing import Any

from dunning.render.formatting import format_long_date
from dunning.render.sandbox import RenderError
from dunning.resources import refusal

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


def _lines(*parts: str) -> str:
    return "<br>".join(escape(part) for part in parts if part)


def letter_html(context: dict[str, Any], subject: str, body: str, template_file: str) -> str:
    """The complete printable HTML document of one letter."""
    account, action, company = context["account"], context["action"], context["company"]
    if not account["address"]:
        raise RenderError(template_file, None, "the account has no postal address", account["id"])
    locale = context["locale"]
    labels = _labels(locale)
    country = account["jurisdiction"].split("-", 1)[0]
    size = "letter" if country in LETTER_COUNTRIES else "A4"
    sent_on = action["not_before"].date() if action["not_before"] else context["as_of"]
    disclosure = context["compliance"].get("mini_miranda") or ""
    extra = ""
    if disclosure and disclosure not in body:
        extra = f'<p class="disclosures">{escape(disclosure)}</p>'
    recipient = _lines(account["name"], account["address"], account["postal_code"])
    sender = _lines(company["name"], company["postal_address"], company["phone"])
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(locale)}">\n<head>\n<meta charset="utf-8">\n<title>{escape(subject)}</title>\n'
        f"<style>{STYLE.replace('{size}', size)}</style>\n</head>\n<body>\n"
        f'<div class="sender">{sender}</div>\n'
        f'<div class="recipient">{recipient}</div>\n'
        f'<div class="meta">{labels["date"]}: {escape(format_long_date(sent_on, locale))}<br>'
        f"{labels['account']}: {escape(account['masked_id'])}<br>"
        f"{labels['reference']}: {escape(action['id'])}</div>\n"
        f"<h1>{escape(subject)}</h1>\n"
        f'<div class="body">{body}</div>\n{extra}\n</body>\n</html>\n'
    )


@functools.lru_cache(maxsize=1)
def _fonts() -> Any:
    # one font configuration per process: fontconfig setup is the slow part of a small PDF
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def _fetcher() -> Any:
    """A WeasyPrint URL fetcher that loads only what :func:`dunning.resources.refusal` allows
    and remembers what it refused (WeasyPrint swallows fetch errors and renders on)."""
    from weasyprint.urls import URLFetcher

    class BundledOnly(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(timeout=1, allow_redirects=False, allowed_protocols=("data", "file"))
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            why = refusal(url)
            if why is not None:
                self.refused.append(why)
                raise ValueError(f"refused: {why}")
            return super().fetch(url, headers)

    return BundledOnly()


def letter_pdf(html: str, action_id: str, template_file: str = "") -> tuple[bytes, int]:
    """The PDF of one letter and its page count; same HTML → same bytes. A letter that refers
    to anything but inline images and bundled assets is refused (:class:`RenderError`)."""
    from weasyprint import HTML

    fetcher = _fetcher()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(font_config=_fonts())
    identifier = hashlib.sha256(action_id.encode("utf-8")).hexdigest()[:32].encode("ascii")
    data = document.write_pdf(pdf_identifier=identifier)  # attachments are fetched here
    if fetcher.refused:
        raise RenderError(
            template_file or "letter",
            None,
            f"the letter refers to {fetcher.refused[0]}, which letters may not load "
            f"({len(fetcher.refused)} reference(s) refused; `dunning validate` reports them as T013)",
        )
    return bytes(data), len(document.pages)


INDEX_COLUMNS = (
    "sequence", "action_id", "account_id", "locale", "template", "country", "postal_code", "pages", "html", "pdf",
)  # fmt: skip
