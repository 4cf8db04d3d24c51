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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from dunning.accounts.model import Account, Contact
from dunning.compliance import calendar as cal
from dunning.compliance import packs as law
from dunning.compliance.conditions import holds, tier_for
from dunning.compliance.timezones import candidate_zones, zone
from dunning.compliance.windows import (
    Interval,
    contains,
    day_bounds,
    intersect,
    local_dates,
    local_interval,
    normalize,
)
from dunning.policy.model import (
    CONTACT_CHANNELS,
    Condition,
    Exclusion,
    ExclusionEffect,
    FrequencyCap,
    Policy,
    Timetable,
)
from dunning.state import POINTS, AccountState, account_state

VerdictKind = Literal["allow", "suppress", "reschedule"]
StopEffect = Literal["exclude", "pause", "suppress"]

SEARCH_DAYS = 60  # how far ``earliest`` looks ahead before giving up (→ suppress)
# Outcomes a policy cap counts when it lists none: everything that reached the network.
DEFAULT_CAP_OUTCOMES_EXCLUDED = frozenset(("failed", "busy"))
_CACHE_LIMIT = 500_000


@dataclass(frozen=True)
class Reason:
    """Why a contact is refused (or an account stopped): a stable code, the rule behind it,
    its citation (a law, or the policy file and line) and a message in plain words."""

    code: str
    rule: str
    citation: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Plain data, keys in contract order."""
        return {"code": self.code, "rule": self.rule, "citation": self.citation, "message": self.message}


@dataclass(frozen=True)
class Verdict:
    """The engine's answer for one contact at one moment."""

    verdict: VerdictKind  # law and policy together
    legal_verdict: VerdictKind  # the law packs alone
    earliest: datetime | None  # first allowed moment when ``verdict`` is reschedule
    reasons: tuple[Reason, ...]

    @property
    def allowed(self) -> bool:
        """True when the contact may happen at the asked moment."""
        return self.verdict == "allow"


@dataclass(frozen=True)
class Stop:
    """Something that stops contact whatever the time: a law stop, an opt-out, an exclusion.

    ``effect`` exclude (no contact, account excluded), pause (no contact, account paused) or
    suppress (only ``channels``). ``channels`` empty means every channel. ``allow_purposes``
    are message purposes that stay allowed (e.g. the notices a cease request permits).
    """

    effect: StopEffect
    channels: tuple[str, ...]
    reason: Reason
    legal: bool
    allow_purposes: tuple[str, ...] = ()

    def blocks(self, channel: str, purpose: str | None = None) -> bool:
        """True when this stop refuses ``channel`` (for a message of ``purpose``)."""
        if self.channels and channel not in self.channels:
            return False
        return not (purpose is not None and purpose in self.allow_purposes)


@dataclass(frozen=True)
class _Hours:
    rule: law.LawRule
    start: Any
    end: Any
    fixed_zone: str | None


@dataclass(frozen=True)
class _Counter:
    """A frequency rule (law or policy cap) in one shape: at most ``max`` counted contacts on
    ``channels`` in any ``per_days`` consecutive calendar days."""

    reason_code: str
    rule: str
    citation: str
    kind: str  # window | after
    channels: tuple[str, ...]
    max: int
    per_days: int
    per: str  # debt | debtor | number
    counts: frozenset[str] | None  # None: the cap's default (all but failed/busy)
    fixed_zone: str | None
    legal: bool
    one_debt_products: tuple[str, ...] = ()
    describe: str = ""


@dataclass
class _Jurisdiction:
    """Everything about one jurisdiction code the engine needs, resolved once."""

    code: str
    default_zone: str
    packs: tuple[str, ...]
    rules: tuple[tuple[law.LawRule, Mapping[str, Any]], ...]
    timetable: Timetable | None
    calendar: tuple[str, str | None] | None
    hours: tuple[_Hours, ...]
    counters: tuple[_Counter, ...]
    law_stops: tuple[law.LawRule, ...]
    opt_out_rule: law.LawRule | None
    caps: tuple[FrequencyCap, ...] = field(default_factory=tuple)
    disclosures: tuple[tuple[law.LawRule, tuple[re.Pattern[str], ...]], ...] = ()


