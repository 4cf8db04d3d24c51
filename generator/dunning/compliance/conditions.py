"""Evaluate a policy :class:`~dunning.policy.model.Condition` for one account.

Shared by the contact engine (exclusions), the planner (step conditions, offers) and the
gate. Every part of a condition must hold (AND); :func:`holds` names the first part that
fails as ``condition/<part>`` — the reason code plans and ``explain`` show.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from dunning.accounts.events import RIGHT_PARTY as CONVERSATION
from dunning.accounts.events import UNANSWERED
from dunning.accounts.model import Account, Contact
from dunning.policy.model import Condition, Policy, Promise, Tier


def promise_state(account: Account, as_of: date, grace_days: int) -> Promise:
    """NONE (no promise, or one that was kept), BROKEN (its date + grace passed with no
    payment on or after the promise date) or ANY (an open promise)."""
    promised = account.promise_to_pay_date
    if promised is None:
        return Promise.NONE
    if account.last_payment_date is not None and account.last_payment_date >= promised:
        return Promise.NONE  # kept: a payment arrived on or after the promised date
    if as_of > promised + timedelta(days=grace_days):
        return Promise.BROKEN
    return Promise.ANY


def _in_jurisdictions(code: str, allowed: Sequence[str]) -> bool:
    return code in allowed or code.split("-", 1)[0] in allowed


def holds(
    cond: Condition,
    account: Account,
    *,
    as_of: date,
    tier_id: str | None,
    history: Sequence[Contact] = (),
    promise_grace_days: int = 0,
) -> tuple[bool, str]:
    """(True, "") when every part of ``cond`` holds, else (False, "condition/<part>")."""
    if cond.promise is not Promise.ANY:
        state = promise_state(account, as_of, promise_grace_days)
        ok = {
            Promise.NONE: state is Promise.NONE,
            Promise.BROKEN: state is Promise.BROKEN,
            Promise.NOT_KEPT: state is not Promise.ANY,
        }[cond.promise]
        if not ok:
            return False, "condition/promise"
    low = cond.min_overdue.get(account.currency)
    if low is not None and account.overdue_amount < low:
        return False, "condition/min_overdue"
    high = cond.max_overdue.get(account.currency)
    if high is not None and account.overdue_amount > high:
        return False, "condition/max_overdue"
    if cond.products and account.product not in cond.products:
        return False, "condition/products"
    if cond.segments and account.segment not in cond.segments:
        return False, "condition/segments"
    if cond.jurisdictions and not _in_jurisdictions(account.jurisdiction, cond.jurisdictions):
        return False, "condition/jurisdictions"
    if cond.tiers and tier_id not in cond.tiers:
        return False, "condition/tiers"
    if cond.flags and not all(account.flag(f) for f in cond.flags):
        return False, "condition/flags"
    if cond.not_flags and any(account.flag(f) for f in cond.not_flags):
        return False, "condition/not_flags"
    if (
        cond.no_payment_for_days is not None
        and account.last_payment_date is not None
        and (as_of - account.last_payment_date).days < cond.no_payment_for_days
    ):
        return False, "condition/no_payment_for_days"
    if cond.no_conversation_for_days is not None:
        days = cond.no_conversation_for_days
        if any(c.outcome in CONVERSATION and 0 <= (as_of - c.at.date()).days < days for c in history):
            return False, "condition/no_conversation_for_days"
    if cond.failed_attempts is not None:
        failed = sum(1 for c in history if c.channel == "call" and c.outcome in UNANSWERED)
        if failed < cond.failed_attempts:
            return False, "condition/failed_attempts"
    for point in cond.has:
        if not getattr(account, point, ""):
            return False, "condition/has"
    return True, ""


def dpd(account: Account, as_of: date) -> int:
    """Days past due on ``as_of`` (negative: not yet due)."""
    return (as_of - account.due_date).days


def tier_for(policy: Policy, account: Account, as_of: date) -> Tier | None:
    """The first tier (file order) whose bounds hold for the account on ``as_of``."""
    days = dpd(account, as_of)
    for tier in policy.tiers:
        if not tier.dpd.contains(days):
            continue
        low = tier.min_amount.get(account.currency)
        high = tier.max_amount.get(account.currency)
        if low is not None and account.overdue_amount < low:
            continue
        if high is not None and account.overdue_amount > high:
            continue
        if tier.products and account.product not in tier.products:
            continue
        if tier.segments and account.segment not in tier.segments:
            continue
        if tier.jurisdictions and not _in_jurisdictions(account.jurisdiction, tier.jurisdictions):
            continue
        return tier
    return None
