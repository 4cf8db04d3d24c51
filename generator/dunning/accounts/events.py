"""The contact-history vocabulary: every event word, its aliases and what it needs.

The words are the contract of ``docs/data.md`` (the history section); the reader
(:mod:`dunning.accounts.history`), the gate and the policy's cap ``outcomes`` all take
them from here, so a word accepted in one place is accepted everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Channels an event may name (a contact channel, or a hand-over for placements).
HISTORY_CHANNELS = ("call", "sms", "email", "letter", "visit")

# Contact attempts and their results: each needs a channel.
ATTEMPTS = (
    "attempted", "delivered", "failed", "no_answer", "busy", "voicemail", "connected",
    "right_party_contact", "wrong_number", "third_party", "refused", "returned_mail", "bounced",
)  # fmt: skip
# The customer's requests and states (with a start and, where it has one, an end).
STATES = (
    "dispute", "verification_sent", "cease_contact", "opt_out", "opt_in", "preferred_time",
    "complaint", "hardship", "vulnerable", "breathing_space_start", "breathing_space_end",
    "bankruptcy", "deceased", "represented",
)  # fmt: skip
MONEY = ("promise", "payment", "arrangement")
# What the collector learnt about why the account is overdue (its word in `reason`; docs/report.md)
REASONS = ("arrears_reason",)
# The reasons for arrears (an ``arrears_reason`` event's ``reason``, the snapshot column
# ``arrears_reason``; docs/data.md). A policy adds its own words in ``arrears_reasons:``.
ARREARS_REASONS = (
    "forgot", "income_drop", "unemployment", "illness", "family_emergency", "bereavement", "dispute",
    "fraud_claim", "over_indebted", "refuses", "unknown",
)  # fmt: skip
# The reasons that mark the customer vulnerable unless the policy says otherwise: those that
# name a driver of vulnerability in the FCA's FG21/1 (chapter 2, the four drivers and their
# characteristics): health (severe or long-term illness), life events (bereavement, income
# shock, caring responsibilities) and resilience (over-indebtedness, inadequate or erratic
# income). The stricter reading: every reason that names a listed characteristic marks.
VULNERABLE_REASONS = ("illness", "bereavement", "family_emergency", "income_drop", "unemployment", "over_indebted")
# The built-in vocabulary as the state reads it: word -> marks the customer vulnerable.
REASON_MARKS: Mapping[str, bool] = MappingProxyType({w: w in VULNERABLE_REASONS for w in ARREARS_REASONS})
PLACEMENTS = ("placed_with_agency", "recalled", "legal_referred")
SENT = ("sent",)
EVENTS = (*ATTEMPTS, *STATES, *MONEY, *PLACEMENTS, *SENT, *REASONS)

# Today's words (before the vocabulary was written down), still accepted.
ALIASES: Mapping[str, str] = MappingProxyType(
    {"attempt": "attempted", "cease": "cease_contact", "conversation": "right_party_contact"}
)

# Events that name the channel they happened on (opt-outs name the channel they close).
NEEDS_CHANNEL = frozenset((*ATTEMPTS, "opt_out", "opt_in", "sent"))
# Events whose channel is implied when the column is empty.
IMPLIED_CHANNEL: Mapping[str, str] = MappingProxyType({"returned_mail": "letter", "bounced": "email"})
# Money events and the optional columns each needs.
NEEDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "promise": ("amount", "date"),
        "payment": ("amount",),
        "arrangement": ("amount", "date", "instalments", "interval_days"),
        "sent": ("action_id",),
        "arrears_reason": ("reason",),
    }
)

# The debtor was reached in person (a conversation): right-party contact.
RIGHT_PARTY = frozenset(("right_party_contact", "connected", "promise", "dispute", "cease_contact", "refused"))
# Nobody answered (for ``failed_attempts``).
UNANSWERED = frozenset(("attempted", "no_answer", "busy", "voicemail", "failed"))
# Attempts and results: what counts as a contact for ``days_since_last_contact``.
CONTACTS = frozenset(ATTEMPTS) - {"failed", "returned_mail", "bounced", "wrong_number"}

# Derived outcomes a policy may count in ``outcomes_in_last_days`` besides the event words.
DERIVED = ("promise_broken", "promise_kept", "arrangement_broken")

HISTORY_COLUMNS = ("account_id", "at", "event")
HISTORY_OPTIONAL = (
    "channel", "phone", "email", "debt_id", "amount", "currency", "date", "instalments",
    "interval_days", "action_id", "note", "source", "reason",
)  # fmt: skip


def canonical(word: str) -> str:
    """The vocabulary's spelling of ``word`` (an alias → its word; anything else as is)."""
    return ALIASES.get(word, word)


def known(word: str) -> bool:
    """True when ``word`` is an event word or an alias of one."""
    return word in _KNOWN


_KNOWN = frozenset((*EVENTS, *ALIASES))
