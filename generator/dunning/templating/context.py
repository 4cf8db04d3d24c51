"""Build the template context — exactly the shape documented in :mod:`dunning.templating.context_spec` —
as plain data (str, int, Decimal, date, datetime, lists, dicts), never live objects.

Inputs are one ``plans.jsonl`` line (already decoded), one of its actions, the account as the
snapshot gave it, and the compiled policy. The plan is the source for everything it decided
(dpd, tier, locale, time zone, amounts, offer); the account adds only contact details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from dunning.accounts.model import Account
from dunning.compliance.texts import compliance_context
from dunning.policy.model import Policy
from dunning.templating.formatting import mask


class AccountRow(Protocol):
    """An account as render reads it from the snapshot (``dunning.render.account_rows.RowAccount``):
    its id, its jurisdiction, and its ``account`` context object built straight from the row,
    equal to what :func:`account_context` builds from the row's :class:`Account`."""

    account_id: str
    jurisdiction: str

    def account_context(self, plan: Mapping[str, Any], locale: str) -> dict[str, Any]:
        """The ``account`` context object (see :func:`account_context`)."""
        ...

    def account_fields(self, plan: Mapping[str, Any], locale: str, keys: frozenset[str]) -> dict[str, Any] | None:
        """The ``account`` object with only ``keys`` and those the channels read, or None."""
        ...


def _country(jurisdiction: str) -> str:
    return jurisdiction.split("-", 1)[0]


@lru_cache(maxsize=4096)
def _compliance_cached(
    jurisdiction: str, channel: str, locale: str, sent_on: date, unsubscribe_url: str
) -> Mapping[str, Any]:
    return compliance_context(
        jurisdiction=jurisdiction, channel=channel, locale=locale, sent_on=sent_on, unsubscribe_url=unsubscribe_url
    )


def compliance_texts(
    jurisdiction: str, channel: str, locale: str, sent_on: date, unsubscribe_url: str = ""
) -> dict[str, Any]:
    """The ``compliance`` context object for one message (texts owned by :mod:`dunning.compliance.texts`)."""
    return dict(_compliance_cached(jurisdiction, channel, locale, sent_on, unsubscribe_url))


@lru_cache(maxsize=4096)
def _compliance_shared(
    jurisdiction: str, channel: str, locale: str, sent_on: date, unsubscribe_url: str
) -> dict[str, Any]:
    # one plain dict per key, shared by every message's context (nothing writes to a context):
    # a copy per message cost more than the rest of the compliance lookup
    return dict(_compliance_cached(jurisdiction, channel, locale, sent_on, unsubscribe_url))


# (company, locale, country) -> the company's context. Keyed by identity (the policy holds
# mappings and is not hashable), so each entry keeps its company alive: an id is only unique
# while its object lives, and a freed policy's id reused by the next one (handbook serve
# rebuilds, a test session) would hand that policy another's name and address.
_COMPANY: dict[tuple[int, str, str], tuple[object, Mapping[str, str]]] = {}
_COMPANY_MAX = 256  # entries before the cache starts again (one policy per run needs a few)


def _company(policy: Policy, locale: str, country: str) -> Mapping[str, str]:
    company = policy.company
    key = (id(company), locale, country)
    hit = _COMPANY.get(key)
    if hit is not None and hit[0] is company:
        return hit[1]
    if len(_COMPANY) >= _COMPANY_MAX:
        _COMPANY.clear()
    cached = {
        "name": company.name.get(locale),
        "sms_signature": company.sms_signature.get(locale),
        "phone": company.phone.get(country) or next(iter(company.phone.values()), ""),
        "email": company.email,
        "website": company.website,
        "postal_address": company.postal_address.get(locale),
        "unsubscribe_url": company.unsubscribe_url,
    }
    _COMPANY[key] = (company, cached)
    return cached


def company_context(policy: Policy, locale: str, jurisdiction: str) -> dict[str, str]:
    """The ``company`` context object in the message locale, with the jurisdiction's phone."""
    return dict(_company(policy, locale, _country(jurisdiction)))


@lru_cache(maxsize=1024)
def _day(text: str) -> date:
    return date.fromisoformat(text)


@lru_cache(maxsize=8192)
def _instant(text: str) -> datetime:
    # a plan's send windows repeat across accounts (one per zone and day); datetimes are immutable
    return datetime.fromisoformat(text)


