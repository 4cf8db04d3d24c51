"""Pictures drawn as inline SVG, so the handbook needs no JavaScript from the internet and the
same policy always gives the same bytes (integer coordinates, fixed palette, no ids from memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dunning.handbook.markdown import escape_html as esc
from dunning.policy.model import Step, Tier

# Colour-blind-safe (Okabe-Ito), one per tier in order, then repeating.
PALETTE = ("#56B4E9", "#009E73", "#E69F00", "#D55E00", "#CC79A7", "#0072B2", "#F0E442", "#999999")
CHANNEL_COLOURS = {
    "sms": "#0072B2",
    "email": "#56B4E9",
    "letter": "#009E73",
    "call": "#E69F00",
    "visit": "#D55E00",
    "agency": "#CC79A7",
    "legal_review": "#B8002E",
}
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg class="hb-figure" xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" {FONT}>',
        f"<title>{esc(title)}</title>",
    ]


def _ticks(left: int, right: int, top: int, bottom: int, end: int, scale: float) -> list[str]:
    step = 10 if end <= 150 else 30
    out = []
    for day in range(0, end + 1, step):
        x = left + round(day * scale)
        out.append(f'<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#ccc" stroke-width="1"/>')
        out.append(f'<text x="{x}" y="{bottom + 14}" text-anchor="middle" fill="#555">{day}</text>')
    out.append(f'<text x="{right}" y="{bottom + 30}" text-anchor="end" fill="#555">days past due</text>')
    return out


def ladder(tiers: Sequence[Tier]) -> str:
    """The tier ladder: one bar per tier (in evaluation order) over the days-past-due axis."""
    if not tiers:
        return ""
    bounded = [t.dpd.high for t in tiers if t.dpd.high is not None]
    end = max([*bounded, *(t.dpd.low for t in tiers)]) + 30
    end = (end + 9) // 10 * 10
    left, right, row = 190, 740, 34
    top = 10
    scale = (right - left) / end
    height = top + row * len(tiers) + 40
    out = _open(right + 20, height, "Tier ladder by days past due")
    out += _ticks(left, right, top, top + row * len(tiers), end, scale)
    for i, tier in enumerate(tiers):
        y = top + i * row + 6
        x1 = left + round(tier.dpd.low * scale)
        x2 = left + round(((tier.dpd.high if tier.dpd.high is not None else end) + 1) * scale)
        x2 = min(x2, right)
        colour = PALETTE[i % len(PALETTE)]
        restricted = bool(tier.min_amount or tier.max_amount or tier.products or tier.segments or tier.jurisdictions)
        dash = ' stroke-dasharray="4 3"' if restricted else ""
        out.append(
            f'<rect x="{x1}" y="{y}" width="{max(x2 - x1, 2)}" height="{row - 12}" rx="4" fill="{colour}" '
            f'fill-opacity="0.85" stroke="#333" stroke-width="1"{dash}><title>{esc(tier.id)}: dpd {esc(tier.dpd)}'
            f"</title></rect>"
        )
        if tier.dpd.high is None:
            out.append(f'<path d="M{right} {y} l12 {(row - 12) // 2} l-12 {(row - 12) // 2} z" fill="{colour}"/>')
        out.append(
            f'<text x="{left - 8}" y="{y + (row - 12) // 2 + 4}" text-anchor="end">{i + 1}. {esc(tier.name)}</text>'
        )
        out.append(
            f'<text x="{x1 + 4}" y="{y + (row - 12) // 2 + 4}" fill="#111">{esc(tier.id)} · {esc(tier.dpd)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Lane:
    """One step of a cadence on the timeline."""

    step: Step
    days: tuple[int, ...]  # the days it fires on, within the drawn range
    continues: bool  # it repeats past the drawn range


def lanes(steps: Sequence[Step], last_day: int | None) -> tuple[list[Lane], int, int]:
    """Each step's firing days; the drawn range ends at ``last_day`` (the tier's last day) or,
    for an open-ended tier, 30 days after the last step starts."""
    first = min(s.day for s in steps)
    end = last_day if last_day is not None else max(s.until or s.day for s in steps) + 30
    out = []
    for step in steps:
        if step.every is None:
            out.append(Lane(step, (step.day,), False))
            continue
        stop = step.until if step.until is not None else end
        stop = min(stop, end)
        days = tuple(range(step.day, stop + 1, step.every))
        continues = step.until is None and last_day is None
        out.append(Lane(step, days, continues))
    return out, first, end


def timeline(steps: Sequence[Step], last_day: int | None, title: str) -> str:
    """The cadence day by day: one lane per step, a mark on every day it fires."""
    if not steps:
        return ""
    rows, first, end = lanes(steps, last_day)
    start = max(first - 1, 0)
    left, right, row = 230, 740, 28
    top = 10
    span = max(end - start, 1)
    scale = (right - left) / span
    height = top + row * len(rows) + 40
    out = _open(right + 20, height, title)
    tick = 1 if span <= 15 else 5 if span <= 60 else 10
    first_tick = (start + tick - 1) // tick * tick
    bottom = top + row * len(rows)
    for day in range(first_tick, end + 1, tick):
        x = left + round((day - start) * scale)
        out.append(f'<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#ddd" stroke-width="1"/>')
        out.append(f'<text x="{x}" y="{bottom + 14}" text-anchor="middle" fill="#555">{day}</text>')
    out.append(f'<text x="{right}" y="{bottom + 30}" text-anchor="end" fill="#555">day past due</text>')
    for i, lane in enumerate(rows):
        step = lane.step
        y = top + i * row + row // 2
        colour = CHANNEL_COLOURS.get(step.channel, "#555")
        label = f"{step.channel} · {step.template or '—'}"
        out.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{esc(label)}</text>')
        xs = [left + round((d - start) * scale) for d in lane.days]
        if len(xs) > 1:
            out.append(f'<line x1="{xs[0]}" y1="{y}" x2="{xs[-1]}" y2="{y}" stroke="{colour}" stroke-width="2"/>')
        if lane.continues:
            out.append(
                f'<line x1="{xs[-1]}" y1="{y}" x2="{right}" y2="{y}" stroke="{colour}" stroke-width="2" '
                'stroke-dasharray="3 3"/>'
            )
        conditional = not step.when.is_empty()
        for day, x in zip(lane.days, xs, strict=True):
            fill = "#fff" if conditional else colour
            out.append(
                f'<circle cx="{x}" cy="{y}" r="6" fill="{fill}" stroke="{colour}" stroke-width="2.5">'
                f"<title>day {day}: {esc(step.channel)} {esc(step.template or '')}</title></circle>"
            )
    out.append("</svg>")
    return "".join(out)
