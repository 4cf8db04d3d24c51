"""Forecast the volume a policy produces: the cadence projected day by day with the planner.

For each day from ``start`` for ``days`` days, every account is planned as of that day
(days past due grow: no payments are assumed). Each scheduled or deferred contact becomes
a history event at its ``not_before`` (a call as outcome ``attempt``, anything else as
``delivered``), so later days see it and the frequency caps and the law's limits apply.
With a cure rate, an account pays in full on a day with that probability — from the
second day on (the first day is the snapshot as it is) — and drops out. The draw is a hash
of the seed, the account id and the day, so it is the same whatever the order, chunking
or worker count.

A step blocked on its due day (a cap, a weekend, a blackout) is deferred by the planner to
the first allowed day within ``DEFER_DAYS``; the action is counted on its due day with its
status, and its contact is counted as *load* on the day it is made. Accounts are
independent, so chunks of accounts are simulated in worker processes and summed.
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl

from dunning.accounts.history.rows import History
from dunning.accounts.history.staging import read_history
from dunning.accounts.model import Account, Contact
from dunning.accounts.read import validate_frame
from dunning.accounts.source import AccountFile
from dunning.compliance.engine import ContactEngine
from dunning.errors import UserError
from dunning.plan.decide import Planner
from dunning.plan.model import PlannedAction
from dunning.policy import require_policy
from dunning.policy.model import CONTACT_CHANNELS, Policy
from dunning.review.impact import FirstSeen
from dunning.workers import Workers, resolve_jobs

DEFER_DAYS = 10  # how far the planner may move a blocked step (Spring Festival is 7 days)
STATUSES = ("scheduled", "deferred", "suppressed")
CHUNK_ROWS = 5_000
_OUTCOME = {"call": "attempted", "visit": "attempted"}  # others: delivered


def cures(seed: int, account_id: str, day: date, rate: Decimal) -> bool:
    """True when the account pays in full on ``day`` (stable per seed, account and day)."""
    digest = hashlib.sha256(f"{seed}\x1f{account_id}\x1f{day.isoformat()}".encode()).digest()
    draw = Decimal(int.from_bytes(digest[:8], "big")) / Decimal(1 << 64)
    return draw < rate


@dataclass
class Forecast:
    """Counts per day: actions by channel and status (on their due day), contacts made by
    channel (load, on the day they are made), accounts by tier and status."""

    start: date
    days: int
    accounts_in: int = 0
    rejected: int = 0
    actions: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (day, channel, status)
    load: Counter[tuple[str, str]] = field(default_factory=Counter)  # (day, channel) contacts made
    tiers: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (day, tier, status)
    cured: Counter[str] = field(default_factory=Counter)  # day -> accounts that paid that day

    def merge(self, other: Forecast) -> None:
        """Add another chunk's counts."""
        self.accounts_in += other.accounts_in
        self.rejected += other.rejected
        self.actions.update(other.actions)
        self.load.update(other.load)
        self.tiers.update(other.tiers)
        self.cured.update(other.cured)

    @property
    def day_list(self) -> list[str]:
        """Every simulated day, ISO."""
        return [(self.start + timedelta(days=i)).isoformat() for i in range(self.days)]

    def channels(self) -> list[str]:
        """Channels that appear, in the model's channel order."""
        seen = {ch for _, ch, _ in self.actions} | {ch for _, ch in self.load}
        order = [*CONTACT_CHANNELS, "legal_review", "agency"]
        return [c for c in order if c in seen] + sorted(seen - set(order))

    def tier_ids(self, policy: Policy) -> list[str]:
        """Tiers in policy order, then ``none``."""
        seen = {t for _, t, _ in self.tiers}
        return [t.id for t in policy.tiers if t.id in seen] + (["none"] if "none" in seen else [])

    def peaks(self) -> dict[str, dict[str, object]]:
        """Per channel, the day with the most contacts made (earliest on a tie) and the count."""
        out: dict[str, dict[str, object]] = {}
        for channel in self.channels():
            best = max(self.day_list, key=lambda d: (self.load[(d, channel)], -date.fromisoformat(d).toordinal()))
            out[channel] = {"day": best, "contacts": self.load[(best, channel)]}
        total = max(
            self.day_list,
            key=lambda d: (sum(self.load[(d, c)] for c in self.channels()), -date.fromisoformat(d).toordinal()),
        )
        out["all"] = {"day": total, "contacts": sum(self.load[(total, c)] for c in self.channels())}
        return out