def _local_date(instant: datetime, zone_name: str) -> date:
    return instant.astimezone(zone(zone_name)).date()


class ContactEngine:
    """Decides contact windows, stops and single contacts for accounts under one policy."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._jurisdictions: dict[str, _Jurisdiction] = {}
        self._windows: dict[tuple[Any, ...], tuple[Interval, ...]] = {}
        self._reasons: dict[tuple[Any, ...], Reason | None] = {}
        self._counters: dict[tuple[str, str], tuple[_Counter, ...]] = {}
        # reasons that are the same words for every request that meets them (immutable, so shared)
        self._said: dict[tuple[Any, ...], Reason] = {}
        # exclusions whose verdict can change from one day to the next (see _earliest)
        self._dated = tuple(e for e in policy.exclusions if _needs_date(e.when))

    # ------------------------------------------------------------------ jurisdictions
    def jurisdiction(self, code: str) -> _Jurisdiction:
        """The resolved law and policy settings for a jurisdiction code (cached)."""
        found = self._jurisdictions.get(code)
        if found is None:
            found = self._jurisdictions[code] = self._resolve(code)
        return found

    def _resolve(self, code: str) -> _Jurisdiction:
        setting = self.policy.jurisdiction(code)
        named = setting.packs if setting is not None else ()
        pack_ids = tuple(dict.fromkeys((*named, *law.default_packs(code))))
        tighten = setting.tighten if setting is not None else {}
        rules: list[tuple[law.LawRule, Mapping[str, Any]]] = []
        for pack_id in pack_ids:
            pack = law.get_pack(pack_id)
            if pack is None:  # an unknown pack id is reported by validate (L004)
                continue
            for rule in pack.rules:
                if not rule.covers(code):
                    continue
                tightening = tighten.get(rule.id)
                rules.append(
                    (rule, law.effective_params(rule, tightening if isinstance(tightening, Mapping) else None))
                )
        hours: list[_Hours] = []
        counters: list[_Counter] = []
        stops: list[law.LawRule] = []
        opt_out: law.LawRule | None = None
        disclosures: list[tuple[law.LawRule, tuple[re.Pattern[str], ...]]] = []
        for rule, params in rules:
            if rule.kind == "hours":
                hours.append(_Hours(rule, law.clock(params["start"]), law.clock(params["end"]), params.get("timezone")))
            elif rule.kind in ("frequency", "daily_cap", "after_conversation"):
                counters.append(
                    _Counter(
                        reason_code=rule.id,
                        rule=rule.id,
                        citation=rule.citation,
                        kind="after" if rule.kind == "after_conversation" else "window",
                        channels=rule.channels,
                        max=int(params.get("max", 0)),
                        per_days=int(params.get("days", params.get("per_days", 1))),
                        per=rule.per or "debt",
                        counts=frozenset(rule.counts),
                        fixed_zone=params.get("timezone"),
                        legal=True,
                        one_debt_products=tuple(params.get("one_debt_products") or ()),
                        describe=rule.description,
                    )
                )
            elif rule.kind == "stop":
                stops.append(rule)
            elif rule.kind == "opt_out":
                opt_out = opt_out or rule
            elif rule.kind == "disclosure" and params.get("patterns"):
                disclosures.append((rule, tuple(re.compile(str(p)) for p in params["patterns"])))
        timetable = self.policy.timetable_for(code)
        holidays = timetable.holidays if timetable is not None else (setting.holidays if setting else None)
        caps = tuple(
            c
            for c in self.policy.caps
            if not c.jurisdictions or code in c.jurisdictions or code.split("-", 1)[0] in c.jurisdictions
        )
        for cap in caps:
            counters.append(
                _Counter(
                    reason_code=f"cap/{cap.id}",
                    rule=cap.id,
                    citation=str(cap.source),
                    kind="window",
                    channels=cap.channels,
                    max=cap.max,
                    per_days=cap.per_days,
                    per=cap.scope,
                    counts=frozenset(cap.outcomes) if cap.outcomes else None,
                    fixed_zone=None,
                    legal=False,
                    describe=cap.description,
                )
            )
        return _Jurisdiction(
            code=code,
            default_zone=setting.timezone if setting is not None else "UTC",
            packs=pack_ids,
            rules=tuple(rules),
            timetable=timetable,
            calendar=cal.calendar_key(holidays, code),
            hours=tuple(hours),
            counters=tuple(counters),
            law_stops=tuple(stops),
            opt_out_rule=opt_out,
            caps=caps,
            disclosures=tuple(disclosures),
        )

    def counters_for(self, j: _Jurisdiction, channel: str) -> tuple[_Counter, ...]:
        """The frequency rules (law and policy) that count contacts on ``channel``."""
        key = (j.code, channel)
        found = self._counters.get(key)
        if found is None:
            found = self._counters[key] = tuple(c for c in j.counters if channel in c.channels)
        return found

    # ------------------------------------------------------------------ time zones
    def timezones(self, account: Account) -> tuple[str, ...]:
        """Candidate IANA zones for the account, primary first (see :mod:`.timezones`)."""
        return candidate_zones(account, self.jurisdiction(account.jurisdiction).default_zone)

    # ------------------------------------------------------------------ stops
    def stops(
        self,
        account: Account,
        *,
        as_of: date | None = None,
        tier_id: str | None = None,
        history: Sequence[Contact] = (),
        state: AccountState | None = None,
    ) -> tuple[Stop, ...]:
        """Law and policy stops for the account: law stops first, then opt-outs, the engine's
        safety stops, unusable contact points and the policy's exclusions (in file order).

        ``state`` is the account's state (snapshot + history, :mod:`dunning.state`); without
        it it is derived from ``account`` and ``history`` as of ``as_of``. Exclusions whose
        conditions need a date (tiers, days without payment or conversation) are evaluated
        only when ``as_of`` is given; ``tier_id`` defaults to the account's tier on ``as_of``.
        """
        if state is None:
            state = account_state(account, history, as_of or date.max, self.policy.settings.promise_grace_days)
        account = state.account
        j = self.jurisdiction(account.jurisdiction)
        found: list[Stop] = []
        if account.flags:  # most accounts carry none: skip the flag rules at once
            covered: set[str] = set()
            for rule in j.law_stops:
                flag = str(rule.params.get("flag", ""))
                covered.add(flag)
                if account.flag(flag):
                    found.append(
                        Stop(
                            _stop_effect(rule.effect),
                            (),
                            Reason(rule.id, rule.id, rule.citation, _stop_message(flag, rule.effect, state)),
                            True,
                            tuple(rule.params.get("allow_purposes") or ()),
                        )
                    )
            for channel in CONTACT_CHANNELS:
                flag = f"{channel}_opt_out"
                if account.flag(flag):
                    opt_rule = j.opt_out_rule
                    legal = opt_rule is not None and channel in opt_rule.channels
                    found.append(
                        Stop(
                            "suppress",
                            (channel,),
                            Reason(
                                f"opt-out/{channel}",
                                opt_rule.id if (legal and opt_rule) else "opt-out",
                                opt_rule.citation if (legal and opt_rule) else "the debtor's own request",
                                f"the debtor asked not to be contacted by {channel}; other channels stay open"
                                + _source_words(flag, state),
                            ),
                            legal,
                        )
                    )
            for flag, safety_effect in _SAFETY_STOPS:
                if flag in covered or not account.flag(flag):
                    continue
                found.append(
                    Stop(
                        safety_effect,
                        (),
                        Reason(
                            f"flag/{flag}",
                            f"flag/{flag}",
                            "dunning safety stop",
                            _stop_message(flag, safety_effect, state),
                        ),
                        False,
                    )
                )
        found.extend(_point_stops(account, state))
        found.extend(self._exclusion_stops(account, self.policy.exclusions, as_of, tier_id, history, state))
        return tuple(found)

    def _exclusion_stops(
        self,
        account: Account,
        exclusions: Iterable[Exclusion],
        as_of: date | None,
        tier_id: str | None,
        history: Sequence[Contact],
        state: AccountState | None = None,
    ) -> Iterator[Stop]:
        """The stops of those ``exclusions`` that hold for the account (see :meth:`stops`)."""
        tier_known = tier_id is not None
        for exclusion in exclusions:
            when = exclusion.when
            if not _may_hold(when, account):
                continue
            if as_of is None and _needs_date(when):
                continue
            if when.tiers and not tier_known and as_of is not None:
                tier = tier_for(self.policy, account, as_of)
                tier_id, tier_known = (tier.id if tier is not None else None), True
            ok, _part = holds(
                exclusion.when,
                account,
                as_of=as_of or date.min,
                tier_id=tier_id,
                history=history,
                promise_grace_days=self.policy.settings.promise_grace_days,
                state=state,
            )
            if ok:
                effect = _EXCLUSION_EFFECTS[exclusion.effect]
                channels = exclusion.channels if exclusion.effect is ExclusionEffect.SUPPRESS else ()
                yield Stop(
                    effect,
                    channels,
                    Reason(exclusion.code, exclusion.id, str(exclusion.source), exclusion.reason),
                    False,
                )

    # ------------------------------------------------------------------ windows
    def windows(self, account: Account, channel: str, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """Allowed ``[start, end)`` intervals on local calendar day ``day`` of the primary zone
        (policy timetable ∩ law hours, minus holidays, blackouts and weekday rules, held in
        every candidate zone), as aware datetimes in the primary zone; () when none."""
        zones = self.timezones(account)
        intervals = self._intervals(zones, account.jurisdiction, channel, day, layer="both")
        tz = zone(zones[0])
        return tuple((datetime.fromtimestamp(s, tz), datetime.fromtimestamp(e, tz)) for s, e in intervals)

    def legal_windows(self, account: Account, channel: str, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """Like :meth:`windows` with the law packs alone (no timetable, holidays or blackouts)."""
        zones = self.timezones(account)
        intervals = self._intervals(zones, account.jurisdiction, channel, day, layer="law")
        tz = zone(zones[0])
        return tuple((datetime.fromtimestamp(s, tz), datetime.fromtimestamp(e, tz)) for s, e in intervals)

    def _intervals(
        self, zones: tuple[str, ...], jurisdiction: str, channel: str, day: date, *, layer: str
    ) -> tuple[Interval, ...]:
        key = (zones, jurisdiction, channel, day, layer)
        found = self._windows.get(key)
        if found is not None:
            return found
        if len(self._windows) > _CACHE_LIMIT:
            self._windows.clear()
        j = self.jurisdiction(jurisdiction)
        span = day_bounds(day, zone(zones[0]))
        allowed: list[Interval] = [span]
        for zone_name in zones:
            allowed = intersect(allowed, self._zone_intervals(j, zone_name, channel, span, layer=layer))
            if not allowed:
                break
        for hours in j.hours:
            if layer != "policy" and hours.fixed_zone and hours.rule.applies_to(channel) and allowed:
                allowed = intersect(allowed, _hours_intervals(hours, hours.fixed_zone, span))
        result = tuple(allowed)
        self._windows[key] = result
        return result

    def _zone_intervals(
        self, j: _Jurisdiction, zone_name: str, channel: str, span: Interval, *, layer: str
    ) -> list[Interval]:
        """Allowed intervals within ``span`` judged from one candidate zone."""
        allowed: list[Interval] = [span]
        if layer != "policy":
            # A rule with its own zone (China: Asia/Shanghai) holds there and, stricter, in
            # the debtor's own zones too.
            for hours in j.hours:
                if hours.rule.applies_to(channel):
                    allowed = intersect(allowed, _hours_intervals(hours, zone_name, span))
        if layer == "law" or not allowed:
            return allowed
        return intersect(allowed, normalize(self._policy_intervals(j, zone_name, channel, span)))

    def _policy_intervals(self, j: _Jurisdiction, zone_name: str, channel: str, span: Interval) -> Iterable[Interval]:
        tz = zone(zone_name)
        for local_day in local_dates(span, tz):
            if self._policy_block(j, channel, local_day) is not None:
                continue
            if j.timetable is None:
                yield day_bounds(local_day, tz)
                continue
            hours = j.timetable.hours[channel]
            kind = cal.day_kind(j.calendar, local_day)
            key = cal.resolve_day_type(hours.by_day_type, kind, local_day)
            assert key is not None  # _policy_block said the day has a window
            for window in hours.by_day_type[key]:
                interval = local_interval(local_day, window.start, window.end, tz)
                if interval is not None:
                    yield interval

    def _policy_block(self, j: _Jurisdiction, channel: str, local_day: date) -> Reason | None:
        """Why the policy allows no ``channel`` contact on ``local_day`` (None: it has windows)."""
        key = (j.code, channel, local_day)
        if key in self._reasons:
            return self._reasons[key]
        reason = self._find_policy_block(j, channel, local_day)
        if len(self._reasons) > _CACHE_LIMIT:
            self._reasons.clear()
        self._reasons[key] = reason
        return reason

    def _find_policy_block(self, j: _Jurisdiction, channel: str, local_day: date) -> Reason | None:
        timetable = j.timetable
        if timetable is not None:
            for blackout in timetable.blackouts:
                if blackout.start <= local_day <= blackout.end and (
                    not blackout.channels or channel in blackout.channels
                ):
                    return Reason("blackout", timetable.id, str(blackout.source), f"blackout day: {blackout.reason}")
        kind = cal.day_kind(j.calendar, local_day)
        hours = timetable.hours.get(channel) if timetable is not None else None
        if kind is cal.DayKind.HOLIDAY and (hours is None or "holidays" not in hours.by_day_type):
            name = cal.holiday_name(j.calendar, local_day)
            return Reason(
                "holiday",
                timetable.id if timetable else "holidays",
                str(timetable.source) if timetable else "",
                f"public holiday ({name}); the timetable gives no `holidays:` window for {channel}",
            )
        if timetable is None:
            return None
        if hours is None:
            return Reason(
                f"timetable/{timetable.id}",
                timetable.id,
                str(timetable.source),
                f"the timetable has no {channel} windows, so {channel} is not used",
            )
        key = cal.resolve_day_type(hours.by_day_type, kind, local_day)
        if key is None or not hours.by_day_type[key]:
            code = "weekday" if hours.by_day_type else f"timetable/{timetable.id}"
            what = "make-up working day" if kind is cal.DayKind.MAKEUP_WORKDAY else local_day.strftime("%A")
            return Reason(code, timetable.id, str(hours.source), f"no {channel} window on this day ({what})")
        return None

    def day_blocked(self, account: Account, channel: str, day: date) -> Reason | None:
        """Why local day ``day`` (primary zone) has no ``channel`` window; None when it has one."""
        zones = self.timezones(account)
        if self._intervals(zones, account.jurisdiction, channel, day, layer="both"):
            return None
        j = self.jurisdiction(account.jurisdiction)
        if not self._intervals(zones, account.jurisdiction, channel, day, layer="law"):
            hours = next((h for h in j.hours if h.rule.applies_to(channel)), None)
            if hours is not None:
                return _law_reason(hours.rule, f"no {channel} time left in the legal hours of this day")
        blocked = self._policy_day_reason(j, channel, day, zones)
        if blocked is not None:
            return blocked
        if j.timetable is not None:
            return Reason(
                f"timetable/{j.timetable.id}",
                j.timetable.id,
                str(j.timetable.source),
                f"the {channel} window and the legal hours do not overlap in every candidate time zone",
            )
        return Reason("timetable/none", "timetable", "", f"no {channel} window")

    def _policy_day_reason(self, j: _Jurisdiction, channel: str, day: date, zones: tuple[str, ...]) -> Reason | None:
        """The policy's day block for primary day ``day``, else one seen from another zone."""
        blocked = self._policy_block(j, channel, day)
        if blocked is not None:
            return blocked
        for zone_name in zones[1:]:
            for local_day in local_dates(day_bounds(day, zone(zones[0])), zone(zone_name)):
                blocked = self._policy_block(j, channel, local_day)
                if blocked is not None:
                    return blocked
        return None

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
            state = account_state(account, history, as_of, self.policy.settings.promise_grace_days)
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

    def _time_reasons(
        self,
        account: Account,
        channel: str,
        at: datetime,
        day: date,
        instant: int,
        zones: tuple[str, ...],
        *,
        layer: str,
    ) -> list[Reason]:
        """Why the windows refuse ``at`` (``day`` its local date in the primary zone,
        ``instant`` its epoch second) in one layer: the law's hours or the policy's."""
        if contains(self._intervals(zones, account.jurisdiction, channel, day, layer=layer), instant):
            return []
        j = self.jurisdiction(account.jurisdiction)
        if layer == "law":
            out = []
            for index, hours in enumerate(j.hours):
                if not hours.rule.applies_to(channel):
                    continue
                for zone_name in (hours.fixed_zone, *zones) if hours.fixed_zone else zones:
                    local = at.astimezone(zone(zone_name))
                    if not (hours.start <= local.time() < hours.end):
                        key: tuple[Any, ...] = (j.code, index, zone_name, local.hour, local.minute)
                        reason = self._said.get(key)
                        if reason is None:
                            reason = self._say(
                                key,
                                _law_reason(
                                    hours.rule,
                                    f"{local:%H:%M} in {zone_name} is outside the legal hours "
                                    f"{hours.start:%H:%M}–{_clock_text(hours.end)}",
                                ),
                            )
                        out.append(reason)
                        break
            applicable = [h.rule for h in j.hours if h.rule.applies_to(channel)]
            if not out and applicable:  # DST edge: judged by the stricter interval, not the wall clock
                out.append(
                    _law_reason(applicable[0], "outside the legal hours (clock change: the stricter side applies)")
                )
            return out
        if not self._intervals(zones, account.jurisdiction, channel, day, layer="policy"):
            blocked = self._policy_day_reason(j, channel, day, zones)
            if blocked is not None:
                return [blocked]
        if j.timetable is not None:
            key = (j.code, channel)
            reason = self._said.get(key)
            if reason is None:
                reason = self._say(
                    key,
                    Reason(
                        f"timetable/{j.timetable.id}",
                        j.timetable.id,
                        str(j.timetable.hours[channel].source)
                        if channel in j.timetable.hours
                        else str(j.timetable.source),
                        f"outside the policy's {channel} window for this day",
                    ),
                )
            return [reason]
        return []

    def _say(self, key: tuple[Any, ...], reason: Reason) -> Reason:
        """Keep ``reason`` for every later request that meets the same rule the same way."""
        if len(self._said) > _CACHE_LIMIT:
            self._said.clear()
        self._said[key] = reason
        return reason

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