def _date(value: object) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return _day(str(value))


@lru_cache(maxsize=4096)
def _due_dates(first: date | None, interval: int, count: int) -> tuple[date | None, ...]:
    # an offer's instalment dates: the same few first dates and intervals across a portfolio
    return tuple(first + timedelta(days=interval * i) if first else None for i in range(count))


# an offer's amounts by their text: its instalments repeat one amount, and its discount is
# mostly "0" and "0.00" (Decimals are immutable: one object serves every context). Converting
# each was ≈ 2.5 µs of an offer object's ≈ 3.7 (measured on the bench plan's call lines)
@lru_cache(maxsize=1 << 16)
def _decimal_of(text: str) -> Decimal:
    return Decimal(text)


def _amount(value: object) -> Decimal:
    """``Decimal(str(value))``; a text that is no number raises as it does (and is not kept)."""
    return _decimal_of(value) if type(value) is str else Decimal(str(value))


def offer_context(offer: Mapping[str, Any] | None, schedule: bool = True) -> dict[str, Any] | None:
    """The ``offer`` context object from a plan's offer entry (amounts as Decimal).
    ``schedule`` False: without its ``schedule`` (every other value converted as always, so
    that what fails fails alike), for a context built with the keys its template reads."""
    if not offer:
        return None
    amounts = [_amount(a) for a in offer.get("amounts", [])]
    first = _date(offer.get("first_due_date"))
    interval = int(offer.get("interval_days") or 0)
    context = {
        "id": str(offer.get("id", "")),
        "kind": str(offer.get("kind", "")),
        "instalments": int(offer.get("instalments") or len(amounts)),
        "instalment_amount": amounts[0] if amounts else Decimal(0),
        "instalment_amounts": amounts,
        "schedule": None,
        "first_due_date": first,
        "interval_days": interval,
        "discount": _amount(offer.get("discount") or 0),
        "discount_amount": _amount(offer.get("discount_amount") or 0),
        "total": _amount(offer.get("total") or sum(amounts, Decimal(0))),
    }
    if schedule:
        context["schedule"] = [
            {"due_date": due, "amount": amount}
            for due, amount in zip(_due_dates(first, interval, len(amounts)), amounts, strict=True)
        ]
    else:
        del context["schedule"]
    return context


def account_context(plan: Mapping[str, Any], account: Account, locale: str) -> dict[str, Any]:
    """The ``account`` context object: what the plan decided plus the account's contact details."""
    overdue = Decimal(str(plan.get("overdue_amount", account.overdue_amount)))
    return {
        "id": account.account_id,
        "masked_id": mask(account.account_id),
        "customer_id": account.customer_id,
        "name": account.name,
        "locale": locale,
        "jurisdiction": plan.get("jurisdiction") or account.jurisdiction,
        "timezone": plan.get("timezone") or account.timezone,
        "currency": plan.get("currency") or account.currency,
        "overdue_amount": overdue,
        "principal": account.principal if account.principal is not None else overdue,
        "due_date": account.due_date,
        "dpd": int(plan["dpd"]),
        "product": account.product,
        "segment": account.segment,
        "phone": account.phone,
        "email": account.email,
        "address": account.address,
        "postal_code": account.postal_code,
        "last_payment_date": account.last_payment_date,
        "promise_to_pay_date": account.promise_to_pay_date,
        "promise_amount": account.promise_amount,
        "creditor": account.creditor,
        "original_creditor": account.original_creditor,
        "itemization": itemization_context(account),
        "extra": dict(sorted(account.extra.items())),
    }


def itemization_context(account: Account) -> dict[str, Any]:
    """The ``account.itemization`` object: the Regulation F itemization (None values when the
    account has none, outside the US)."""
    return {
        "date": account.itemization_date,
        "amount": account.itemization_amount,
        "interest": account.interest_since_itemization,
        "fees": account.fees_since_itemization,
        "payments": account.payments_since_itemization,
        "credits": account.credits_since_itemization,
        "total": account.current_amount(),
    }


def _plan_parts(plan: Mapping[str, Any], account: Account | AccountRow, policy: Policy, locale: str) -> dict[str, Any]:
    # every part of a context that depends on the plan line, the account and the locale only
    return _parts(
        plan,
        account.jurisdiction,
        policy,
        locale,
        lambda: (
            account_context(plan, account, locale)
            if isinstance(account, Account)
            else account.account_context(plan, locale)
        ),
    )


