"""Typed account and contact-history records, as every later stage sees them.

Parsing and row validation live in :mod:`dunning.accounts.read` (columnar, for snapshots)
and are shared with ``dunning gate`` (one JSON record at a time); both produce these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType

REQUIRED_COLUMNS = ("account_id", "jurisdiction", "currency", "overdue_amount", "due_date")
OPTIONAL_COLUMNS = (
    "customer_id", "name", "locale", "timezone", "phone", "email", "address", "postal_code",
    "product", "segment", "principal", "last_payment_date", "promise_to_pay_date", "promise_amount",
    *(
        "creditor", "original_creditor", "itemization_date", "itemization_amount", "interest_since_itemization",
        "fees_since_itemization", "payments_since_itemization", "credits_since_itemization",
    ),
)  # fmt: skip
# The Regulation F itemization (12 CFR 1006.34(b)(3), (c)(2)): a US account must carry every one
# of these (reject R018); original_creditor only when it differs from the creditor.
US_ITEMIZATION_REQUIRED = (
    "creditor", "itemization_date", "itemization_amount", "interest_since_itemization",
    "fees_since_itemization", "payments_since_itemization", "credits_since_itemization",
)  # fmt: skip
FLAG_COLUMNS = (
    "dispute", "bankruptcy", "deceased", "cease_contact", "hardship", "vulnerable", "legal_hold",
    "breathing_space", "sms_opt_out", "email_opt_out", "call_opt_out",
)  # fmt: skip
# The history vocabulary lives in dunning.accounts.events (the words, aliases, columns).

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Account:
    """One row of the account snapshot, parsed and valid. Money is Decimal; dates are dates."""

    account_id: str
    jurisdiction: str
    currency: str
    overdue_amount: Decimal
    due_date: date
    customer_id: str = ""
    name: str = ""
    locale: str = ""  # "" → the jurisdiction's default locale
    timezone: str = ""  # IANA, validated; "" → derived from phone/address, else jurisdiction default
    phone: str = ""  # E.164
    email: str = ""
    address: str = ""
    postal_code: str = ""
    product: str = ""
    segment: str = ""
    principal: Decimal | None = None
    last_payment_date: date | None = None
    promise_to_pay_date: date | None = None
    promise_amount: Decimal | None = None
    # the Regulation F itemization (US accounts; empty or None elsewhere)
    creditor: str = ""  # to whom the debt is owed now
    original_creditor: str = ""  # if different
    itemization_date: date | None = None
    itemization_amount: Decimal | None = None
    interest_since_itemization: Decimal | None = None
    fees_since_itemization: Decimal | None = None
    payments_since_itemization: Decimal | None = None
    credits_since_itemization: Decimal | None = None
    flags: frozenset[str] = frozenset()  # the FLAG_COLUMNS that are true
    # contact points present but unusable ("phone", "email", "address"): the account is
    # planned, the channels that need them are not (data/<point>-invalid)
    invalid: frozenset[str] = frozenset()
    extra: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    line: int = 0  # 1-based line (CSV, JSONL) or row number (Parquet) in the input, for rejects

    def flag(self, name: str) -> bool:
        """True when the boolean column ``name`` is set."""
        return name in self.flags

    def current_amount(self) -> Decimal | None:
        """The amount of the debt now by the itemization (12 CFR 1006.34(c)(2)(ix)): the amount on
        the itemization date plus interest and fees, less payments and credits since; None
        without an itemization."""
        parts = (
            self.itemization_amount,
            self.interest_since_itemization,
            self.fees_since_itemization,
            self.payments_since_itemization,
            self.credits_since_itemization,
        )
        if any(p is None for p in parts):
            return None
        amount, interest, fees, payments, credits = parts
        assert amount is not None and interest is not None and fees is not None
        assert payments is not None and credits is not None
        return amount + interest + fees - payments - credits


@dataclass(frozen=True, slots=True)
class Contact:
    """One contact-history event (or a planned action, when caps count what is planned).

    ``outcome`` is the event word in the vocabulary's spelling (:mod:`.events`; aliases
    are resolved on reading). The optional fields are those of the history contract.
    """

    account_id: str
    at: datetime  # timezone-aware
    channel: str
    outcome: str
    debt_id: str = ""
    phone: str = ""
    email: str = ""
    amount: Decimal | None = None
    currency: str = ""
    on: date | None = None  # the event's `date` column: a promised date, a first instalment
    instalments: int = 0
    interval_days: int = 0
    action_id: str = ""
    note: str = ""
    source: str = ""
    reason: str = ""  # an arrears_reason event's word (lower case)
    line: int = 0
