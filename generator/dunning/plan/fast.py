"""Plan lines at scale: accounts that decide alike share one decision, planned once.

For an account without contact history every decision is a function of a few facts: days
past due, jurisdiction, currency, where the balance falls among the policy's thresholds,
product, segment, flags, which contact points exist, the promise and last-payment dates
relative to the as-of date, the time zone inputs, the locale and the experiment arm. Those
facts are the *decision key*. The first account with a key is planned by the full
:class:`~dunning.plan.decide.Planner`; its plan line and CSV rows become a template with
slots for the account id, the balance and the offer terms, and every later account with the
same key is written by filling the slots (offers are still computed per account: their
amounts depend on the exact balance). Accounts with history, or with an id that CSV would
have to quote, always take the full path. Both paths give the same bytes (tested).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

import orjson

from dunning.accounts.model import Account, Contact
from dunning.compliance.timezones import location_key
from dunning.plan.arms import assign_arm
from dunning.plan.decide import Planner
from dunning.plan.model import AccountPlan
from dunning.plan.offers import offer_terms
from dunning.plan.output import action_rows, offer_dict, plan_dict, plan_line, plan_stats
from dunning.policy.model import Amounts, Condition, Offer, Policy

_ID = "\x00I\x00"
_AMOUNT = "\x00A\x00"
_OFFERS = "\x00O\x00"
_JSON_ID = orjson.dumps(_ID)[1:-1]
_JSON_AMOUNT = orjson.dumps(_AMOUNT)
_JSON_OFFERS = orjson.dumps(_OFFERS)
_CSV_UNSAFE = frozenset(',"\r\n')

Stats = tuple[tuple[str, str], ...]
Line = tuple[bytes, str, str, str, Stats]  # plan line, CSV rows, status, tier, action stats


@dataclass(frozen=True)
class _Template:
    json_parts: tuple[bytes, ...]
    json_slots: tuple[str, ...]
    csv_parts: tuple[str, ...]
    status: str
    tier: str
    stats: Stats
    offer: Offer | None  # the key decides which offer applies; its amounts are per account


def _thresholds(policy: Policy) -> dict[str, list[Decimal]]:
    """Every money threshold of the policy per currency (tiers and conditions), sorted."""
    found: dict[str, set[Decimal]] = {}

    def add(amounts: Amounts) -> None:
        for currency, value in amounts.by_currency.items():
            found.setdefault(currency, set()).add(value)
        if amounts.default is not None:
            found.setdefault("*", set()).add(amounts.default)

    conditions: list[Condition] = [e.when for e in policy.exclusions] + [o.when for o in policy.offers]
    conditions += [s.when for strategy in policy.strategies.values() for s in strategy.steps]
    for cond in conditions:
        add(cond.min_overdue)
        add(cond.max_overdue)
    for tier in policy.tiers:
        add(tier.min_amount)
        add(tier.max_amount)
    common = found.pop("*", set())
    return {currency: sorted(values | common) for currency, values in found.items()} | {"*": sorted(common)}


class FastPlanner:
    """Plan lines for many accounts, reusing decisions between accounts with the same key."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        self.policy = planner.policy
        self._thresholds = _thresholds(self.policy)
        conditions = (
            *(e.when for e in self.policy.exclusions),
            *(o.when for o in self.policy.offers),
            *(s.when for st in self.policy.strategies.values() for s in st.steps),
        )
        # days-without-payment thresholds: only which side of each the account is on matters
        self._payment_days = tuple(sorted({c.no_payment_for_days for c in conditions if c.no_payment_for_days}))
        self._grace = self.policy.settings.promise_grace_days
        self._templates: dict[Hashable, _Template] = {}
        self.hits = 0

    def _key(self, account: Account) -> Hashable:
        as_of = self.planner.as_of
        levels = self._thresholds.get(account.currency, self._thresholds["*"])
        amount = account.overdue_amount
        paid = account.last_payment_date
        promised = account.promise_to_pay_date
        horizon = self.planner.horizon
        # an open promise's date is in the plan's words; a long-broken one only counts as broken
        # kept by the snapshot's payment: one in the promise's window, on or before as-of, and
        # a promise that names no amount (dunning.state.ledger)
        kept = (
            paid is not None
            and promised is not None
            and account.promise_amount is None
            and promised <= paid <= min(as_of, promised + timedelta(days=self._grace))
        )
        promise = None if promised is None else (max((promised - as_of).days, -self._grace - 2), kept)
        # a step on day as_of + o (o ≤ horizon) asks "days since payment + o ≥ N"
        payment = (
            None
            if paid is None
            else tuple(max(-horizon - 1, min(0, (as_of - paid).days - n)) for n in self._payment_days)
        )
        zones = location_key(account)  # what the candidate zones depend on, not the street
        return (
            (as_of - account.due_date).days,
            account.jurisdiction,
            account.currency,
            bisect_left(levels, amount),
            bisect_right(levels, amount),
            amount > 0,
            account.product,
            account.segment,
            account.flags,
            bool(account.phone),
            bool(account.email),
            bool(account.address),
            account.invalid,
            promise,
            payment,
            zones,
            account.locale,
            self._arms(account),
        )

    def _arms(self, account: Account) -> tuple[str | None, ...]:
        return tuple(
            (arm.id if (arm := assign_arm(e, account.account_id)) is not None else None)
            for e in self.policy.experiments
        )

    def line(self, account: Account, history: Sequence[Contact] = (), *, held: bool = False) -> Line:
        """The account's plan line, CSV rows, status, tier and action stats."""
        if (
            history
            or held
            or _CSV_UNSAFE.intersection(account.account_id)
            or account.account_id != account.account_id.strip()
        ):
            return _full(self.planner.plan(account, history, held=held))
        key = self._key(account)
        template = self._templates.get(key)
        if template is None:
            plan = self.planner.plan(account, history)
            template = self._templates[key] = _template(plan, account.account_id, self.policy)
            return _full(plan)
        self.hits += 1
        offers = b"[]"
        if template.offer is not None:
            offers = orjson.dumps([offer_dict(offer_terms(template.offer, account, self.planner.as_of))])
        values = {
            "id": orjson.dumps(account.account_id)[1:-1],
            "amount": orjson.dumps(str(account.overdue_amount)),
            "offers": offers,
        }
        out = bytearray(template.json_parts[0])
        for slot, part in zip(template.json_slots, template.json_parts[1:], strict=True):
            out += values[slot]
            out += part
        return (
            bytes(out),
            account.account_id.join(template.csv_parts),
            template.status,
            template.tier,
            template.stats,
        )