class Simulator:
    """Projects accounts through the days with one planner per day (sharing the contact engine)."""

    def __init__(
        self,
        policy: Policy,
        start: date,
        days: int,
        history: History | None = None,
        cure_rate: Decimal | None = None,
        seed: int = 0,
    ) -> None:
        self.policy = policy
        self.start = start
        self.days = days
        self.history = history or History()
        self.cure_rate = cure_rate
        self.seed = seed
        engine = ContactEngine(policy)
        days_list = [start + timedelta(days=i) for i in range(days)]
        # Horizon 0 first (cheap); the wide planner only when a step due today could not be made today.
        self.today = {d: Planner(policy, d, 0, engine) for d in days_list}
        self.wide = {d: Planner(policy, d, DEFER_DAYS, engine) for d in days_list}
        self.jurisdictions = frozenset(policy.jurisdictions)

    def chunk(self, frame: pl.DataFrame) -> Forecast:
        """Simulate every account of a snapshot chunk."""
        chunk = validate_frame(frame, self.jurisdictions)
        forecast = Forecast(self.start, self.days, accounts_in=chunk.rows, rejected=len(chunk.rejects))
        for account in chunk.accounts:
            self.account(account, forecast)
        return forecast

    def account(self, account: Account, forecast: Forecast) -> None:
        """Project one account through every day."""
        history = list(self.history.get(account.account_id, ()))
        for offset in range(self.days):
            day = self.start + timedelta(days=offset)
            iso = day.isoformat()
            if offset and self.cure_rate is not None and cures(self.seed, account.account_id, day, self.cure_rate):
                forecast.cured[iso] += 1
                return
            actions = self._actions(account, day, history, forecast)
            for action in actions:
                forecast.actions[(iso, action.channel, action.status)] += 1
                if action.status == "suppressed" or action.not_before is None:
                    continue
                made = action.not_before.date().isoformat()
                forecast.load[(made, action.channel)] += 1
                if action.channel in CONTACT_CHANNELS:
                    outcome = _OUTCOME.get(action.channel, "delivered")
                    history.append(Contact(account.account_id, action.not_before, action.channel, outcome))
            history.sort(key=lambda c: (c.at, c.channel, c.outcome))

    def _actions(
        self, account: Account, day: date, history: Sequence[Contact], forecast: Forecast
    ) -> tuple[PlannedAction, ...]:
        # a contact deferred by an earlier day's plan to a later day is committed, not history:
        # the plan of ``day`` reads the events on or before it, and counts the rest as its own
        committed = [c for c in history if c.at.date() > day]
        plan = self.today[day].plan(account, history, committed=committed)
        forecast.tiers[(day.isoformat(), plan.tier or "none", plan.status)] += 1
        if all(a.status == "scheduled" for a in plan.actions):
            return plan.actions
        # Something due today was blocked: let the planner look ahead, keep only today's steps.
        suffix = f"-{day:%Y%m%d}"
        wide = self.wide[day].plan(account, history, committed=committed)
        return tuple(a for a in wide.actions if a.id.endswith(suffix))


@dataclass(frozen=True)
class SimulationSetup:
    """What a worker needs to rebuild the simulator (the compiled policy is not picklable)."""

    root: Path
    start: date
    days: int
    history: Path | None
    cure_rate: Decimal | None
    seed: int


_WORKER: Simulator | None = None


def _init_worker(setup: SimulationSetup) -> None:
    global _WORKER
    policy = require_policy(setup.root)
    _WORKER = Simulator(policy, setup.start, setup.days, read_history(setup.history), setup.cure_rate, setup.seed)


def _chunk_in_worker(frame: pl.DataFrame) -> Forecast:
    assert _WORKER is not None
    return _WORKER.chunk(frame)


def _with_early(forecast: Forecast, early: Iterable[object]) -> Forecast:
    rows = len(list(early))
    forecast.accounts_in += rows
    forecast.rejected += rows
    return forecast


def simulate(
    policy: Policy,
    accounts: Path,
    start: date,
    days: int,
    history: Path | None = None,
    cure_rate: Decimal | None = None,
    seed: int = 0,
    jobs: int | None = None,
) -> Forecast:
    """Simulate ``days`` days of the policy on the snapshot at ``accounts``."""
    source = AccountFile(accounts, chunk_rows=CHUNK_ROWS)  # a UserError for an unusable file, before work
    if history is not None and not history.is_file():  # before workers start: they would only say it later
        raise UserError(f"{history}: no such history file", "check the --history path")
    total = Forecast(start, days)
    # every account is planned once a day (twice on a day with a blocked step)
    workers = resolve_jobs(jobs, days * accounts.stat().st_size)
    first = FirstSeen()
    dropped: deque[list[object]] = deque()  # each chunk's rows rejected before the workers

    def chunks() -> Iterator[pl.DataFrame]:
        for frame, early in source.frames():
            kept, repeated = first(frame)
            dropped.append([*early, *range(repeated)])
            yield kept

    local = None
    if workers == 1:
        local = Simulator(policy, start, days, read_history(history), cure_rate, seed).chunk
    setup = SimulationSetup(Path(policy.root), start, days, history, cure_rate, seed)
    with Workers(workers, initializer=_init_worker, initargs=(setup,)) as pool:
        for forecast in pool.map(_chunk_in_worker, chunks(), window=workers + 2, local=local):
            total.merge(_with_early(forecast, dropped.popleft()))
    return total


__all__ = ["DEFER_DAYS", "Forecast", "Simulator", "cures", "simulate"]
