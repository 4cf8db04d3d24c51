"""What the planner decides for one account: the plan, its actions and offers (plain data).

These records are what ``plans.jsonl`` serialises (:mod:`dunning.plan.output`) and what
``explain`` prints; render reads the JSON back, never these objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

ActionStatus = Literal["scheduled", "deferred", "suppressed"]
PlanStatus = Literal["active", "paused", "excluded"]


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """One contact (or hand-over) the plan holds, with its window in the debtor's local time."""

    id: str
    step: str  # "<strategy>/<channel>@<day>"
    channel: str
    template: str | None
    locale: str
    not_before: datetime | None  # aware, in the debtor's primary zone; None when suppressed
    not_after: datetime | None
    status: ActionStatus
    priority: int
    reasons: tuple[str, ...]
    agency: str | None = None


@dataclass(frozen=True, slots=True)
class OfferTerms:
    """A concrete offer: instalments that add up exactly to ``total`` (Decimal, minor units)."""

    id: str
    kind: str
    currency: str
    amounts: tuple[Decimal, ...]
    first_due_date: date
    interval_days: int
    discount: Decimal  # the fraction forgiven
    discount_amount: Decimal
    total: Decimal

    @property
    def instalments(self) -> int:
        """How many payments."""
        return len(self.amounts)


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Why an account (or one of its channels) is not contacted: a reason code and words."""

    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class AccountPlan:
    """Every decision for one account on the as-of date."""

    account_id: str
    as_of: date
    dpd: int
    tier: str | None
    arm: str | None
    status: PlanStatus
    jurisdiction: str
    locale: str
    timezone: str
    currency: str
    overdue_amount: Decimal
    exclusions: tuple[Exclusion, ...]
    actions: tuple[PlannedAction, ...]
    offers: tuple[OfferTerms, ...]
    line: int = 0
