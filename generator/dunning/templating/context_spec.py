"""The documented template context: every name a template may use, and what it means.

This is a contract between policy owners (who write templates), validate (which reports any
other name as undeclared, at its line), render (which builds exactly this shape as plain
data) and the handbook (which prints this table). Values are plain data — str, int, Decimal,
date, datetime, lists and dicts — never live objects.
"""

from __future__ import annotations

from typing import Any

# name -> description, or a nested mapping for an object with attributes.
CONTEXT_SPEC: dict[str, Any] = {
    "account": {
        "id": "account id (string)",
        "masked_id": "account id with all but the last 4 characters masked",
        "customer_id": "customer id, or empty",
        "name": "the debtor's name as on file",
        "locale": "BCP 47 locale of the message",
        "jurisdiction": "ISO 3166 code, e.g. CN, US, US-MA",
        "timezone": "IANA time zone used for the action's window",
        "currency": "ISO 4217 code",
        "overdue_amount": "Decimal, amount past due",
        "principal": "Decimal, outstanding principal (or the overdue amount when not given)",
        "due_date": "date of the earliest unpaid instalment",
        "dpd": "days past due on the as-of date (int)",
        "product": "product code, or empty",
        "segment": "segment code, or empty",
        "phone": "E.164 phone number, or empty",
        "email": "email address, or empty",
        "address": "postal address, or empty",
        "postal_code": "postal code, or empty",
        "last_payment_date": "date or None",
        "promise_to_pay_date": "date or None",
        "promise_amount": "Decimal or None",
        "creditor": "US: the creditor to whom the debt is owed now; empty elsewhere",
        "original_creditor": "US: the creditor on the itemization date when different, or empty",
        "itemization": (
            "US: the Regulation F itemization (12 CFR 1006.34(c)(2)) — .date (the itemization date), "
            ".amount (owed on that date), .interest, .fees, .payments, .credits (each since that date, "
            "Decimal) and .total (the debt now: amount + interest + fees - payments - credits); "
            "None values elsewhere"
        ),
        "extra": "mapping of any other input columns (strings)",
    },
    "tier": {"id": "tier id", "name": "tier display name"},
    "arm": "experiment arm id, or empty",
    "action": {
        "id": "action id (stable: account, step, date)",
        "channel": "sms, email, letter, call, visit, agency or legal_review",
        "template": "template id",
        "not_before": "aware datetime, start of the window in the debtor's local time",
        "not_after": "aware datetime, end of the window",
        "priority": "1 (highest) … 9",
    },
    "offer": {
        "__doc__": "None when no offer applies; test with {% if offer %}",
        "id": "offer id",
        "kind": "payment_plan, hardship or settlement",
        "instalments": "number of instalments (int)",
        "instalment_amount": "Decimal, the regular instalment",
        "instalment_amounts": "list of Decimal, summing exactly to total",
        "schedule": "list of {due_date, amount}",
        "first_due_date": "date of the first instalment",
        "interval_days": "days between instalments",
        "discount": "Decimal fraction forgiven (0.10 = 10%)",
        "discount_amount": "Decimal amount forgiven",
        "total": "Decimal amount to pay after discount",
    },
    "agency": {"id": "agency id (agency placements only)", "name": "agency name"},
    "company": {
        "name": "company name in the message locale",
        "sms_signature": "SMS signature (CN: shown inside 【】)",
        "phone": "collections phone number for the debtor's jurisdiction",
        "email": "collections email address",
        "website": "company website",
        "postal_address": "company postal address in the message locale",
        "unsubscribe_url": "contact-preferences page",
    },
    "compliance": {
        "opt_out": "the opt-out instruction the jurisdiction requires for this channel (may be empty)",
        "mini_miranda": "US: full debt-collector disclosure (12 CFR 1006.18(e)); empty elsewhere",
        "mini_miranda_short": "US: 'This is a communication from a debt collector.'; empty elsewhere",
        "validation_end": "US: end date of the validation period for a notice sent on this action's date",
    },
    "as_of": "the run's as-of date",
    "locale": "BCP 47 locale of the message",
}

# Filters every template may use (implemented in dunning.templating.formatting).
FILTERS: dict[str, str] = {
    "money": "Decimal → locale currency text in the account's currency: ¥1,234.50 / $1,234.50",
    "number": "number → locale digits and separators",
    "percent": "fraction → locale percent (0.1 → 10%)",
    "date": "date → long locale date: 2026年11月28日 / November 28, 2026",
    "datetime": "aware datetime → locale date and time with the UTC offset",
    "mask": "keep the last 4 characters: ****1234",
    "mask_phone": "keep the country code and last 4 digits: +86 *******1234",
}


def declared_names() -> set[str]:
    """Top-level names a template may use, filters excluded."""
    return set(CONTEXT_SPEC)


def declared_attributes(name: str) -> set[str] | None:
    """Attributes of a top-level object, or None when the name is a plain value."""
    spec = CONTEXT_SPEC.get(name)
    if isinstance(spec, dict):
        return {k for k in spec if not k.startswith("__")}
    return None
