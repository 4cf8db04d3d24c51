"""Stops that follow from what the history recorded: law rules of kind ``after_outcome``.

Some laws restrict contact after something happened on a contact rather than while a flag
is set: in China, a third party answering the debtor's number (no further contact of the
third party), the debtor refusing again and again (no harassment), a complaint (handled
before collection goes on). Each is a pack rule with its citation and these parameters:

``counts``
    the history outcomes that trigger it (``third_party``, ``refused``, ``complaint`` …);
``times``, ``within_days``
    how many of them, within how many days (day 1 = the first), make the trigger (default
    one, on its own day);
``days``
    how long the stop lasts, the trigger's day being day 1 (absent: until an ``until``
    outcome);
``until``
    the outcomes on one of the rule's channels, after the trigger, that lift it early (a
    right-party contact shows the number reaches the debtor again);
``timezone``
    the zone whose calendar days count (default: the event's own offset, as the state's);
``allow_purposes``
    message purposes the stop lets through (a ``reply`` to the customer's complaint).

Per ``number`` (``scope.per``), an event that names another phone than the account's does
not count: the stop is about the number on file. The effect is ``suppress`` (the rule's
channels) or ``pause`` (all collection). The answer depends only on the history up to the
day asked about, so ``plan`` and ``dunning gate`` — both through :meth:`StopRules.stops` —
answer alike on every day.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from dunning.accounts.model import Account, Contact
from dunning.compliance.answers import Reason, Stop
from dunning.compliance.packs import LawRule
from dunning.compliance.timezones import zone

KIND = "after_outcome"
_WORDS = {
    "third_party": "someone other than the debtor answered",
    "refused": "the debtor refused",
    "complaint": "the debtor complained",
}


def _day(event: Contact, zone_name: str | None) -> date:
    return event.at.astimezone(zone(zone_name)).date() if zone_name else event.at.date()


def _trigger(rule: LawRule, params: Mapping[str, Any], account: Account, events: Sequence[Contact]) -> Contact | None:
    """The latest event that completes the rule's trigger (``times`` within ``within_days``),
    or None."""
    zone_name = params.get("timezone")
    times = int(params.get("times", 1))
    within = int(params.get("within_days", 1))
    counted = [
        e
        for e in events
        if e.outcome in rule.counts and not (rule.per == "number" and e.phone and e.phone != account.phone)
    ]
    for n in range(len(counted) - 1, times - 2, -1):
        last = _day(counted[n], zone_name)
        first = _day(counted[n - times + 1], zone_name)
        if (last - first).days < within:
            return counted[n]
    return None


def _lifted(rule: LawRule, params: Mapping[str, Any], trigger: Contact, events: Sequence[Contact]) -> Contact | None:
    """The first event after ``trigger`` that lifts the stop (an ``until`` outcome on one of
    the rule's channels), or None."""
    until = frozenset(params.get("until") or ())
    if not until:
        return None
    return next(
        (e for e in events if e.at > trigger.at and e.outcome in until and e.channel in rule.channels),
        None,
    )


def outcome_stops(
    rules: Sequence[tuple[LawRule, Mapping[str, Any]]], account: Account, events: Sequence[Contact], as_of: date
) -> Iterator[Stop]:
    """The stops of the ``after_outcome`` ``rules`` that hold for the account on ``as_of``
    (``events``: its history up to that day, in time order)."""
    for rule, params in rules:
        trigger = _trigger(rule, params, account, events)
        if trigger is None or _lifted(rule, params, trigger, events) is not None:
            continue
        start = _day(trigger, params.get("timezone"))
        days = params.get("days")
        end = start + timedelta(days=int(days)) if days is not None else None
        if end is not None and as_of >= end:
            continue
        pause = rule.effect == "pause"
        what = "collection paused" if pause else "no " + " or ".join(rule.channels)
        times = int(params.get("times", 1))
        count = f", {times} in {params.get('within_days', 1)} day(s)" if times > 1 else ""
        if end is not None:
            lasts = f"before {end}"
        else:
            lasts = f"until a {' or '.join(params.get('until') or ())} on {' or '.join(rule.channels)}"
        message = (
            f"{_WORDS.get(trigger.outcome, trigger.outcome)} on {start} ({trigger.outcome}{count}): {what} {lasts}"
        )
        yield Stop(
            "pause" if pause else "suppress",
            () if pause else rule.channels,
            Reason(rule.id, rule.id, rule.citation, message),
            True,
            tuple(params.get("allow_purposes") or ()),
        )