# Flags the engine stops on even where no pack names them (policy layer, not law).
_SAFETY_STOPS: tuple[tuple[str, StopEffect], ...] = (
    ("bankruptcy", "exclude"),
    ("deceased", "exclude"),
    ("cease_contact", "exclude"),
    ("legal_hold", "exclude"),
    ("breathing_space", "exclude"),
    ("dispute", "pause"),
    # contact the representative, not the customer; the agency or the lawyers collect
    ("represented", "pause"),
    ("placed_with_agency", "pause"),
    ("legal_referred", "pause"),
)

_EXCLUSION_EFFECTS: dict[ExclusionEffect, StopEffect] = {
    ExclusionEffect.EXCLUDE: "exclude",
    ExclusionEffect.PAUSE: "pause",
    ExclusionEffect.SUPPRESS: "suppress",
}

_FLAG_WORDS = {
    "bankruptcy": "the debtor is in bankruptcy",
    "deceased": "the debtor is deceased",
    "cease_contact": "the debtor asked us to stop contacting them",
    "legal_hold": "the account is on legal hold",
    "breathing_space": "the debtor is in a Breathing Space moratorium",
    "dispute": "the debt is disputed",
    "represented": "the debtor is represented (a lawyer or debt adviser): contact the representative",
    "placed_with_agency": "the account is placed with a collection agency",
    "legal_referred": "the account is referred to legal",
}


