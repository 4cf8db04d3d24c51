"""L001 law-hours: a timetable window reaches outside the legal contact hours.

The law packs of a jurisdiction fix the hours in which contact is lawful at all — Regulation
F 08:00–21:00 at the debtor's location (12 CFR 1006.6(b)(1)(i)), China 08:00–22:00
Asia/Shanghai — narrowed further by the policy's ``tighten:``. A timetable window that
starts earlier or ends later promises contact the engine will never make: the planner and
the gate cut it to the legal hours, so the policy says one thing and does another. Reported
at the window, once per window and law rule.

Passing::

    timetables:
      - id: us
        jurisdictions: [US]
        windows:
          call: {workdays: "09:00-20:00"}

Failing (21:00-21:30 is after Regulation F's 21:00)::

    timetables:
      - id: us
        jurisdictions: [US]
        windows:
          call: {workdays: "09:00-21:30"}
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dunning.problems import Level, Problem
from dunning.rules import RuleContext
from dunning.rules._law import engine
from dunning.rules._nodes import at

CODE = "L001"
NAME = "law-hours"
LEVEL = Level.ERROR


def _clock(value: object) -> str:
    text = f"{value:%H:%M}"
    return "24:00" if text == "23:59" else text


def check(ctx: RuleContext) -> Iterator[Problem]:
    """Report windows that start before or end after the hours of any applicable law rule."""
    rule = sys.modules[__name__]
    policy = ctx.policy
    seen: set[tuple[str, int, int, str]] = set()
    for code in sorted(policy.jurisdictions):
        timetable = policy.timetable_for(code)
        if timetable is None:
            continue
        for hours in engine(ctx).jurisdiction(code).hours:
            for channel, channel_hours in timetable.hours.items():
                if not hours.rule.applies_to(channel):
                    continue
                for day_type, windows in channel_hours.by_day_type.items():
                    for window in windows:
                        if window.start >= hours.start and window.end <= hours.end:
                            continue
                        place = at(ctx, timetable.source, "windows", channel, day_type)
                        key = (place.file, place.line, place.col, hours.rule.id)
                        if key in seen:
                            continue
                        seen.add(key)
                        legal = f"{_clock(hours.start)}-{_clock(hours.end)}"
                        yield ctx.problem(
                            rule,
                            place,
                            f"{channel} window {_clock(window.start)}-{_clock(window.end)} on {day_type} reaches "
                            f"outside the legal hours {legal} of {hours.rule.id} ({hours.rule.citation}) "
                            f"for {code} accounts",
                            f"narrow the window to lie within {legal}",
                        )