def _full(plan: AccountPlan) -> Line:
    return (
        plan_line(plan),
        action_rows(plan),
        plan.status,
        plan.tier or "none",
        plan_stats(plan),
    )


def _template(plan: AccountPlan, account_id: str, policy: Policy) -> _Template:
    cut = len(account_id)
    actions = tuple(replace(a, id=_ID + a.id[cut:]) for a in plan.actions)
    shell = replace(plan, account_id=_ID, actions=actions, offers=())
    data = plan_dict(shell)
    data["overdue_amount"] = _AMOUNT
    data["offers"] = _OFFERS
    raw = orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE)
    parts: list[bytes] = []
    slots: list[str] = []
    rest = raw
    markers = {_JSON_ID: "id", _JSON_AMOUNT: "amount", _JSON_OFFERS: "offers"}
    while True:
        found = [(rest.find(m), m) for m in markers if rest.find(m) >= 0]
        if not found:
            parts.append(rest)
            break
        at, marker = min(found)
        parts.append(rest[:at])
        slots.append(markers[marker])
        rest = rest[at + len(marker) :]
    csv_text = action_rows(replace(shell, actions=actions))
    return _Template(
        json_parts=tuple(parts),
        json_slots=tuple(slots),
        csv_parts=tuple(csv_text.split(_ID)),
        status=plan.status,
        tier=plan.tier or "none",
        stats=plan_stats(plan),
        offer=next((o for o in policy.offers if plan.offers and o.id == plan.offers[0].id), None),
    )
