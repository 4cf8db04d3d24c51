"""Serialise plans: one compact ``plans.jsonl`` line and the ``actions.csv`` rows per account.

Key order, formats and the CSV columns are the shared contract (COMMON.md): times in ISO
8601 with the debtor's UTC offset at seconds precision (``*_utc`` columns with ``Z``),
money as decimal strings, reasons ``;``-joined in the CSV.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import orjson

from dunning.plan.model import AccountPlan, OfferTerms, PlannedAction
from dunning.text.cells import csv_writer

ACTION_COLUMNS = (
    "account_id", "action_id", "channel", "template", "locale", "status", "not_before", "not_after",
    "not_before_utc", "not_after_utc", "priority", "tier", "arm", "reasons",
)  # fmt: skip
REJECT_COLUMNS = ("line", "account_id", "code", "message")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the offset, seconds precision (None stays None)."""
    return moment.isoformat(timespec="seconds") if moment is not None else None


def iso_utc(moment: datetime | None) -> str:
    """ISO 8601 in UTC with ``Z`` ("" for None)."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def action_dict(action: PlannedAction, action_id: str | None = None) -> dict[str, Any]:
    """The action object of a plan line, keys in contract order (``action_id``: written
    instead of the action's own)."""
    out: dict[str, Any] = {
        "id": action.id if action_id is None else action_id,
        "step": action.step,
        "channel": action.channel,
        "template": action.template,
        "locale": action.locale,
        "not_before": iso(action.not_before),
        "not_after": iso(action.not_after),
        "status": action.status,
        "priority": action.priority,
        "reasons": list(action.reasons),
    }
    if action.agency is not None:
        out["agency"] = action.agency
    return out


def offer_dict(offer: OfferTerms) -> dict[str, Any]:
    """The offer object of a plan line."""
    return {
        "id": offer.id,
        "kind": offer.kind,
        "currency": offer.currency,
        "instalments": offer.instalments,
        "amounts": [str(a) for a in offer.amounts],
        "first_due_date": offer.first_due_date.isoformat(),
        "interval_days": offer.interval_days,
        "discount": str(offer.discount),
        "discount_amount": str(offer.discount_amount),
        "total": str(offer.total),
    }


def plan_dict(plan: AccountPlan, as_id: str | None = None) -> dict[str, Any]:
    """The whole plan line as plain data, keys in contract order.

    ``as_id``: written as the plan of account ``as_id``, the plan's own id replaced in the
    account id and at the start of every action id (a decision template's slot,
    :mod:`dunning.plan.columnar`; cheaper than a copy of the plan with its actions)."""
    cut = len(plan.account_id)
    return {
        "account_id": plan.account_id if as_id is None else as_id,
        "as_of": plan.as_of.isoformat(),
        "dpd": plan.dpd,
        "tier": plan.tier,
        "arm": plan.arm,
        "status": plan.status,
        "jurisdiction": plan.jurisdiction,
        "locale": plan.locale,
        "timezone": plan.timezone,
        "currency": plan.currency,
        "overdue_amount": str(plan.overdue_amount),
        "exclusions": [{"code": e.code, "reason": e.reason} for e in plan.exclusions],
        "actions": [action_dict(a, None if as_id is None else as_id + a.id[cut:]) for a in plan.actions],
        "offers": [offer_dict(o) for o in plan.offers],
    }


def plan_line(plan: AccountPlan) -> bytes:
    """One ``plans.jsonl`` line (compact JSON, UTF-8, newline-terminated)."""
    return orjson.dumps(plan_dict(plan), option=orjson.OPT_APPEND_NEWLINE)


def action_rows(plan: AccountPlan, as_id: str | None = None) -> str:
    """The account's ``actions.csv`` rows (CSV text, ``\\r\\n`` line ends as the csv module
    writes); ``as_id``: as for :func:`plan_dict`."""
    if not plan.actions:
        return ""
    account_id = plan.account_id if as_id is None else as_id
    cut = len(plan.account_id)
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    for a in plan.actions:
        writer.writerow(
            (
                account_id,
                a.id if as_id is None else as_id + a.id[cut:],
                a.channel,
                a.template or "",
                a.locale,
                a.status,
                iso(a.not_before) or "",
                iso(a.not_after) or "",
                iso_utc(a.not_before),
                iso_utc(a.not_after),
                a.priority,
                plan.tier or "",
                plan.arm or "",
                ";".join(a.reasons),
            )
        )
    return buffer.getvalue()


DATA_STAT = "data"  # a plan stat ("data", code): a data-quality code on the plan, not an action
HELD_STAT = ("held", "")  # a plan stat: the account is held for an unreadable history line
HELD_CODE = "history/unreadable"


def plan_stats(plan: AccountPlan) -> tuple[tuple[str, str], ...]:
    """What ``summary.json`` counts of a plan: (status, channel) per action, then
    (``DATA_STAT``, code) per data-quality code on it (exclusions and action reasons), and
    ``HELD_STAT`` when the account is held for an unreadable history line."""
    codes = {e.code for e in plan.exclusions if e.code.startswith("data/")}
    codes.update(r for a in plan.actions for r in a.reasons if r.startswith("data/"))
    held = (HELD_STAT,) if any(e.code == HELD_CODE for e in plan.exclusions) else ()
    return (*((a.status, a.channel) for a in plan.actions), *((DATA_STAT, c) for c in sorted(codes)), *held)


PlanRecord = tuple[bytes, str, str, str, tuple[tuple[str, str], ...]]  # plan line, CSV rows, status, tier, stats


def plan_record(plan: AccountPlan) -> PlanRecord:
    """The plan as the run writes and counts it: its plans.jsonl line, its actions.csv rows,
    status, tier (``none`` without one) and action stats."""
    return plan_line(plan), action_rows(plan), plan.status, plan.tier or "none", plan_stats(plan)
