"""Timetables: the weekly grid of contact windows per channel, blackout dates, the law's hours on
top, and the holiday calendar in force for the year after the as-of date.

Which windows govern a day is decided by :mod:`dunning.compliance.calendar` — the same code the
planner and the gate use — so the grid cannot disagree with what the plan does.
"""

from __future__ import annotations

from datetime import date, timedelta

from dunning.compliance.breaks import calendar_warnings
from dunning.compliance.calendar import DayKind, calendar_key, day_kind, holiday_name, resolve_day_type
from dunning.compliance.packs import all_packs, effective_params
from dunning.handbook import words
from dunning.handbook.context import HandbookContext, Page
from dunning.handbook.markdown import DASH, code, joined, listing, table, text
from dunning.policy.model import CHANNELS, WEEKDAYS, ChannelHours, Timetable

PATH = "timetables.md"
GRID_HEADER = ["Channel", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Holidays", "Make-up days"]
# A fixed week (Monday 2024-01-01 … Sunday 2024-01-07) only to name weekdays for the resolver.
_WEEK = tuple(date(2024, 1, 1) + timedelta(days=i) for i in range(7))
NO_CONTACT = "no contact"


def cell(hours: ChannelHours, kind: DayKind, day: date) -> str:
    """The windows that govern a day of ``kind`` (falling on ``day``'s weekday), in words."""
    key = resolve_day_type(hours.by_day_type, kind, day)
    if key is None:
        return NO_CONTACT
    windows = hours.by_day_type[key]
    return ", ".join(str(w) for w in windows) if windows else NO_CONTACT


def grid_rows(timetable: Timetable) -> list[list[str]]:
    """One row per channel (in the model's channel order): windows per weekday and special day."""
    out = []
    for channel in (c for c in CHANNELS if c in timetable.hours):
        hours = timetable.hours[channel]
        row = [text(words.channel(channel))]
        for day in _WEEK:
            kind = DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY
            row.append(text(cell(hours, kind, day)))
        row.append(text(cell(hours, DayKind.HOLIDAY, _WEEK[0])))
        row.append(text(cell(hours, DayKind.MAKEUP_WORKDAY, _WEEK[5])))
        out.append(row)
    return out


def law_hours(ctx: HandbookContext, timetable: Timetable) -> list[list[str]]:
    """The law's contact hours in force for the timetable's jurisdictions (policy tightening applied)."""
    rows = []
    packs = all_packs()
    for code_ in timetable.jurisdictions:
        jurisdiction = ctx.policy.jurisdiction(code_)
        if jurisdiction is None:
            continue
        for pack_id in jurisdiction.packs:
            pack = packs.get(pack_id)
            if pack is None:
                continue
            for rule in pack.rules:
                if rule.kind != "hours":
                    continue
                params = effective_params(rule, jurisdiction.tighten.get(rule.id))
                zone = params.get("timezone", "the debtor's local time")
                rows.append(
                    [
                        code(code_),
                        f"[{text(rule.id)}](compliance.md#{rule.id.replace('.', '-')})",
                        text(f"{params.get('start')}–{params.get('end')}"),
                        code(zone) if "timezone" in params else text(zone),
                        text(joined([words.channel(c) for c in rule.channels])),
                    ]
                )
    return rows


def holiday_rows(timetable: Timetable, jurisdiction: str, as_of: date) -> list[list[str]]:
    """Public holidays and make-up working days from ``as_of`` for one year (365 days)."""
    key = calendar_key(timetable.holidays, jurisdiction)
    if key is None:
        return []
    rows = []
    for offset in range(365):
        day = as_of + timedelta(days=offset)
        kind = day_kind(key, day)
        weekday = WEEKDAYS[day.weekday()].capitalize()
        if kind is DayKind.HOLIDAY:
            rows.append([day.isoformat(), weekday, "public holiday", holiday_name(key, day)])
        elif kind is DayKind.MAKEUP_WORKDAY:
            rows.append([day.isoformat(), weekday, "make-up working day", ""])
    return [[r[0], r[1], r[2], text(r[3]) if r[3] else DASH] for r in rows]


def pages(ctx: HandbookContext) -> list[Page]:
    """The timetables page."""
    p = ctx.policy
    end = ctx.as_of + timedelta(days=364)
    first = min((t.source for t in p.timetables), default=None)
    out = ["# Timetables\n"]
    if first is not None:
        out.append(ctx.edit_line(first, PATH))
    out.append(
        "When each channel may be used, in the debtor's local time (windows are `start-end`, the end "
        "excluded). A day is a public holiday, a make-up working day (China moves working days onto "
        "weekends around long holidays; they count as workdays), a workday or a weekend day; a "
        "public holiday has no contact unless the timetable gives `holidays` windows. The law's "
        "hours apply on top of these windows; where they differ, the narrower one wins "
        "(reason codes `timetable/<id>`, `holiday`, `blackout`, `weekday`).\n"
    )
    if not p.timetables:
        out.append("The policy has no timetables: only the law's hours limit contact.\n")
    for timetable in p.timetables:
        out.append(f"\n## {text(timetable.id)} {{ #timetable-{timetable.id} }}\n")
        out.append(
            f"For accounts in {listing(timetable.jurisdictions)} · holiday calendar "
            f"{code(timetable.holidays) if timetable.holidays else 'none'} · {ctx.link(timetable.source, PATH)}\n"
        )
        out.append("\n### Weekly grid\n")
        if timetable.hours:
            # a wrapper so the handbook's CSS can keep each window on one line
            out.append('<div class="hb-grid" markdown>\n\n' + table(GRID_HEADER, grid_rows(timetable)) + "\n</div>\n")
            sources = ", ".join(ctx.link(h.source, PATH, words.channel(c)) for c, h in sorted(timetable.hours.items()))
            out.append(f"\nSources: {sources}\n")
        else:
            out.append("No channel has windows: no contact.\n")
        law = law_hours(ctx, timetable)
        if law:
            out.append("\n### The law's hours\n")
            out.append(table(["Jurisdiction", "Rule", "Allowed", "Time zone", "Channels"], law))
        out.append("\n### Blackout dates\n")
        if timetable.blackouts:
            out.append(
                table(
                    ["From", "To", "Channels", "Reason", "Source"],
                    [
                        [
                            b.start.isoformat(),
                            b.end.isoformat(),
                            text(joined([words.channel(c) for c in b.channels])) if b.channels else "all",
                            text(b.reason),
                            ctx.link(b.source, PATH),
                        ]
                        for b in sorted(timetable.blackouts, key=lambda b: (b.start, b.end, b.channels))
                    ],
                )
            )
        else:
            out.append("None.\n")
        for jurisdiction in timetable.jurisdictions:
            out.append(f"\n### Holidays in {text(jurisdiction)}, {ctx.as_of.isoformat()} to {end.isoformat()}\n")
            rows = holiday_rows(timetable, jurisdiction, ctx.as_of)
            if rows:
                out.append(table(["Date", "Day", "Kind", "Holiday"], rows))
                for note in calendar_warnings([timetable.holidays], ctx.as_of, end):
                    out.append(f"\n!!! warning\n    {text(note)}\n")
            else:
                out.append("No holiday calendar: every day is a workday or a weekend day.\n")
    return [Page(PATH, "Timetables", "\n".join(out), first)]