def _stop_effect(effect: str) -> StopEffect:
    return effect if effect in ("exclude", "pause", "suppress") else "exclude"  # type: ignore[return-value]


def _stop_message(flag: str, effect: str, state: AccountState | None = None) -> str:
    what = {"exclude": "no contact", "pause": "collection paused", "suppress": "channel suppressed"}.get(
        effect, "no contact"
    )
    return f"{_FLAG_WORDS.get(flag, flag)}: {what}" + _source_words(flag, state)


def _source_words(flag: str, state: AccountState | None) -> str:
    """`` (history, since 2026-11-29)`` when the history set the flag; nothing for the
    snapshot alone (its words are those of every plan without history)."""
    found = state.flags.get(flag) if state is not None else None
    if found is None or found.source == "snapshot":
        return ""
    return f" ({found.words()})"


_POINT_WORDS = {
    "missing": "no {point} on file",
    "invalid": "the {point} on file is not usable",
    "wrong-number": "the phone on file reached someone else (wrong_number)",
    "bounced": "email to the address on file bounced",
    "returned": "a letter to the address on file came back (returned_mail)",
}


def _point_stops(account: Account, state: AccountState) -> Iterator[Stop]:
    """A contact point that is missing, invalid or found unusable removes the channels that
    need it (a data-quality reason), never the account."""
    for point, channels in POINTS.items():
        if not getattr(account, point):
            what = "invalid" if point in account.invalid else "missing"
            code = f"data/{point}-{what}"
        elif point in state.unusable:
            code = state.unusable[point]
            what = code.split(f"data/{point}-", 1)[1]
        else:
            continue
        message = _POINT_WORDS[what].format(point=point) + f": no {' or '.join(channels)}"
        source = "the contact history" if point in state.unusable else "the account snapshot"
        yield Stop("suppress", channels, Reason(code, "data-quality", source, message), False)


