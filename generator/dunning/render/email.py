"""Email channel: one RFC 5322 message per action under ``messages/email/``.

multipart/alternative (plain text, then HTML), CRLF line endings, UTF-8 headers as RFC 2047
encoded-words (:class:`email.header.Header`), UTF-8 bodies in base64 (7bit when the text is
plain ASCII). The output is byte-stable: the Date is the planned send time (with the
debtor's offset), the Message-ID and the MIME boundary are derived from the action id, and
nothing reads the clock or a random source.

Why not ``EmailMessage(policy=SMTP)``: it produced the same structure but took ~20 ms per
message here (its header parser and folder), i.e. minutes for a large book; composing the
few headers directly takes well under a millisecond. Every message is checked in the tests
by parsing it back with :mod:`email` (``policy=default``) and comparing headers and bodies.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime, formataddr
from typing import Any

from dunning.render.files import file_stem
from dunning.render.sms import require_disclosures
from dunning.templating.sandbox import RenderError

BLOCKS = ("subject", "text", "html")
CRLF = "\r\n"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ADDR = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def clean(value: str) -> str:
    """One header line: no CR/LF or other controls (header injection), single spaces."""
    # a printable value holds no control and no white space but the ASCII space (the others
    # are Unicode separators or controls): then only a leading, trailing or double space changes
    if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        return value
    return " ".join(_CONTROL.sub(" ", value).split())


_WORD_PAYLOAD = 52  # characters inside =?utf-8?x?…?=: 64 in all, so folded lines stay under 78
_Q_LITERAL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def _header(name: str, value: str) -> str:
    value = clean(value)
    if value.isascii():
        if len(name) + 2 + len(value) <= 78:
            return f"{name}: {value}{CRLF}"
        return f"{name}: {Header(value, 'us-ascii', header_name=name).encode(linesep=CRLF)}{CRLF}"
    return f"{name}: {(CRLF + ' ').join(_encoded_words(value))}{CRLF}"


def _q(char: str) -> str:
    if char == " ":
        return "_"
    if char in _Q_LITERAL:
        return char
    return "".join(f"={byte:02X}" for byte in char.encode("utf-8"))


class _QPieces(dict[int, str]):
    """Each character's Q piece by its code point, for ``str.translate``: the ASCII ones made
    at import, any other on its first use (a lone surrogate raises as its own encode does)."""

    def __missing__(self, code: int) -> str:
        piece = _q(chr(code))
        if len(self) < 4096:  # the characters of a book's subjects are few; a hostile one is not kept
            self[code] = piece
        return piece


_Q_PIECES = _QPieces({code: _q(chr(code)) for code in range(128)})
_CONTINUATION = frozenset("89AB")  # the first hex digit of a UTF-8 continuation byte's =XX
_B_BYTES = _WORD_PAYLOAD // 4 * 3  # whole bytes of base64 in one word's payload


def _encoded_words(value: str) -> list[str]:
    """RFC 2047 encoded-words of UTF-8, each at most 64 characters (folded lines stay under
    78) and each holding whole characters (RFC 2047 section 5): "Q" when the text is mostly
    Latin (still readable in the raw message), "B" otherwise (shorter for CJK). Each word
    holds as many characters as fit.

    email.header.Header wrote the same kind of thing at ~0.4 ms a header, and subjects carry
    the masked account number, so every email paid it."""
    ascii_chars = len(value.encode("ascii", "ignore"))
    words: list[str] = []
    if ascii_chars * 3 >= len(value) * 2:
        # the whole Q text in one C call, then cut where a character's piece ends: a "=" only
        # starts an escape (a literal one is "=3D"), and an escape of a continuation byte
        # (=8X-=BX) is inside its character's piece. Each word ends at the last piece end that
        # fits, as the character-by-character loop this replaces did (6.9 -> 2.9 µs for the
        # subject of email-early, measured)
        encoded = value.translate(_Q_PIECES)
        start = 0
        while len(encoded) - start > _WORD_PAYLOAD:
            end = start + _WORD_PAYLOAD
            while (
                encoded[end - 1] == "="
                or encoded[end - 2] == "="
                or (encoded[end] == "=" and encoded[end + 1] in _CONTINUATION)
            ):
                end -= 1
            words.append(f"=?utf-8?q?{encoded[start:end]}?=")
            start = end
        words.append(f"=?utf-8?q?{encoded[start:]}?=")
        return words
    # B: the UTF-8 bytes cut at the last character boundary that fits a word
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the error a character's own encode raises
        for char in value:
            char.encode("utf-8")
        raise
    start = 0
    while len(data) - start > _B_BYTES:
        end = start + _B_BYTES
        while data[end] & 0xC0 == 0x80:  # a continuation byte: the cut would split a character
            end -= 1
        words.append(f"=?utf-8?b?{binascii.b2a_base64(data[start:end], newline=False).decode('ascii')}?=")
        start = end
    words.append(f"=?utf-8?b?{binascii.b2a_base64(data[start:], newline=False).decode('ascii')}?=")
    return words


@functools.lru_cache(maxsize=8192)
def _date(moment: datetime, offset: timedelta | None) -> str:
    # send times repeat across emails (one per zone and day); keyed with the offset too, as
    # aware datetimes at one instant are equal whatever their offset
    return format_datetime(moment)


def mailbox(display: str, addr: str) -> str:
    """The To mailbox: the display name cleaned (no control character: header injection) and encoded."""
    name = clean(display)
    return f"{_display(name)}<{addr}>" if name else addr


@functools.lru_cache(maxsize=64)
def _sender(display: str, addr: str) -> str:
    # the From mailbox: one company name and address per locale for the whole run
    return mailbox(display, addr)


@functools.lru_cache(maxsize=4096)  # names repeat across a book; encoding a non-ASCII one costs ~0.3 ms
def _display(display: str) -> str:
    """The display-name part of a mailbox (with its trailing space) exactly as formataddr writes it."""
    return str(formataddr((display, "x@x"), charset="utf-8"))[: -len("<x@x>")]


def _body(text: str) -> tuple[str, str]:
    """(Content-Transfer-Encoding, encoded body with CRLF line ends, ending in CRLF: the CRLF
    before the next boundary belongs to the boundary, RFC 2046 5.1.1)."""
    # no line is over 900 characters when the whole text is not (the usual email): no split
    if text.isascii() and (len(text) <= 900 or max(map(len, text.split("\n"))) <= 900):
        return "7bit", text.replace("\n", CRLF)
    # what base64.encodebytes writes (lines of 76 characters, each ended), with CRLF: one C
    # call for the encoding and one for the lines instead of a Python loop over 57-byte pieces
    # (≈ 17 -> 12 µs for 3.5 kB, measured; CJK emails' bodies are always base64)
    encoded = binascii.b2a_base64(text.replace("\n", CRLF).encode("utf-8"), newline=False).decode("ascii")
    return "base64", CRLF.join(_BASE64_LINE.findall(encoded)) + CRLF if encoded else ""


_BASE64_LINE = re.compile(".{1,76}", re.S)


def _part(subtype: str, text: str) -> str:
    transfer, body = _body(text)
    return f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}Content-Transfer-Encoding: {transfer}{CRLF}{CRLF}{body}'


def mbox_batch(context: dict[str, Any]) -> str:
    """The mbox an email goes into with ``--email-format mbox``: one per planned send date
    (the debtor's local date), ``messages/email/<date>.mbox``."""
    return str(context["action"]["not_before"].date().isoformat())


def mbox_from_line(message: bytes) -> bytes:
    """The mbox ``From `` separator line for a message: its Date in UTC, as ``asctime`` writes
    it (mailbox would use the clock otherwise, and the output must not depend on it)."""
    from email.utils import parsedate_to_datetime

    start = message.index(b"\r\nDate: ") + 8
    sent = parsedate_to_datetime(message[start : message.index(b"\r\n", start)].decode("ascii"))
    return b"From MAILER-DAEMON " + sent.astimezone(UTC).strftime("%a %b %e %H:%M:%S %Y").encode("ascii")


@dataclass(frozen=True)
class Envelope:
    """What an email's headers take from its company and locale: the same for every email of a
    decision key (:class:`dunning.render.columns.EmailColumns` makes it once per key)."""

    sender: str  # the From mailbox
    mailto: str  # the company's address
    unsubscribe: str  # the one-click URL, and the separator before its query
    separator: str
    domain: str  # the Message-ID's
    language: str  # Content-Language, cleaned


def envelope(context: dict[str, Any]) -> Envelope:
    """The envelope of ``context``'s email."""
    company = context["company"]
    return _envelope(company["name"], company["email"], company["unsubscribe_url"], context["locale"])


@functools.lru_cache(maxsize=64)
def _envelope(name: str, address: str, unsubscribe: str, locale: str) -> Envelope:
    # one company and locale for most of a run's emails: made once each, not per email by the
    # Python path (≈ 2 µs an email: the dataclass, the sender's look-up, the language cleaned)
    return Envelope(
        sender=_sender(name, address),
        mailto=address,
        unsubscribe=unsubscribe,
        separator="&" if "?" in unsubscribe else "?",
        domain=address.rpartition("@")[2] or "localhost",
        language=clean(locale),
    )


def address_ok(to: str) -> bool:
    """Whether ``to`` is an address this channel writes (else the email is refused)."""
    return bool(to) and _ADDR.match(to) is not None


def date_header(moment: datetime) -> str:
    """The Date header's value for a send time."""
    return _date(moment, moment.utcoffset())


def email_bytes(context: dict[str, Any], parts: dict[str, str], template_file: str) -> bytes:
    """The message for one action as bytes; RenderError when it cannot be addressed."""
    account, action = context["account"], context["action"]
    to = account["email"]
    if not address_ok(to):
        raise RenderError(template_file, None, "the account has no usable email address", account["id"])
    subject = clean(parts["subject"])
    if not subject:
        raise RenderError(template_file, None, "the subject block is empty", account["id"])
    require_disclosures(context, parts["text"], template_file)
    return compose(
        envelope(context),
        mailbox(account["name"], to),
        subject,
        date_header(action["not_before"]),
        action["id"],
        parts["text"],
        parts["html"],
    )


def compose(sender: Envelope, to: str, subject: str, date: str, action_id: str, text: str, html: str) -> bytes:
    """The message's bytes: ``to`` the To mailbox (``_mailbox``), ``subject`` cleaned and not
    empty, ``text`` and ``html`` the blocks as rendered (checked by the caller)."""
    digest = hashlib.sha256(action_id.encode("utf-8")).hexdigest()
    text = text.strip("\n") + "\n"
    html = html.strip("\n") + "\n"
    boundary = f"=_dunning_{digest[:40]}"
    if boundary in text or boundary in html:  # never in practice; stay correct anyway
        boundary = f"=_dunning_{hashlib.sha256((digest + text + html).encode('utf-8')).hexdigest()}"
    stem = file_stem(action_id)
    headers = [
        f"From: {sender.sender}{CRLF}",
        f"To: {to}{CRLF}",
        _header("Subject", subject),
        f"Date: {date}{CRLF}",
        f"Message-ID: <{digest[:32]}.{stem}@{sender.domain}>{CRLF}",
        # one URI per line: RFC 2369 allows folding between them
        f"List-Unsubscribe: <mailto:{sender.mailto}?subject=unsubscribe>,{CRLF}"
        f" <{sender.unsubscribe}{sender.separator}m={digest[:16]}>{CRLF}",
        f"List-Unsubscribe-Post: List-Unsubscribe=One-Click{CRLF}",
        f"Content-Language: {sender.language}{CRLF}",
        f"X-Dunning-Action: {stem}{CRLF}",
        f"MIME-Version: 1.0{CRLF}",
        f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"{CRLF}',
    ]
    body = (
        f"{CRLF}--{boundary}{CRLF}{_part('plain', text)}"
        f"{CRLF}--{boundary}{CRLF}{_part('html', html)}"
        f"{CRLF}--{boundary}--{CRLF}"
    )
    return ("".join(headers) + body).encode("ascii")
