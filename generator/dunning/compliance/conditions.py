"""Evaluate a policy :class:`~dunning.policy.model.Condition` for one account.

Shared by the contact engine (exclusions), the planner (step conditions, offers) and the
gate. Every part of a condition must hold (AND); :func:`holds` names the first part that
fails as ``condition/<part>`` — the reason code plans and ``explain`` show.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from dunning.accounts.events import RIGHT_PARTY as CONVERSATION
from dunning.accounts.events import UNANSWERED
from dunning.accounts.model import Account, Contact
from dunning.policy.model import Condition, Policy, Promise, Tier
from dunning.state import AccountState, account_state


def in_jurisdictions(code: str, allowed: Sequence[str]) -> bool:
    """True when an account of ``code`` is among ``allowed`` (``US`` covers ``US-MA``)."""
    return code in allowed or code.split("-", 1)[0] in allowed


def holds(
    cond: Condition,
    account: Account,
    *,
    as_of: date,
    tier_id: str | None,
    history: Sequence[Contact] = (),
    promise_grace_days: int = 0,
    state: AccountState | None = None,
) -> tuple[bool, str]:
    """(True, "") when every part of ``cond`` holds on day ``as_of``, else (False,
    "condition/<part>"). ``state`` is the account's state (:mod:`dunning.state`); without
    it the state is derived here from ``account`` and ``history``."""
    if state is None:
        state = account_state(account, history, as_of, promise_grace_days)
    account = state.account
    if cond.promise is not Promise.ANY:
        status = state.promise_status(as_of)
        ok = {
            Promise.NONE: status in ("none", "kept"),
            Promise.BROKEN: status == "broken",
            Promise.NOT_KEPT: status != "open",
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
    if cond.jurisdictions and not in_jurisdictions(account.jurisdiction, cond.jurisdictions):
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
        if any(c.outcome in CONVERSATION and 0 <= (as_of - c.at.date()).days < days for c in state.events):
            return False, "condition/no_conversation_for_days"
    if cond.failed_attempts is not None:
        failed = sum(1 for c in state.events if c.channel == "call" and c.outcome in UNANSWERED)
        if failed < cond.failed_attempts:
            return False, "condition/failed_attempts"
    for point in cond.has:
        if not getattr(account, point, ""):
            return False, "condition/has"
    return _state_holds(cond, state, as_of)


def _state_holds(cond: Condition, state: AccountState, on: date) -> tuple[bool, str]:
    """The parts of ``cond`` that read the account's state beyond its snapshot row."""
    if cond.arrangement is not None and state.arrangement_status(on) != cond.arrangement:
        return False, "condition/arrangement"
    if cond.placed is not None and state.placed() != cond.placed:
        return False, "condition/placed"
    if cond.disputed is not None and ("dispute" in state.flags) != cond.disputed:
        return False, "condition/disputed"
    if cond.represented is not None and ("represented" in state.flags) != cond.represented:
        return False, "condition/represented"
    if cond.days_since_last_contact is not None and not _quiet(state.last_contact, on, cond.days_since_last_contact):
        return False, "condition/days_since_last_contact"
    if cond.days_since_right_party_contact is not None and not _quiet(
        state.last_right_party, on, cond.days_since_right_party_contact
    ):
        return False, "condition/days_since_right_party_contact"
    if cond.paid_since_days is not None and (
        state.last_payment is None or not 0 <= (on - state.last_payment).days < cond.paid_since_days
    ):
        return False, "condition/paid_since_days"
    if cond.arrears_reasons and state.arrears_reason not in cond.arrears_reasons:
        return False, "condition/arrears_reasons"
    for wanted in cond.outcomes_in_last_days:
        if state.outcomes_in(wanted.outcome, wanted.days, on) < wanted.count:
            return False, "condition/outcomes_in_last_days"
    return True, ""


def _quiet(last: date | None, on: date, days: int) -> bool:
    """True when nothing happened in the ``days`` days before ``on`` (never: quiet)."""
    return last is None or (on - last).days >= days


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
        if tier.jurisdictions and not in_jurisdictions(account.jurisdiction, tier.jurisdictions):
            continue
        return tier
    return None
