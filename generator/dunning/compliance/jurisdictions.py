"""Resolving a jurisdiction code once: the law packs that apply (named by the policy or by
law, e.g. ``us-ma`` for ``US-MA``) with the policy's tightening, their hours, frequency
rules, stops and disclosures, and the policy's timetable, holidays and caps for it.

:class:`JurisdictionResolver` is the base of the contact engine: it holds the policy and
the caches every other part (stops, windows, frequency) reads through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dunning.accounts.model import Account
from dunning.compliance import calendar as cal
from dunning.compliance import packs as law
from dunning.compliance.answers import Reason
from dunning.compliance.timezones import candidate_zones, zone
from dunning.compliance.windows import (
    Interval,
)
from dunning.policy.model import (
    FrequencyCap,
    Policy,
    Timetable,
)

_CACHE_LIMIT = 500_000


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


class JurisdictionResolver:
    """The policy, its resolved jurisdictions and the caches shared by the engine's parts."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._jurisdictions: dict[str, _Jurisdiction] = {}
        self._windows: dict[tuple[Any, ...], tuple[Interval, ...]] = {}
        self._reasons: dict[tuple[Any, ...], Reason | None] = {}
        self._counters: dict[tuple[str, str], tuple[_Counter, ...]] = {}
        # reasons that are the same words for every request that meets them (immutable, so shared)
        self._said: dict[tuple[Any, ...], Reason] = {}

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

    def _say(self, key: tuple[Any, ...], reason: Reason) -> Reason:
        """Keep ``reason`` for every later request that meets the same rule the same way."""
        if len(self._said) > _CACHE_LIMIT:
            self._said.clear()
        self._said[key] = reason
        return reason
