"""Frequency rules: counting contacts against the law's and the policy's caps — "7 calls in
7 days per debt" (Regulation F), "no calls for 7 days after a conversation", China's daily
caps — in the debtor's local calendar days (every candidate zone, or the rule's own).

Every rule has one shape (:class:`~dunning.compliance.jurisdictions._Counter`): at most
``max`` counted contacts on its channels in any ``per_days`` consecutive days; history
counts by outcome, planned contacts always count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from dunning.accounts.model import Account, Contact
from dunning.compliance.answers import Reason
from dunning.compliance.jurisdictions import JurisdictionResolver, _Counter, _Jurisdiction
from dunning.compliance.timezones import zone

# Outcomes a policy cap counts when it lists none: everything that reached the network.
DEFAULT_CAP_OUTCOMES_EXCLUDED = frozenset(("failed", "busy"))


def _counted(
    counter: _Counter,
    account: Account,
    history: Sequence[Contact],
    planned: Sequence[Contact],
    debt: str,
) -> list[int]:
    """Positions (history first, then planned) of the contacts ``counter`` counts.

    History counts by outcome (``counts``; None: all but failed and busy); planned
    contacts always count, except as conversations. Per debt: a record's ``debt_id``
    must match ``debt``, and a record without one counts against every debt of its account.
    Per number: a record without a number counts against the account's number.
    """
    channels, counts, per = counter.channels, counter.counts, counter.per
    any_debt = per != "debt" or bool(account.product and account.product in counter.one_debt_products)
    found = []
    groups = ((history, False),) if counter.kind == "after" else ((history, False), (planned, True))
    position = 0
    for contacts, is_planned in groups:
        for c in contacts:
            position += 1
            if c.channel not in channels:
                continue
            if not is_planned:
                if counts is None:
                    if c.outcome in DEFAULT_CAP_OUTCOMES_EXCLUDED:
                        continue
                elif c.outcome not in counts:
                    continue
            if not any_debt:
                if c.debt_id:
                    if c.debt_id != debt:
                        continue
                elif c.account_id and c.account_id != account.account_id and c.account_id != debt:
                    continue
            elif per == "number" and (c.phone or account.phone) != account.phone:
                continue
            found.append(position - 1)
    return found


class _CounterState:
    """Frequency counting for one check.

    Which contacts a counter counts does not depend on the time zone — only the calendar
    day each falls on does — so each counter's selection is made once. A counter that
    cannot refuse whatever the day (fewer counted contacts in all than its cap; no
    conversation for the after-conversation rule) is dropped before any day is computed:
    with no history and nothing planned only a cap of 0 is left.
    """

    def __init__(
        self,
        engine: JurisdictionResolver,
        account: Account,
        channel: str,
        history: Sequence[Contact],
        planned: Sequence[Contact],
        debt_id: str | None,
        zones: tuple[str, ...],
        j: _Jurisdiction,
    ) -> None:
        self.zones = zones
        self.contacts = (*history, *planned)
        self.live: list[tuple[int, _Counter, list[int], tuple[str, ...]]] = []
        for index, counter in enumerate(engine.counters_for(j, channel)):
            selected = _counted(counter, account, history, planned, debt_id or account.account_id)
            can_refuse = bool(selected) if counter.kind == "after" else len(selected) >= counter.max
            if can_refuse:
                counter_zones = (counter.fixed_zone,) if counter.fixed_zone else zones
                self.live.append((index, counter, selected, counter_zones))
        self._ordinals: dict[str, list[int]] = {}
        self._runs: dict[tuple[int, str, int], tuple[int, int] | None] = {}

    def _days(self, selected: list[int], zone_name: str) -> list[int]:
        """Local days (ordinals, in ``zone_name``) of the selected contacts."""
        ordinals = self._ordinals.get(zone_name)
        if ordinals is None:
            tz = zone(zone_name)
            ordinals = self._ordinals[zone_name] = [c.at.astimezone(tz).toordinal() for c in self.contacts]
        return [ordinals[i] for i in selected]

    def _found(
        self, at: datetime | int, day: int, legal_only: bool, skip_legal: bool, first: bool = False
    ) -> list[tuple[_Counter, tuple[int, int]]]:
        """Each counter that refuses a contact at ``at`` (a moment or its epoch second), with
        the run of days that makes it (only the first with ``first``). ``day`` is the moment's
        local day (ordinal) in the primary zone, which the caller knows: only other zones
        need a conversion."""
        found = []
        days = {self.zones[0]: day}
        runs = self._runs
        for index, counter, selected, zones in self.live:
            if legal_only and not counter.legal:
                continue
            if skip_legal and counter.legal:
                continue
            for zone_name in zones:
                local = days.get(zone_name)
                if local is None:
                    moment = at if isinstance(at, datetime) else datetime.fromtimestamp(at, UTC)
                    local = days[zone_name] = moment.astimezone(zone(zone_name)).toordinal()
                key = (index, zone_name, local)
                if key in runs:
                    run = runs[key]
                else:
                    run = runs[key] = self._refusing_run(counter, self._days(selected, zone_name), local)
                if run is not None:
                    found.append((counter, run))
                    if first:
                        return found
                    break
        return found

    def refusals(self, at: datetime, day: int, *, legal_only: bool, skip_legal: bool = False) -> list[Reason]:
        """Reasons the counters refuse a contact at ``at`` (local day ``day`` in the primary zone)."""
        if not self.live:
            return []
        return [
            Reason(counter.reason_code, counter.rule, counter.citation, self._message(counter, run))
            for counter, run in self._found(at, day, legal_only, skip_legal)
        ]

    def refuses(self, instant: int, day: int) -> bool:
        """True when a counter refuses a contact at epoch second ``instant`` (local day ``day``
        in the primary zone); no reasons are written: the search for the earliest moment
        asks this for many moments."""
        return bool(self.live) and bool(self._found(instant, day, False, False, first=True))

    @staticmethod
    def _refusing_run(counter: _Counter, days: list[int], day: int) -> tuple[int, int] | None:
        """Why ``counter`` refuses a contact on local day ``day`` (ordinals): the first day and
        the number of counted contacts of the run that is full — for the after-conversation
        rule the conversation's day and 1 — or None when it allows the contact."""
        n = counter.per_days
        if counter.kind == "after":
            hit = max((d for d in days if d <= day < d + n), default=None)
            return None if hit is None else (hit, 1)
        if len(days) < counter.max:  # fewer counted contacts in all than the cap allows
            return None
        if n == 1:  # a daily cap: the one run is the day itself
            count = days.count(day)
            return (day, count) if count >= counter.max else None
        # counts[i] = contacts on day (day - n + 1 + i); every run of n days holding `day`
        # is a slice counts[k : k + n], k = 0 … n - 1.
        low = day - n + 1
        counts = [0] * (2 * n - 1)
        for d in days:
            i = d - low
            if 0 <= i < 2 * n - 1:
                counts[i] += 1
        window = sum(counts[:n])
        for k in range(n):
            if k:
                window += counts[k + n - 1] - counts[k - 1]
            if window >= counter.max:
                return low + k, window
        return None

    @staticmethod
    def _message(counter: _Counter, run: tuple[int, int]) -> str:
        """The refusal of :meth:`_refusing_run` in words."""
        n = counter.per_days
        first, count = run
        if counter.kind == "after":
            return (
                f"a telephone conversation on {date.fromordinal(first)} (day 1 of {n}) "
                f"blocks calls until {date.fromordinal(first + n)}"
            )
        start, end = date.fromordinal(first), date.fromordinal(first + n - 1)
        span = f"{start}" if n == 1 else f"{start}–{end}"
        return f"{count} counted contact(s) already in {span}; at most {counter.max} in {n} day(s)"