_DISCLOSURE_WORDS = {"opt_out": "opt-out instruction", "mini_miranda": "debt-collector disclosure"}


def _missing_disclosures(j: _Jurisdiction, channel: str, content: str, purpose: str | None) -> list[Stop]:
    """Law stops for a rendered message that lacks a disclosure its jurisdiction requires.

    A message without a stated purpose is read as a collection message (the stricter side).
    """
    out = []
    for rule, patterns in j.disclosures:
        if channel not in rule.channels or (rule.purposes and (purpose or "collection") not in rule.purposes):
            continue
        if any(p.search(content) for p in patterns):
            continue
        what = _DISCLOSURE_WORDS.get(str(rule.params.get("text")), "required disclosure")
        message = f"the {channel} content has no {what}; send it only with the disclosure"
        out.append(Stop("suppress", (channel,), Reason(rule.id, rule.id, rule.citation, message), True))
    return out


def _may_hold(cond: Condition, account: Account) -> bool:
    """False when a part of ``cond`` that does not depend on the date already fails:
    flags, segments, balance bounds — the cheap parts, checked before any tier or history."""
    if (cond.flags and not account.flags.issuperset(cond.flags)) or (
        cond.segments and account.segment not in cond.segments
    ):
        return False
    if cond.max_overdue or cond.min_overdue:
        high, low = cond.max_overdue.get(account.currency), cond.min_overdue.get(account.currency)
        if (high is not None and account.overdue_amount > high) or (low is not None and account.overdue_amount < low):
            return False
    return True


def _needs_date(cond: Any) -> bool:
    return bool(
        cond.tiers
        or cond.promise.value != "any"
        or cond.no_payment_for_days is not None
        or cond.no_conversation_for_days is not None
        or cond.arrangement is not None
        or cond.days_since_last_contact is not None
        or cond.days_since_right_party_contact is not None
        or cond.paid_since_days is not None
        or cond.outcomes_in_last_days
    )


def _clock_text(value: Any) -> str:
    return "24:00" if value == value.max else f"{value:%H:%M}"


def _law_reason(rule: law.LawRule, message: str) -> Reason:
    return Reason(rule.id, rule.id, rule.citation, message)


def _hours_intervals(hours: _Hours, zone_name: str, span: Interval) -> list[Interval]:
    tz = zone(zone_name)
    out = []
    for local_day in local_dates(span, tz):
        interval = local_interval(local_day, hours.start, hours.end, tz)
        if interval is not None:
            out.append(interval)
    return intersect(normalize(out), [span])


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
        engine: ContactEngine,
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
