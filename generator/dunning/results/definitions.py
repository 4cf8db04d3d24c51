"""What the report counts: the event families and the rates, each defined once.

Every number `dunning report` prints is reproducible from the inputs with these sets and the
definitions in ``docs/report.md``; the tests compute a portfolio by hand from the same words.
"""

from __future__ import annotations

from dunning.accounts import events as ev

# The words of the contact-history contract (docs/data.md) and their old spellings: the one
# vocabulary the planner's reader uses too (accounts/events.py).
ALIASES = dict(ev.ALIASES)

# An attempt: one outbound try to reach the customer, recorded once with its result. Delivery
# reports on a message that was already counted (`delivered`, `failed`, `bounced`,
# `returned_mail`) are not attempts of their own.
ATTEMPTS = frozenset(
    {
        "attempted",
        "sent",
        "no_answer",
        "busy",
        "voicemail",
        "connected",
        "right_party_contact",
        "wrong_number",
        "third_party",
        "refused",
    }
)
# Delivered: the message reached an inbox or letterbox, or the call reached a person.
DELIVERED = frozenset({"delivered", "connected", "right_party_contact", "third_party", "refused"})
# A conversation with the customer: a right-party contact, or what only the customer can say.
RIGHT_PARTY = frozenset({"right_party_contact", "promise", "refused", "arrangement"})
PROMISE = "promise"
PAYMENT = "payment"
ARREARS_REASON = "arrears_reason"
SENT = "sent"

# Every word of the contact-history contract; anything else is unreadable.
VOCABULARY = frozenset(ev.EVENTS)

# How the report may be cut. Account keys come from the start snapshot as the policy assigns
# it on the first day; event keys from each event (an account can then be in several groups).
ACCOUNT_KEYS = ("tier", "strategy", "arm", "jurisdiction", "arrears_reason")
EVENT_KEYS = ("channel", "template")
KEYS = (*ACCOUNT_KEYS, *EVENT_KEYS)

# The reason for arrears: the documented vocabulary; a policy may add its own words.
ARREARS_REASONS = (
    "forgot",
    "income_drop",
    "unemployment",
    "illness",
    "family_emergency",
    "bereavement",
    "dispute",
    "fraud_claim",
    "over_indebted",
    "refuses",
    "unknown",
)

# Rates: name -> (numerator field, denominator field); null when the denominator is 0.
RATES = {
    "contact_rate": ("accounts_reached", "accounts_attempted"),
    "right_party_contact_rate": ("accounts_right_party", "accounts_attempted"),
    "promise_rate": ("accounts_promised", "accounts_right_party"),
    "kept_rate": ("promises_kept", "promises_due"),
    "cure_rate": ("cured", "accounts"),
    "roll_rate": ("rolled", "accounts"),
}
# Liquidation is per currency: paid in the period / overdue at the start.
LIQUIDATION = "liquidation_rate"