def _parts(
    plan: Mapping[str, Any],
    account_jurisdiction: str,
    policy: Policy,
    locale: str,
    account_object: Callable[[], dict[str, Any]],
    schedule: bool = True,
) -> dict[str, Any]:
    # the parts of _plan_parts and narrow_parts, converted in the same order whichever builds
    # them (so that of two values that cannot be read, the same one is reported)
    jurisdiction = str(plan.get("jurisdiction") or account_jurisdiction)
    as_of = _date(plan["as_of"])
    assert as_of is not None
    tier = policy.tier(plan["tier"]) if plan.get("tier") else None
    offers = plan.get("offers") or []
    return {
        "jurisdiction": jurisdiction,
        "account": account_object(),
        "tier": {"id": tier.id, "name": tier.name} if tier else {"id": "", "name": ""},
        "arm": plan.get("arm") or "",
        "offer": offer_context(offers[0] if offers else None, schedule),
        # shared by every context of the locale and country (read-only, like the rest)
        "company": _company(policy, locale, _country(jurisdiction)),
        "as_of": as_of,
    }


# the keys of the context's objects a channel reads after its template (render/calls.py: the
# account's id, phone and zone; the money filter: its currency), beside the template's own
NARROW_NAMES = frozenset(
    {"account", "offer", "tier", "company", "compliance", "action", "agency", "arm", "as_of", "locale"}
)


def narrow_parts(
    plan: Mapping[str, Any],
    account: AccountRow,
    policy: Policy,
    locale: str,
    reads: Mapping[str, frozenset[str] | None],
) -> dict[str, Any] | None:
    """:func:`_plan_parts` for a template that reads only ``reads`` (``dunning.templating.fill.reads``):
    the ``account`` object with only the keys read (and those a channel reads, see
    ``AccountRow.account_fields``), the ``offer`` without its schedule unless it is read;
    each value read the same as in the whole parts. None when they cannot be narrowed (a
    name read whole, or no context name at all): the caller builds the whole context."""
    if not reads.keys() <= NARROW_NAMES:
        return None
    account_keys = reads.get("account", frozenset())
    if account_keys is None:
        return None
    fields = account.account_fields(plan, locale, account_keys)
    if fields is None:
        return None
    offer_keys = reads.get("offer", frozenset())
    return _parts(
        plan, account.jurisdiction, policy, locale, lambda: fields, offer_keys is None or "schedule" in offer_keys
    )


def build_context(
    plan: Mapping[str, Any],
    action: Mapping[str, Any],
    account: Account | AccountRow,
    policy: Policy,
    shared: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The full template context for one action of one plan (``account``: an
    :class:`Account`, or a snapshot row that builds its own ``account`` object, the same).

    ``shared`` (optional) is a dict the caller keeps for one plan line and passes with each
    of its actions: the parts that depend on the plan and the account only (account, tier,
    offer, company — per locale) are then built once per account, not once per message.
    The actions' contexts share those objects; nothing writes to a context (the sandbox is
    immutable, the channels read)."""
    locale = str(action.get("locale") or plan.get("locale") or policy.default_locale)
    channel = str(action["channel"])
    not_before = _instant(action["not_before"]) if action.get("not_before") else None
    not_after = _instant(action["not_after"]) if action.get("not_after") else None
    if shared is None:
        shared = {}
    parts = shared.get(locale)
    if parts is None:
        parts = shared[locale] = _plan_parts(plan, account, policy, locale)
    as_of = parts["as_of"]
    sent_on = not_before.date() if not_before else as_of
    agency_id = action.get("agency")
    agency = policy.agencies.get(agency_id) if agency_id else None
    return {
        "account": parts["account"],
        "tier": parts["tier"],
        "arm": parts["arm"],
        "action": {
            "id": action["id"],
            "channel": channel,
            "template": action["template"],
            "not_before": not_before,
            "not_after": not_after,
            "priority": int(action.get("priority") or 5),
        },
        "offer": parts["offer"],
        "agency": {"id": agency.id, "name": agency.name} if agency else None,
        "company": parts["company"],
        "compliance": _compliance_shared(
            parts["jurisdiction"], channel, locale, sent_on, policy.company.unsubscribe_url
        ),
        "as_of": as_of,
        "locale": locale,
    }
