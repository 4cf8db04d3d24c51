"""Synthetic sample debtors, so that every template can be rendered without real accounts.

validate's SMS-length rule and the handbook's template gallery render each template for these
personas in each locale. They are invented (fictional 555-01xx numbers, example.com
addresses) and cover the situations templates branch on: each delinquency stage, with and
without an offer, a hardship plan and a settlement with a discount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dunning.accounts.model import Account
from dunning.policy.model import Policy
from dunning.templating.context import account_context, company_context, compliance_texts, offer_context

SAMPLE_AS_OF = date(2026, 11, 28)


@dataclass(frozen=True)
class Situation:
    """A delinquency situation a persona is in (the same six in every locale)."""

    id: str
    label: str
    dpd: int
    amount_units: int  # overdue amount in whole currency units, scaled per currency below
    offer_kind: str | None  # payment_plan | hardship | settlement | None
    instalments: int
    discount: Decimal


SITUATIONS = (
    Situation("reminder", "Forgot to pay, a few days late", 3, 1234, None, 0, Decimal(0)),
    Situation("early", "Early arrears, no offer", 15, 2680, None, 0, Decimal(0)),
    Situation("mid-plan", "Arrears with a payment-plan offer", 40, 4800, "payment_plan", 6, Decimal(0)),
    Situation("hardship", "Hardship plan with relief", 35, 3600, "hardship", 12, Decimal("0.10")),
    Situation("late-plan", "Serious arrears with a plan offer", 70, 8750, "payment_plan", 6, Decimal(0)),
    Situation("recovery", "Recovery with a settlement offer", 100, 25000, "settlement", 1, Decimal("0.25")),
)

# locale -> (names, phone pattern, email domain, address, postal code, fallback zone, currency)
_LOCALE_DATA: dict[str, dict[str, Any]] = {
    "zh-CN": {
        "names": ("李明", "王芳", "张伟", "刘洋", "陈静", "赵磊"),
        "phone": "+8613800138{:03d}",
        "address": "北京市朝阳区示例路{}号",
        "postal_code": "100020",
        "scale": Decimal(1),
    },
    "en-US": {
        "names": (
            "Alex Sample",
            "Jordan Example",
            "Casey Demo",
            "Riley Placeholder",
            "Zoë Morgan-Example",
            "Taylor Doe",
        ),
        "phone": "+1202555{:04d}",
        "address": "{} Example Avenue, Springfield, IL 62701",
        "postal_code": "62701",
        "scale": Decimal("0.15"),
    },
}
_DEFAULT_DATA = _LOCALE_DATA["en-US"]


@dataclass(frozen=True)
class Persona:
    """One synthetic debtor in one locale and situation, with the plan-shaped data it implies."""

    id: str  # e.g. "zh-CN/mid-plan"
    label: str
    locale: str
    situation: Situation
    account: Account
    plan: dict[str, Any]  # a plans.jsonl-shaped mapping (as_of, dpd, tier, offers …)


def _jurisdiction_for(policy: Policy, locale: str, country: str | None = None) -> tuple[str, str, str]:
    """(jurisdiction code, currency, IANA zone) of the first jurisdiction serving ``locale``
    (of ``country`` when given)."""
    if country is not None:
        for code in sorted(policy.jurisdictions):
            j = policy.jurisdictions[code]
            if locale in j.locales and code.split("-", 1)[0] == country:
                return code, j.currency, j.timezone
    for code in sorted(policy.jurisdictions):
        j = policy.jurisdictions[code]
        if locale in j.locales and "-" not in code:
            return code, j.currency, j.timezone
    for code in sorted(policy.jurisdictions):
        j = policy.jurisdictions[code]
        if locale in j.locales:
            return code, j.currency, j.timezone
    return "US", "USD", "America/New_York"


def split_amount(total: Decimal, instalments: int) -> list[Decimal]:
    """Equal instalments rounded down to cents, the last one absorbing the remainder (exact sum)."""
    if instalments <= 1:
        return [total]
    regular = (total / instalments).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [regular] * (instalments - 1) + [total - regular * (instalments - 1)]


def _offer(situation: Situation, overdue: Decimal, currency: str, as_of: date) -> dict[str, Any] | None:
    if situation.offer_kind is None:
        return None
    discount_amount = (overdue * situation.discount).quantize(Decimal("0.01"))
    total = overdue - discount_amount
    amounts = split_amount(total, situation.instalments)
    return {
        "id": f"sample-{situation.offer_kind}",
        "kind": situation.offer_kind,
        "currency": currency,
        "instalments": situation.instalments,
        "amounts": [str(a) for a in amounts],
        "first_due_date": (as_of + timedelta(days=14)).isoformat(),
        "interval_days": 30 if situation.instalments > 1 else 0,
        "discount": str(situation.discount),
        "discount_amount": str(discount_amount),
        "total": str(total),
    }


def _itemization(jurisdiction: str, overdue: Decimal, since: date, n: int) -> dict[str, Any]:
    """A US persona's Regulation F itemization, adding up to ``overdue`` (none elsewhere): the
    validation notice renders it, and validate checks every element appears (T013)."""
    if jurisdiction.split("-", 1)[0] != "US":
        return {}
    interest = (overdue * Decimal("0.03")).quantize(Decimal("0.01"))
    fees = Decimal("25.00") if n % 2 else Decimal("0.00")
    payments = Decimal("40.00") if n % 3 == 0 else Decimal("0.00")
    credits = Decimal("10.00") if n % 4 == 0 else Decimal("0.00")
    return {
        "creditor": "Example Bank, N.A.",
        "original_creditor": "Sample Retail Card Services" if n % 2 else "",
        "itemization_date": since,
        "itemization_amount": overdue - interest - fees + payments + credits,
        "interest_since_itemization": interest,
        "fees_since_itemization": fees,
        "payments_since_itemization": payments,
        "credits_since_itemization": credits,
    }


def personas(
    policy: Policy, locale: str, as_of: date = SAMPLE_AS_OF, country: str | None = None
) -> tuple[Persona, ...]:
    """The sample personas of ``locale`` (one per situation), in a fixed order; ``country``:
    in that country's first jurisdiction serving the locale (validate's US notice check)."""
    data = _LOCALE_DATA.get(locale, _DEFAULT_DATA)
    jurisdiction, currency, zone = _jurisdiction_for(policy, locale, country)
    out = []
    for n, situation in enumerate(SITUATIONS, start=1):
        overdue = (Decimal(situation.amount_units) * data["scale"]).quantize(Decimal("0.01")) + Decimal("0.50")
        tier = next((t for t in policy.tiers if t.dpd.contains(situation.dpd)), None)
        account = Account(
            account_id=f"SAMPLE-{locale}-{n:04d}",
            jurisdiction=jurisdiction,
            currency=currency,
            overdue_amount=overdue,
            due_date=as_of - timedelta(days=situation.dpd),
            customer_id=f"C-SAMPLE-{n:04d}",
            name=data["names"][(n - 1) % len(data["names"])],
            locale=locale,
            timezone=zone,
            phone=data["phone"].format(100 + n),
            email=f"sample{n}@example.com",
            address=data["address"].format(n * 10),
            postal_code=data["postal_code"],
            product="instalment",
            segment="retail",
            principal=overdue * 4,
            last_payment_date=as_of - timedelta(days=situation.dpd + 30),
            **_itemization(jurisdiction, overdue, as_of - timedelta(days=situation.dpd + 30), n),
        )
        offer = _offer(situation, overdue, currency, as_of)
        plan = {
            "account_id": account.account_id,
            "as_of": as_of.isoformat(),
            "dpd": situation.dpd,
            "tier": tier.id if tier else None,
            "arm": None,
            "status": "active",
            "jurisdiction": jurisdiction,
            "locale": locale,
            "timezone": zone,
            "currency": currency,
            "overdue_amount": str(overdue),
            "exclusions": [],
            "actions": [],
            "offers": [offer] if offer else [],
        }
        out.append(Persona(f"{locale}/{situation.id}", situation.label, locale, situation, account, plan))
    return tuple(out)


def persona_context(policy: Policy, persona: Persona, template_id: str) -> dict[str, Any]:
    """A complete template context for ``template_id`` as if sent to ``persona`` on the sample day."""
    template = policy.templates.get(template_id)
    channel = template.channel if template else "sms"
    plan = persona.plan
    as_of = date.fromisoformat(plan["as_of"])
    zone = ZoneInfo(plan["timezone"])
    not_before = datetime.combine(as_of, time(10, 0), zone)
    not_after = datetime.combine(as_of, time(12, 0), zone)
    tier = policy.tier(plan["tier"]) if plan["tier"] else None
    agency = next(
        (a for a in sorted(policy.agencies.values(), key=lambda a: a.id) if plan["jurisdiction"] in a.jurisdictions),
        None,
    )
    return {
        "account": account_context(plan, persona.account, persona.locale),
        "tier": {"id": tier.id, "name": tier.name} if tier else {"id": "", "name": ""},
        "arm": "",
        "action": {
            "id": f"{persona.account.account_id}-sample-{channel}-{as_of:%Y%m%d}",
            "channel": channel,
            "template": template_id,
            "not_before": not_before,
            "not_after": not_after,
            "priority": 5,
        },
        "offer": offer_context(plan["offers"][0] if plan["offers"] else None),
        "agency": {"id": agency.id, "name": agency.name} if agency else {"id": "sample", "name": "Sample Agency"},
        "company": company_context(policy, persona.locale, plan["jurisdiction"]),
        "compliance": compliance_texts(
            plan["jurisdiction"], channel, persona.locale, as_of, policy.company.unsubscribe_url
        ),
        "as_of": as_of,
        "locale": persona.locale,
    }
