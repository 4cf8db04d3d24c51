"""Contact windows as UTC intervals: local wall-clock windows made DST-correct.

A window is written in local wall time ("09:00-20:00") but a contact happens at an
instant. Each local window is turned into a half-open interval of UTC epoch seconds
``[start, end)`` with :mod:`zoneinfo`:

* a start that does not exist (it falls in a spring-forward gap) or exists twice (a
  fall-back hour) resolves to the *later* instant, an end to the *earlier* one — the
  stricter side, so a window never grows because of a clock change;
* ``24:00`` (compiled as ``time.max``) is the end of the day: the first instant of the
  next local date. A calendar day runs from its own first instant to the next one's, so
  consecutive days tile time even where a clock change falls at midnight (Santiago,
  Havana, Cairo, Beirut): the day the clock jumps from 00:00 to 01:00 is 23 hours and the
  day before it keeps its 24; where midnight happens twice the day starts at the first.

Intervals of different zones are intersected, so a moment is allowed only when every
candidate zone allows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[int, int]  # UTC epoch seconds, [start, end)

_MIDNIGHT = time(0, 0)


def local_instant(day: date, at: time, tz: ZoneInfo, *, start: bool) -> int:
    """The UTC epoch second of local ``day`` ``at`` in ``tz``, resolved to the stricter side."""
    if at == time.max:
        return _day_start(day + timedelta(days=1), tz)
    first = int(datetime.combine(day, at, tzinfo=tz).timestamp())
    second = int(datetime.combine(day, at, tzinfo=tz).replace(fold=1).timestamp())
    return max(first, second) if start else min(first, second)


def _day_start(day: date, tz: ZoneInfo) -> int:
    """The first instant of local ``day``.

    ``fold=0`` is exactly that: a midnight that exists twice is read as the first one, and a
    midnight skipped by the clock is read with the offset before the jump, which is the
    instant of the jump — the first moment whose local date is ``day``."""
    return int(datetime.combine(day, _MIDNIGHT, tzinfo=tz).timestamp())


def day_bounds(day: date, tz: ZoneInfo) -> Interval:
    """The whole local calendar day as an interval (23, 24 or 25 hours long)."""
    return _day_start(day, tz), _day_start(day + timedelta(days=1), tz)


def local_interval(day: date, start: time, end: time, tz: ZoneInfo) -> Interval | None:
    """A local ``[start, end)`` window on ``day`` as an interval (None when it is empty)."""
    s = local_instant(day, start, tz, start=True)
    e = local_instant(day, end, tz, start=False)
    return (s, e) if s < e else None


def local_dates(span: Interval, tz: ZoneInfo) -> list[date]:
    """Local calendar dates in ``tz`` that overlap ``span``."""
    first = datetime.fromtimestamp(span[0], tz).date()
    last = datetime.fromtimestamp(span[1] - 1, tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """The intersection of two sorted lists of disjoint intervals."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        s = max(a[i][0], b[j][0])
        e = min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def normalize(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals."""
    out: list[Interval] = []
    for s, e in sorted(intervals):
        if s >= e:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def contains(intervals: Sequence[Interval], instant: int) -> bool:
    """True when ``instant`` lies in one of the half-open intervals."""
    return any(s <= instant < e for s, e in intervals)
