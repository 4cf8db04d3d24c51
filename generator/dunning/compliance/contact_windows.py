"""Contact windows: on a local day, the intervals a channel may be used — the policy's
timetable (windows by day type, holidays, blackouts, weekday rules) intersected with the
law's hours, held in every candidate time zone of the debtor (and in a rule's own zone,
China: Asia/Shanghai) — and why a moment or a day has none."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from dunning.accounts.model import Account
from dunning.compliance import calendar as cal
from dunning.compliance import packs as law
from dunning.compliance.answers import Reason
from dunning.compliance.jurisdictions import _CACHE_LIMIT, JurisdictionResolver, _Hours, _Jurisdiction
from dunning.compliance.timezones import zone
from dunning.compliance.windows import (
    Interval,
    contains,
    day_bounds,
    intersect,
    local_dates,
    local_interval,
    normalize,
)


class ContactWindows(JurisdictionResolver):
    """Allowed windows and the reasons outside them (a part of :class:`ContactEngine`)."""

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
        # Without a timetable the policy layer of an unblocked day is the whole day in every
        # zone, so both layers equal the law's, which is not empty here: only a timetable's
        # windows can miss the legal hours.
        assert j.timetable is not None
        return Reason(
            f"timetable/{j.timetable.id}",
            j.timetable.id,
            str(j.timetable.source),
            f"the {channel} window and the legal hours do not overlap in every candidate time zone",
        )

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
                        # a channel the timetable lacks has every day blocked: answered above
                        str(j.timetable.hours[channel].source),
                        f"outside the policy's {channel} window for this day",
                    ),
                )
            return [reason]
        # No timetable: only a blocked day (a holiday) refuses, and the moment is outside the
        # windows, so its own local day is blocked in one of the zones — name that day, or a
        # holiday in another zone would let the gate allow a moment the windows exclude.
        for zone_name in zones:
            blocked = self._policy_block(j, channel, at.astimezone(zone(zone_name)).date())
            if blocked is not None:
                return [blocked]
        return []


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
