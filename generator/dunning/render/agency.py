"""Agency placements and legal-review case files — the two internal hand-overs.

Data minimisation: an agency receives exactly the fields its policy entry lists, in that
order, and the placement note is rendered from a context cut down to those same fields,
so a template that reaches for anything else fails (and is rejected) instead of leaking it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from dunning.policy.model import Agency

# agency field name -> account context key (the input column names, as agencies know them)
FIELD_KEYS = {"account_id": "id"}
# the field that carries the account's customer file (messages/cases/, relative to the CSV):
# an agency gets it only when its policy entry lists it, as every other field (data
# minimisation: the path names the account even where account_id is not listed)
CASE_FILE_FIELD = "case_file"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def agency_row(context: dict[str, Any], agency: Agency, case_link: str | None = None) -> list[str]:
    """The placement row: the agency's ``fields`` and nothing else; ``case_link`` fills the
    ``case_file`` field where the agency lists it (empty when no case file was written)."""
    account = context["account"]
    return [
        (case_link or "") if field == CASE_FILE_FIELD else _cell(account.get(FIELD_KEYS.get(field, field)))
        for field in agency.fields
    ]


def minimised_context(context: dict[str, Any], agency: Agency) -> dict[str, Any]:
    """The template context an agency note may use: account fields cut to the agency's list."""
    allowed = {FIELD_KEYS.get(field, field) for field in agency.fields}
    cut = dict(context)
    cut["account"] = {k: v for k, v in context["account"].items() if k in allowed}
    return cut


def legal_case(context: dict[str, Any], note: str, reasons: list[str], case_link: str | None = None) -> str:
    """The legal-review case: the facts the plan decided on, then the rendered request;
    ``case_link`` (relative to the case) names the customer's file."""
    account, action = context["account"], context["action"]
    offer = context["offer"]
    lines = [
        f"case: {action['id']}",
        f"account: {account['id']}",
        f"as_of: {context['as_of'].isoformat()}",
        f"jurisdiction: {account['jurisdiction']}",
        f"tier: {context['tier']['id']}",
        f"dpd: {account['dpd']}",
        f"currency: {account['currency']}",
        f"overdue_amount: {account['overdue_amount']}",
        f"principal: {account['principal']}",
        f"offer: {offer['id'] if offer else ''}",
        f"reasons: {'; '.join(reasons)}",
        *([f"case_file: {case_link}"] if case_link is not None else []),
        "",
        note.rstrip("\n"),
        "",
    ]
    return "\n".join(lines)
