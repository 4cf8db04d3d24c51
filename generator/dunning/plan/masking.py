"""Masking a customer file's personal fields as the policy's ``masking:`` rules say.

A customer file is read by many hands (collectors, field visitors, lawyers, agencies); the
dialer and the mail server hold the contact points, so a file needs only enough to tell
one number or address from another. The rules (:class:`dunning.policy.model.MaskRule`) and
their defaults are the policy's; this module only applies them.
"""

from __future__ import annotations

from dunning.policy.model import MaskRule

DOT = "•"
HIDDEN = DOT * 3


def keep_last(value: str, keep: int) -> str:
    """Every character but the last ``keep`` as ``•`` (a leading ``+`` stays): ``+8613812345678``
    with 4 → ``+•••••••••5678``; a value of at most ``keep + 2`` characters is all dots."""
    if len(value) <= keep + 2:
        return DOT * len(value)
    head = "+" if value.startswith("+") else ""
    tail = value[len(value) - keep :] if keep else ""
    return head + DOT * (len(value) - len(head) - keep) + tail


def email_first_letter(email: str) -> str:
    """``debtor@example.com`` → ``d•••@example.com`` (no ``@``: all dots)."""
    local, at, domain = email.partition("@")
    if not at:
        return DOT * len(email)
    return local[:1] + HIDDEN + "@" + domain


def email_domain(email: str) -> str:
    """``debtor@example.com`` → ``•••@example.com``."""
    _local, at, domain = email.partition("@")
    return HIDDEN + "@" + domain if at else DOT * len(email)


def initials(name: str) -> str:
    """``Patricia Davis`` → ``P. D.``; a name of one word (``王芳``) → its first character and one
    dot (``王•``), whatever its length."""
    words = name.split()
    if len(words) > 1:
        return " ".join(f"{word[0]}." for word in words)
    return name[:1] + DOT


def mask(value: str, rule: MaskRule, postal_code: str = "") -> str | None:
    """``value`` as ``rule`` shows it (None for an empty value); ``postal_code`` is what the
    ``postal_code`` rule keeps of an address."""
    if not value:
        return None
    kind = rule.kind
    if kind == "show":
        return value
    if kind == "keep_last":
        return keep_last(value, rule.keep)
    if kind == "initials":
        return initials(value)
    if kind == "first_letter_and_domain":
        return email_first_letter(value)
    if kind == "domain":
        return email_domain(value)
    if kind == "postal_code" and postal_code:
        return f"{HIDDEN} {postal_code}"
    return HIDDEN  # hide, and an address rule with no postal code to keep
