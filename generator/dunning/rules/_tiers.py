"""Tiers as boxes in account space, for the overlap, shadowing and empty-tier rules.

An account is a point: (days past due, overdue amount, currency, product, segment,
country, subdivision). A tier matches a union of axis-aligned boxes in that space: one box
per currency it names (amount bounds are per currency) and per jurisdiction it lists. Days
and amounts are half-open numeric intervals (the written bounds are inclusive, so
``max: 30`` becomes ``< 31`` and an amount ``max: 500`` becomes ``< 500 + 1e-12``); the other
axes are sets of words, either "exactly these" or "anything but these" (an empty list in the
policy means "any").

"Is every account of tier B taken by earlier tiers?" is then "is B's union of boxes
covered by the union of the earlier tiers' boxes?", decided by splitting B along the
other boxes' faces until each piece is inside one box or outside all of them.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from dunning.policy.model import Tier

INF = Decimal("Infinity")
AMOUNT_EPSILON = Decimal("1e-12")


@dataclass(frozen=True)
class Words:
    """A set of words: exactly ``values`` (``only``) or everything except ``values``."""

    only: bool
    values: frozenset[str]

    def __and__(self, other: Words) -> Words:
        if self.only and other.only:
            return Words(True, self.values & other.values)
        if self.only:
            return Words(True, self.values - other.values)
        if other.only:
            return Words(True, other.values - self.values)
        return Words(False, self.values | other.values)

    def __invert__(self) -> Words:
        return Words(not self.only, self.values)

    def empty(self) -> bool:
        """True when no word is in the set."""
        return self.only and not self.values

    def meets(self, other: Words) -> bool:
        """True when the sets share a word (without building the intersection)."""
        if self.only and other.only:
            return not self.values.isdisjoint(other.values)
        if self.only:
            return not self.values <= other.values
        if other.only:
            return not other.values <= self.values
        return True

    def within(self, other: Words) -> bool:
        """True when every word of this set is in ``other`` (``(self & ~other).empty()``,
        without building the sets: the tier checks ask this millions of times)."""
        if self.only:
            return self.values <= other.values if other.only else self.values.isdisjoint(other.values)
        return not other.only and other.values <= self.values


ANY = Words(False, frozenset())
Interval = tuple[Decimal, Decimal]  # [low, high)


@dataclass(frozen=True)
class Box:
    """One box of account space."""

    dpd: Interval
    amount: Interval
    currency: Words
    product: Words
    segment: Words
    country: Words
    subdivision: Words

    def empty(self) -> bool:
        """True when no account is in the box."""
        return self.dpd[0] >= self.dpd[1] or self.amount[0] >= self.amount[1] or any(w.empty() for w in self.words())

    def words(self) -> tuple[Words, ...]:
        """The word axes, in field order."""
        return (self.currency, self.product, self.segment, self.country, self.subdivision)

    def __and__(self, other: Box) -> Box:
        return Box(
            _meet(self.dpd, other.dpd),
            _meet(self.amount, other.amount),
            self.currency & other.currency,
            self.product & other.product,
            self.segment & other.segment,
            self.country & other.country,
            self.subdivision & other.subdivision,
        )

    def meets(self, other: Box) -> bool:
        """True when some account is in both boxes (cheaper than ``not (a & b).empty()``)."""
        return (
            max(self.dpd[0], other.dpd[0]) < min(self.dpd[1], other.dpd[1])
            and max(self.amount[0], other.amount[0]) < min(self.amount[1], other.amount[1])
            and self.product.meets(other.product)
            and self.segment.meets(other.segment)
            and self.country.meets(other.country)
            and self.subdivision.meets(other.subdivision)
            and self.currency.meets(other.currency)
        )

    def within(self, other: Box) -> bool:
        """True when every account of this box is in ``other``."""
        return (
            _inside(self.dpd, other.dpd)
            and _inside(self.amount, other.amount)
            and all(a.within(b) for a, b in zip(self.words(), other.words(), strict=True))
        )


def _meet(a: Interval, b: Interval) -> Interval:
    return (max(a[0], b[0]), min(a[1], b[1]))


def _inside(a: Interval, b: Interval) -> bool:
    return a[0] >= a[1] or (b[0] <= a[0] and a[1] <= b[1])


def _words(values: Sequence[str]) -> Words:
    return Words(True, frozenset(values)) if values else ANY


def boxes(tier: Tier) -> list[Box]:
    """The boxes whose union is the set of accounts ``tier`` matches (before earlier tiers)."""
    dpd = (Decimal(tier.dpd.low), INF if tier.dpd.high is None else Decimal(tier.dpd.high + 1))
    named = sorted(set(tier.min_amount.by_currency) | set(tier.max_amount.by_currency))
    money: list[tuple[Words, Interval]] = []
    for currency in [*named, None]:
        words = Words(True, frozenset({currency})) if currency else Words(False, frozenset(named))
        low = tier.min_amount.get(currency) if currency else tier.min_amount.default
        high = tier.max_amount.get(currency) if currency else tier.max_amount.default
        money.append((words, (low or Decimal(0), INF if high is None else high + AMOUNT_EPSILON)))
    places: list[tuple[Words, Words]] = []
    for code in tier.jurisdictions or ("",):
        country, _, sub = code.partition("-")
        places.append((_words([country] if country else []), _words([sub] if sub else [])))
    out = []
    for cur_words, amount in money:
        for country_words, sub_words in places:
            box = Box(dpd, amount, cur_words, _words(tier.products), _words(tier.segments), country_words, sub_words)
            if not box.empty():
                out.append(box)
    return out


def _split(box: Box, by: Box) -> list[Box] | None:
    """Pieces of ``box`` along the first axis where it sticks out of ``by`` (None: it does not)."""
    for name in ("dpd", "amount"):
        mine: Interval = getattr(box, name)
        theirs: Interval = getattr(by, name)
        if not _inside(mine, theirs):
            cuts = sorted({mine[0], mine[1], *(c for c in theirs if mine[0] < c < mine[1])})
            return [_with(box, name, (lo, hi)) for lo, hi in itertools.pairwise(cuts)]
    for name in ("currency", "product", "segment", "country", "subdivision"):
        mine_w: Words = getattr(box, name)
        theirs_w: Words = getattr(by, name)
        if not mine_w.within(theirs_w):
            parts = [mine_w & theirs_w, mine_w & ~theirs_w]
            return [_with(box, name, p) for p in parts if not p.empty()]
    return None


def _with(box: Box, name: str, value: object) -> Box:
    fields = {
        "dpd": box.dpd,
        "amount": box.amount,
        "currency": box.currency,
        "product": box.product,
        "segment": box.segment,
        "country": box.country,
        "subdivision": box.subdivision,
    }
    fields[name] = value
    return Box(**fields)  # type: ignore[arg-type]


def _spanned(interval: Interval, others: Sequence[Interval]) -> bool:
    """True when the ``others`` together contain every point of ``interval``."""
    low, high = interval
    reach = low
    for a, b in sorted(others):
        if a > reach:
            return False
        reach = max(reach, b)
        if reach >= high:
            return True
    return reach >= high


def covered(box: Box, cover: Sequence[Box], depth: int = 0) -> bool:
    """True when every account of ``box`` is in some box of ``cover``."""
    touching = [c for c in cover if box.meets(c)]
    if not touching:
        return False
    if not _spanned(box.dpd, [c.dpd for c in touching]) or not _spanned(box.amount, [c.amount for c in touching]):
        return False  # some day (or amount) of the box is in none of them: no need to split
    if any(box.within(c) for c in touching):
        return True
    if depth > 200:  # pragma: no cover - cannot happen with finitely many faces; be safe
        return False
    pieces = _split(box, touching[0])
    assert pieces is not None  # it touches but is not inside: it sticks out somewhere
    return all(covered(p, touching, depth + 1) for p in pieces)


def describe(box: Box) -> str:
    """Readable bounds of a box: ``dpd 20–30, amount 0–500 CNY, product card``."""
    low, high = box.dpd
    parts = [f"dpd {low}+" if high == INF else f"dpd {low}–{high - 1}"]
    if box.amount != (Decimal(0), INF):
        a, b = box.amount
        cur = f" {','.join(sorted(box.currency.values))}" if box.currency.only else ""
        if b == INF:
            parts.append(f"amount {a.normalize():f}+{cur}")
        else:
            parts.append(f"amount {a.normalize():f}–{(b - AMOUNT_EPSILON).normalize():f}{cur}")
    for label, words in (("product", box.product), ("segment", box.segment), ("country", box.country)):
        if words.only:
            parts.append(f"{label} {','.join(sorted(words.values))}")
    return ", ".join(parts)


@dataclass(frozen=True)
class TierAnalysis:
    """Per tier, in order: its boxes, the earlier tiers that take all of it, and partial overlaps."""

    boxes: dict[str, list[Box]]
    shadowed_by: dict[str, list[Tier]]  # tier id -> earlier tiers that together take all its accounts
    overlaps: list[tuple[Tier, Tier, Box]]  # (earlier, later, a box of the overlap), one per later tier


WORD_AXES = ("product", "segment", "country", "subdivision", "currency")
FEW = 64  # a word bucket this small is scanned instead of walking the days-past-due tree
Entry = tuple[int, Box]  # (tier position, box)


class _TakingIndex:
    """The boxes of the tiers that take accounts so far, found without scanning them all.

    Two ways in, and a query takes the cheaper: a segment tree over every box's ``dpd`` low
    (sorted once) keeping, per node, the highest ``dpd`` high added under it, so a query
    walks only into nodes that can hold a box meeting the asked days — O((k + 1) log n) for
    k boxes found; and, per word axis, the boxes that name each word (plus those that take
    any word), so tiers on the same days but for different products never meet at all.
    A ladder of 10k tiers compared each with every earlier one: 50M box comparisons.
    Boxes can be taken out again (``analyse`` hides a tier under a later one that holds it).
    """

    def __init__(self, all_boxes: Sequence[Box]) -> None:
        order = sorted(range(len(all_boxes)), key=lambda i: all_boxes[i].dpd[0])
        self.lows = [all_boxes[i].dpd[0] for i in order]
        self.slot = {box_id: n for n, box_id in enumerate(order)}
        self.size = 1
        while self.size < max(1, len(order)):
            self.size *= 2
        self.high: list[Decimal] = [-INF] * (2 * self.size)
        self.entry: list[Entry | None] = [None] * len(order)
        self.named: dict[str, dict[str, dict[int, Entry]]] = {axis: {} for axis in WORD_AXES}
        self.unnamed: dict[str, dict[int, Entry]] = {axis: {} for axis in WORD_AXES}

    def add(self, box_id: int, tier: int, box: Box) -> None:
        """Make ``box`` (of the tier at position ``tier``) findable."""
        entry = (tier, box)
        n = self.slot[box_id]
        self.entry[n] = entry
        node = n + self.size
        self.high[node] = box.dpd[1]
        node //= 2
        while node and self.high[node] < box.dpd[1]:
            self.high[node] = box.dpd[1]
            node //= 2
        for axis in WORD_AXES:
            words: Words = getattr(box, axis)
            if words.only:
                for word in words.values:
                    self.named[axis].setdefault(word, {})[box_id] = entry
            else:
                self.unnamed[axis][box_id] = entry

    def remove(self, box_id: int, box: Box) -> None:
        """Make an added ``box`` unfindable again, in O(log n) plus its words."""
        n = self.slot[box_id]
        self.entry[n] = None
        node = n + self.size
        self.high[node] = -INF
        node //= 2
        while node:
            self.high[node] = max(self.high[2 * node], self.high[2 * node + 1])
            node //= 2
        for axis in WORD_AXES:
            words: Words = getattr(box, axis)
            if words.only:
                for word in words.values:
                    del self.named[axis][word][box_id]
            else:
                del self.unnamed[axis][box_id]

    def meeting(self, box: Box) -> list[Entry]:
        """(tier position, box) of every added box that shares an account with ``box``."""
        best: list[Entry] | None = None
        for axis in WORD_AXES:
            words: Words = getattr(box, axis)
            if not words.only:
                continue
            candidates = list(self.unnamed[axis].values())
            for word in words.values:
                candidates.extend(self.named[axis].get(word, {}).values())
            if best is None or len(candidates) < len(best):
                best = candidates
        if best is not None and len(best) <= FEW:
            return [entry for entry in best if box.meets(entry[1])]
        return self._by_days(box)

    def _by_days(self, box: Box) -> list[Entry]:
        low, high = box.dpd
        end = bisect.bisect_left(self.lows, high)  # boxes starting before ``high``
        found: list[Entry] = []
        stack = [(1, 0, self.size)]
        while stack:
            node, first, last = stack.pop()
            if first >= end or self.high[node] <= low:
                continue
            if node >= self.size:
                entry = self.entry[node - self.size]
                if entry is not None and box.meets(entry[1]):
                    found.append(entry)
                continue
            middle = (first + last) // 2
            stack.append((2 * node + 1, middle, last))
            stack.append((2 * node, first, middle))
        return found


def _inside_all(theirs: Sequence[Box], mine: Sequence[Box]) -> bool:
    """True when every box of ``theirs`` lies inside one box of ``mine``."""
    return all(any(b.within(m) for m in mine) for b in theirs)


def _meets_any(theirs: Sequence[Box], mine: Sequence[Box]) -> bool:
    return any(a.meets(b) for a in theirs for b in mine)


def analyse(tiers: Sequence[Tier]) -> TierAnalysis:
    """Decide shadowing and partial overlaps for the whole ladder once.

    Tiers are taken top to bottom. Only tiers that take some account are compared with later
    ones: a shadowed tier adds nothing to what earlier tiers already take, and "those accounts
    go to" a tier that takes none would be wrong. With the index, the work grows with the
    number of tiers that really touch each other, not with the square of the ladder.

    A taking tier whose every box lies inside a box of a later taking tier (a carve-out of
    it) is hidden under that later tier and leaves the index: the union of what is taken is
    unchanged, so coverage is decided on the visible tiers alone; and when a tier is itself
    inside ``later``, so is everything hidden under it, so none of them can be the partly
    overlapping tier and the whole group is passed over in one step. Without this, a ladder
    where each tier holds all earlier ones (``carve``) compared every tier with every
    earlier one. A hidden tier is only looked at when its holder partly overlaps ``later``.
    """
    own = {t.id: boxes(t) for t in tiers}
    ids: dict[tuple[int, int], int] = {}
    every: list[Box] = []
    for n, tier in enumerate(tiers):
        for m, box in enumerate(own[tier.id]):
            ids[(n, m)] = len(every)
            every.append(box)
    index = _TakingIndex(every)
    hidden: dict[int, list[int]] = {}  # tier position -> taking tiers inside it, hidden from the index
    shadowed: dict[str, list[Tier]] = {}
    overlaps: list[tuple[Tier, Tier, Box]] = []
    for i, later in enumerate(tiers):
        mine = own[later.id]
        if not mine:
            continue
        visible = sorted({n for b in mine for n, _ in index.meeting(b)})
        cover = [b for n in visible for b in own[tiers[n].id]]
        if visible and all(covered(b, cover) for b in mine):
            shadowed[later.id] = [tiers[n] for n in sorted(_touching(visible, hidden, own, tiers, mine))]
            continue
        inside: list[int] = []
        first: int | None = None
        stack = [(n, True) for n in visible]
        while stack:
            n, top = stack.pop()
            theirs = own[tiers[n].id]
            if _inside_all(theirs, mine):
                if top:
                    inside.append(n)
                continue  # an exception carved out of the later tier: intended, and so is all under it
            if (first is None or n < first) and not all(covered(b, mine) for b in theirs):
                first = n  # a finding is made at the later tier: the first earlier tier it partly overlaps
            stack.extend((c, False) for c in hidden.get(n, ()) if _meets_any(own[tiers[c].id], mine))
        if first is not None:
            earlier = tiers[first]
            common = next(a & b for a in own[earlier.id] for b in mine if a.meets(b))
            overlaps.append((earlier, later, common))
        for m, box in enumerate(mine):
            index.add(ids[(i, m)], i, box)
        for n in inside:
            for m, box in enumerate(own[tiers[n].id]):
                index.remove(ids[(n, m)], box)
        if inside:
            hidden[i] = inside
    return TierAnalysis(own, shadowed, overlaps)


def _touching(
    visible: Sequence[int],
    hidden: dict[int, list[int]],
    own: dict[str, list[Box]],
    tiers: Sequence[Tier],
    mine: Sequence[Box],
) -> set[int]:
    """Positions of every taking tier, visible or hidden, that shares an account with ``mine``.

    A hidden tier lies inside its holder, so a holder that misses ``mine`` hides none that meet it.
    """
    found: set[int] = set()
    stack = list(visible)
    while stack:
        n = stack.pop()
        found.add(n)
        stack.extend(c for c in hidden.get(n, ()) if _meets_any(own[tiers[c].id], mine))
    return found
