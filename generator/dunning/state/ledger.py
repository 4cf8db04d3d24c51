"""Promises and arrangements: what was promised or agreed, what was paid against it, and
whether it is open, kept or broken on a given day — by amount and by date.

The one implementation of these questions: the planner (cadence pause, ``promise:``
conditions), the contact engine (exclusions), the gate, ``explain`` and ``simulate`` all
ask these classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

PromiseStatus = Literal["open", "kept", "broken"]
ArrangementStatus = Literal["active", "broken", "completed"]
Payment = tuple[date, Decimal | None]  # a payment's date and amount (None: amount unknown)


@dataclass(frozen=True)
class PromiseLedger:
    """One promise to pay and the payments against it.

    Payments count against the promise from the day it was made (a snapshot promise, whose
    making is not on file: from its promised date) until its date plus the policy's grace.
    It is *kept* once they add up to the promised amount; a payment of unknown amount (the
    snapshot's ``last_payment_date``) keeps only a promise that names no amount. It is
    *broken* from the day after date + grace when not kept, and *open* until then.
    """

    due: date
    amount: Decimal | None
    made: date | None
    source: str  # snapshot | history
    grace: int
    payments: tuple[Payment, ...] = ()  # those inside the counting window, in date order

    @property
    def until(self) -> date:
        """The last day of grace: the promise is broken the day after, if not kept."""
        return self.due + timedelta(days=self.grace)

    def paid(self, on: date) -> Decimal:
        """The known amounts paid against the promise up to and including ``on``."""
        return sum((a for d, a in self.payments if d <= on and a is not None), Decimal(0))

    def kept_on(self) -> date | None:
        """The day the promise was kept (None: not kept within its window)."""
        total = Decimal(0)
        for day, amount in self.payments:
            if amount is None:
                if self.amount is None:
                    return day
                continue
            total += amount
            if self.amount is None or total >= self.amount:
                return day
        return None

    def broken_on(self) -> date | None:
        """The first day the promise counts as broken (None: it was kept)."""
        return None if self.kept_on() is not None else self.until + timedelta(days=1)

    def status(self, on: date) -> PromiseStatus:
        """open, kept or broken on day ``on``."""
        kept = self.kept_on()
        if kept is not None and kept <= on:
            return "kept"
        return "open" if on <= self.until else "broken"


def promise_ledger(
    due: date,
    amount: Decimal | None,
    made: date | None,
    source: str,
    grace: int,
    payments: Sequence[Payment],
) -> PromiseLedger:
    """The ledger of one promise with the payments (date, amount) that fall in its window."""
    start = made if made is not None else due
    end = due + timedelta(days=grace)
    inside = tuple(sorted((p for p in payments if start <= p[0] <= end), key=lambda p: (p[0], p[1] is None)))
    return PromiseLedger(due, amount, made, source, grace, inside)


@dataclass(frozen=True)
class Arrangement:
    """An agreed schedule: ``count`` instalments of ``instalment`` every ``interval`` days
    from ``first``; payments made from the day it was agreed count against it in date order.
    A missed instalment (less paid by its date plus the grace than the instalments due by
    then) breaks it for good; paying the whole schedule completes it."""

    agreed: date
    instalment: Decimal
    count: int
    interval: int
    first: date
    grace: int
    payments: tuple[tuple[date, Decimal], ...] = ()

    def due_dates(self) -> list[date]:
        """Every instalment's date."""
        return [self.first + timedelta(days=self.interval * k) for k in range(self.count)]

    def paid(self, on: date) -> Decimal:
        """What was paid against the schedule up to and including ``on``."""
        return sum((a for d, a in self.payments if d <= on), Decimal(0))

    def arrears(self, on: date) -> Decimal:
        """The instalments due by ``on`` less what was paid by then (never below zero)."""
        due = self.instalment * sum(1 for d in self.due_dates() if d <= on)
        return max(due - self.paid(on), Decimal(0))

    def broken_on(self) -> date | None:
        """The day after the grace of the first missed instalment (None: none missed)."""
        for k, day in enumerate(self.due_dates()):
            last = day + timedelta(days=self.grace)
            if self.paid(last) < self.instalment * (k + 1):
                return last + timedelta(days=1)
        return None

    def status(self, on: date) -> ArrangementStatus:
        """active, broken or completed on day ``on``."""
        broken = self.broken_on()
        if broken is not None and broken <= on:
            return "broken"
        if self.paid(on) >= self.instalment * self.count:
            return "completed"
        return "active"
