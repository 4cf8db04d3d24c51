"""What a cadence still owes an account from earlier days, and what holds a step back.

The planner (:mod:`dunning.plan.decide`) and the columnar planner's day classes
(:mod:`dunning.plan.columnar`) both read :func:`backlog`, so the two give the same plans.

- **Catch-up.** With a history that records sends (any ``sent`` event in the run's history),
  an occurrence of a step that fell on an earlier day of the current tier and has no ``sent``
  event for its action id is sent today, as long as it is within the step's catch-up window
  (``Strategy.catch_up_days``); the day after the window the plan records it once as
  ``step/missed``. A ``required`` step (a notice) has no window: its latest occurrence is
  caught up however late the account arrives, and later steps wait for it.
- **Requirements.** A step with ``requires: [{sent: T, at_least_days: N}]`` waits
  (``step/waiting/T``) until a message of template T was sent at least N days before its day
  and was not returned undelivered (``returned_mail`` or ``bounced`` naming the action).
  A run whose history records no sends cannot know: there a requirement counts as met
  when a step that sends T fired at least N days before and its conditions hold for the
  account today (an account without an address never had its letter, so it waits).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from dunning.accounts.model import Contact
from dunning.policy.model import Policy, Step, Strategy

CATCH_UP = "catch-up"
MISSED = "missed"
RETURNED = frozenset(("returned_mail", "bounced"))
# The rest of an action id after ``<account>-``, as :func:`occurrence_id` writes it; the
# report reads the same pattern in polars (results/report.py)
ACTION_ID_REST = r"^(?P<strategy>.+)-(?P<channel>[a-z_]+)(?P<day>-?\d+)-(?P<due>\d{8})$"
_ACTION = re.compile(ACTION_ID_REST)


def backlog(strategy: Strategy, step: Step, dpd: int, low: int, high: int | None) -> tuple[tuple[int, str], ...]:
    """(days before today, ``catch-up`` or ``missed``) of the step's occurrences on earlier
    days of the tier ``[low, high]`` that today's plan acts on if they were not sent."""
    out: list[tuple[int, str]] = []
    if step.required:
        for back in range(1, dpd - low + 1):
            if step.fires_on(dpd - back, high):
                return ((back, CATCH_UP),)  # the latest occurrence only
        return ()
    window = strategy.catch_up_days(step)
    for back in range(1, min(window + 1, dpd - low) + 1):
        if step.fires_on(dpd - back, high):
            out.append((back, CATCH_UP if back <= window else MISSED))
    return tuple(out)


def occurrence_id(account_id: str, strategy: Strategy, step: Step, due: date) -> str:
    """The stable id of the step's occurrence due on ``due`` (the same every day it is planned)."""
    return f"{account_id}-{strategy.id}-{step.channel}{step.day}-{due:%Y%m%d}"


def step_of_action(policy: Policy, account_id: str, action: str) -> tuple[str, str, int, str | None] | None:
    """(strategy, channel, day, template) of an action id as :func:`occurrence_id` writes it, or
    None for an id of another system."""
    rest = action.removeprefix(account_id + "-")
    found = _ACTION.match(rest) if rest != action else None
    if found is None:
        return None
    strategy, channel, day = found["strategy"], found["channel"], int(found["day"])
    steps = policy.strategies[strategy].steps if strategy in policy.strategies else ()
    template = next((s.template for s in steps if s.channel == channel and s.day == day), None)
    return strategy, channel, day, template


def sent_templates(policy: Policy, account_id: str, events: Sequence[Contact]) -> dict[str, date]:
    """Template id -> the day it was last sent (not returned), from the account's ``sent`` events."""
    returned = {e.action_id for e in events if e.outcome in RETURNED and e.action_id}
    out: dict[str, date] = {}
    for event in events:
        if event.outcome != "sent" or not event.action_id or event.action_id in returned:
            continue
        origin = step_of_action(policy, account_id, event.action_id)
        if origin is not None and origin[3] is not None:
            out[origin[3]] = max(out.get(origin[3], event.at.date()), event.at.date())
    return out


def unmet(step: Step, sent: dict[str, date], on: date) -> str | None:
    """The first template ``step`` requires that was not sent long enough before ``on``."""
    for need in step.requires:
        when = sent.get(need.sent)
        if when is None or when > on - timedelta(days=need.at_least_days):
            return need.sent
    return None


def senders(policy: Policy, template: str, dpd: int, at_least_days: int) -> list[tuple[Strategy, Step]]:
    """The steps (of any strategy) that send ``template`` on a day at least ``at_least_days``
    before ``dpd``: what could have sent it, for a run whose history does not record sends."""
    return [
        (strategy, step)
        for strategy in policy.strategies.values()
        for step in strategy.steps
        if step.template == template and step.day <= dpd - at_least_days
    ]


def requirement_days(policy: Policy, dpd: int) -> tuple[bool, ...]:
    """For every requirement of every step: could a sender have fired long enough before
    ``dpd``? (What days past due decides of :func:`senders`, for the columnar day classes.)"""
    return tuple(
        bool(senders(policy, need.sent, dpd, need.at_least_days))
        for strategy in policy.strategies.values()
        for step in strategy.steps
        for need in step.requires
    )
