"""Concrete payment-plan, hardship and settlement offers, in exact Decimal money.

``total = overdue × (1 − max_discount)``, rounded *down* to the currency's minor unit (the
debtor is never asked for a fraction of a cent more than the terms say); ``n =
min(instalments, ⌊total / min_instalment⌋)``, at least 1; each instalment is ``total / n``
rounded down, the remainder goes on the first so the amounts add up to ``total`` exactly.
The first payment is due ``grace_days`` after the as-of date, each next one
``interval_days`` later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from dunning.accounts.model import Account, Contact
from dunning.accounts.record import minor_digits
from dunning.compliance.conditions import holds
from dunning.plan.model import OfferTerms
from dunning.policy.model import Offer, Policy
from dunning.state import AccountState


def quantum(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal exponent (USD ``0.01``, JPY ``1``)."""
    return Decimal(1).scaleb(-minor_digits(currency))


def offer_terms(offer: Offer, account: Account, as_of: date) -> OfferTerms:
    """The concrete terms of ``offer`` for ``account``."""
    unit = quantum(account.currency)
    overdue = account.overdue_amount.quantize(unit)
    total = (overdue * (1 - offer.max_discount)).quantize(unit, rounding=ROUND_DOWN)
    count = offer.instalments
    minimum = offer.min_instalment.get(account.currency)
    if minimum is not None and minimum > 0:
        count = min(count, int(total // minimum))
    count = max(count, 1)
    each = (total / count).quantize(unit, rounding=ROUND_DOWN)
    first = total - each * (count - 1)
    return OfferTerms(
        id=offer.id,
        kind=offer.kind,
        currency=account.currency,
        amounts=(first, *([each] * (count - 1))),
        first_due_date=as_of + timedelta(days=offer.grace_days),
        interval_days=offer.interval_days,
        discount=offer.max_discount,
        discount_amount=overdue - total,
        total=total,
    )


def choose_offer(
    policy: Policy,
    account: Account,
    as_of: date,
    tier_id: str | None,
    history: Sequence[Contact],
    state: AccountState | None = None,
) -> tuple[Offer | None, list[tuple[Offer, str]]]:
    """The first offer whose condition holds, and the (offer, failing part) of those before it."""
    skipped: list[tuple[Offer, str]] = []
    for offer in policy.offers:
        ok, part = holds(
            offer.when,
            account,
            as_of=as_of,
            tier_id=tier_id,
            history=history,
            promise_grace_days=policy.settings.promise_grace_days,
            state=state,
        )
        if ok:
            return offer, skipped
        skipped.append((offer, part))
    return None, skipped
