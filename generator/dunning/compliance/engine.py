"""The contact engine: may we contact this person now, this way? One answer for validate,
plan, simulate and ``dunning gate``.

Two layers decide, and both are kept apart in every answer:

* the **law** — the packs that apply to the account's jurisdiction (those the policy names
  for it plus those that apply by law whatever the policy says, e.g. ``us-ma`` for
  ``US-MA``), with the policy's tightening applied where it is stricter → ``legal_verdict``;
* the **policy** — its timetable (windows by day type, holidays, blackouts), its frequency
  caps and its exclusions, plus the engine's own safety stops for flags no pack covers
  (``legal_hold`` everywhere; bankruptcy, deceased, cease and dispute where no pack
  names them) → ``verdict`` (law and policy together).

Calendar days ("7 consecutive days", "3 a day") are counted in the debtor's local time —
in every candidate zone when several are possible, and in the rule's own zone when the
pack fixes one (China: Asia/Shanghai). A planned contact counts like a placed one.

The engine is built of one part per idea, each in its own module: resolving a
jurisdiction (:mod:`.jurisdictions`), stops (:mod:`.stops`), windows
(:mod:`.contact_windows`), frequency counting (:mod:`.frequency`); this module holds the
check of one contact and the search for its earliest allowed moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from dunning.accounts.model import Account, Contact
from dunning.compliance.answers import Reason, Stop, StopEffect, Verdict, VerdictKind
from dunning.compliance.contact_windows import ContactWindows
from dunning.compliance.frequency import DEFAULT_CAP_OUTCOMES_EXCLUDED, _CounterState
from dunning.compliance.jurisdictions import _local_date
from dunning.compliance.stops import StopRules, _may_hold, _missing_disclosures, _needs_date
from dunning.compliance.timezones import zone
from dunning.policy.model import (
    Policy,
)
from dunning.state import AccountState, account_state

SEARCH_DAYS = 60  # how far ``earliest`` looks ahead before giving up (→ suppress)

__all__ = [
    "DEFAULT_CAP_OUTCOMES_EXCLUDED",
    "SEARCH_DAYS",
    "ContactEngine",
    "Reason",
    "Stop",
    "StopEffect",
    "Verdict",
    "VerdictKind",
]


class ContactEngine(StopRules, ContactWindows):
    """Decides contact windows, stops and single contacts for accounts under one policy."""

    def __init__(self, policy: Policy) -> None:
        super().__init__(policy)
        # exclusions whose verdict can change from one day to the next (see _earliest)
        self._dated = tuple(e for e in policy.exclusions if _needs_date(e.when))

    # ------------------------------------------------------------------ one contact
    def check(
        self,
        account: Account,
        channel: str,
        at: datetime,
        history: Sequence[Contact],
        *,
        planned: Sequence[Contact] = (),
        debt_id: str | None = None,
        content: str | None = None,
        purpose: str | None = None,
        tier_id: str | None = None,
        state: AccountState | None = None,
    ) -> Verdict:
        """The decision for one contact at ``at``: law alone (``legal_verdict``), law and
        policy (``verdict``) and, when the answer is reschedule, the first allowed moment
        within :data:`SEARCH_DAYS` days (none found → suppress).

        ``purpose`` is the message purpose (``notice``, ``reply`` …) some stops allow; with
        ``content`` (the rendered text) the disclosures the packs require are checked too
        (a message without them is suppressed). ``tier_id`` overrides the tier the
        exclusions see (default: the account's tier on the local day of ``at``). ``state``:
        the account's state (:mod:`dunning.state`), derived from ``account`` and ``history``
        as of the local day of ``at`` when not given.
        """
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("`at` must be timezone-aware")
        zones = self.timezones(account)
        j = self.jurisdiction(account.jurisdiction)
        as_of = _local_date(at, zones[0])
        instant = int(at.timestamp())
        if state is None:
            state = account_state(
                account,
                history,
                as_of,
                self.policy.settings.promise_grace_days,
                reasons=self.policy.reason_marks,
            )
        account = state.account
        found = self.stops(account, as_of=as_of, tier_id=tier_id, history=history, state=state)
        # most requests meet no stop at all: no list is built for them
        stops = [s for s in found if s.blocks(channel, purpose)] if found else []
        if content is not None:
            stops.extend(_missing_disclosures(j, channel, content, purpose))
        legal_stops = [s for s in stops if s.legal] if stops else stops
        counters = _CounterState(self, account, channel, history, planned, debt_id, zones, j)

        legal_reasons = [s.reason for s in legal_stops] if legal_stops else []
        policy_reasons = [s.reason for s in stops if not s.legal] if stops else []
        day = as_of.toordinal()
        if not legal_stops:
            legal_reasons.extend(self._time_reasons(account, channel, at, as_of, instant, zones, layer="law"))
            legal_reasons.extend(counters.refusals(at, day, legal_only=True))
        if not stops:
            policy = self._time_reasons(account, channel, at, as_of, instant, zones, layer="policy")
            if policy:
                policy_reasons.extend(r for r in policy if r not in legal_reasons)
            policy_reasons.extend(counters.refusals(at, day, legal_only=False, skip_legal=True))

        legal_verdict: VerdictKind = "suppress" if legal_stops else ("reschedule" if legal_reasons else "allow")
        reasons = tuple(legal_reasons + policy_reasons)
        if stops:
            return Verdict("suppress", legal_verdict, None, reasons)
        if not reasons:
            return Verdict("allow", legal_verdict, None, ())
        earliest = self._earliest(account, channel, as_of, instant, zones, counters, history, tier_id, purpose, state)
        if earliest is None:
            horizon = Reason(
                "horizon",
                "engine",
                "",
                f"no allowed moment within {SEARCH_DAYS} days",
            )
            return Verdict("suppress", legal_verdict, None, (*reasons, horizon))
        return Verdict("reschedule", legal_verdict, earliest, reasons)

    def _earliest(
        self,
        account: Account,
        channel: str,
        first_day: date,
        instant: int,
        zones: tuple[str, ...],
        counters: _CounterState,
        history: Sequence[Contact],
        tier_id: str | None,
        purpose: str | None,
        state: AccountState | None = None,
    ) -> datetime | None:
        """The first moment from ``instant`` (on local day ``first_day``) that :meth:`check`
        would allow (None within the bound).

        Exclusions whose conditions depend on the date (a tier the account grows into, a
        promise that lapses) are evaluated again for every later day, so a moment that
        is only free of caps but falls on a day the account is excluded is never offered.
        Only those need it: every other stop is the same on every day, and :meth:`check`
        asks for the earliest moment only when none of them blocks. Their flag, segment
        and balance parts do not change with the day either, so most accounts have none.
        """
        tz = zone(zones[0])
        dated = [e for e in self._dated if _may_hold(e.when, account)]
        for offset in range(SEARCH_DAYS + 1):
            day = first_day + timedelta(days=offset)
            intervals = self._intervals(zones, account.jurisdiction, channel, day, layer="both")
            if not intervals or intervals[-1][1] <= instant:
                continue
            if (
                dated
                and offset
                and any(
                    s.blocks(channel, purpose)
                    for s in self._exclusion_stops(
                        account, dated, as_of=day, tier_id=tier_id, history=history, state=state
                    )
                )
            ):
                continue
            for start, end in intervals:
                if end <= instant:
                    continue
                # every interval lies in the primary zone's local day `day`
                moment = max(start, instant)
                if not counters.refuses(moment, day.toordinal()):
                    return datetime.fromtimestamp(moment, tz)
                break  # caps count whole calendar days: the rest of the day is refused too
        return None
