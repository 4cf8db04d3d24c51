"""Email channel: one RFC 5322 message per action under ``messages/email/``.

multipart/alternative (plain text, then HTML) built with :class:`email.message.EmailMessage`
under ``policy=SMTP`` (CRLF, RFC 2047-encoded UTF-8 headers). The output is byte-stable:
the Date is the planned send time (with the debtor's offset), the Message-ID and the MIME
boundary are derived from the action id, and nothing reads the clock or a random source.
"""

from __future__ import annotations

import hashlib
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from dunning.render.sandbox import RenderError

BLOCKS = ("subject", "text", "html")


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def _address(display: str, addr: str) -> Address:
    local, _, domain = addr.partition("@")
    return Address(display_name=display, username=local, domain=domain)


def email_bytes(context: dict[str, Any], parts: dict[str, str], template_file: str) -> bytes:
    """The message for one action as bytes; RenderError when it cannot be addressed."""
    account, action, company = context["account"], context["action"], context["company"]
    to = account["email"]
    if not to or "@" not in to:
        raise RenderError(template_file, None, "the account has no usable email address", account["id"])
    subject = " ".join(parts["subject"].split())
    if not subject:
        raise RenderError(template_file, None, "the subject block is empty", account["id"])
    digest = hashlib.sha256(action["id"].encode("utf-8")).hexdigest()
    message = EmailMessage(policy=email_policy.SMTP)
    try:
        message["From"] = _address(company["name"], company["email"])
        message["To"] = _address(account["name"], to)
    except (ValueError, IndexError):
        raise RenderError(template_file, None, "the email address is not valid", account["id"]) from None
    message["Subject"] = subject
    message["Date"] = format_datetime(action["not_before"])
    message["Message-ID"] = f"<{digest[:32]}.{action['id']}@{_domain(company['email'])}>"
    unsubscribe = company["unsubscribe_url"]
    sep = "&" if "?" in unsubscribe else "?"
    # short URIs: a header token longer than a line would be folded into an encoded-word
    mailto = f"<mailto:{company['email']}?subject=unsubscribe>"
    message["List-Unsubscribe"] = f"{mailto}, <{unsubscribe}{sep}m={digest[:16]}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Content-Language"] = context["locale"]
    message["X-Dunning-Action"] = action["id"]
    text = parts["text"].strip("\n") + "\n"
    html = parts["html"].strip("\n") + "\n"
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    boundary = f"=_dunning_{digest[:40]}"
    if boundary in text or boundary in html:  # never in practice; stay correct anyway
        boundary = f"=_dunning_{hashlib.sha256((digest + text + html).encode('utf-8')).hexdigest()}"
    message.set_boundary(boundary)
    for part in message.iter_parts():
        del part["MIME-Version"]  # add_alternative copies it into the part; it belongs at the top only
    return message.as_bytes()
