"""What a policy change means, element by element: the semantic diff of two compiled policies.

Text diffs of YAML show moved lines and reflowed comments; a reviewer needs "the early tier
now starts a day later" and "calls on Saturdays end at 14:00 instead of 18:00". Elements
are matched by id (tiers, caps, offers, templates …); cadence steps have no id, so a step is
matched by channel and day, then by channel and template (a *moved* step), then by day and
template (a step whose channel changed). Every :class:`Change` carries a stable ``kind``,
a ``path``, the plain before/after values, one sentence in words and the YAML location
(in the new revision, or in the old one for something removed).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dunning.policy.model import (
    Blackout,
    ChannelHours,
    Policy,
    Source,
    Step,
    Strategy,
    Timetable,
)
from dunning.review.revision import PolicyRevision
from dunning.review.values import META_FIELDS, label, plain, windows_words, words
from dunning.review.wording import render_hunks, word_diff

# Display order of categories (the first part of a kind) in reports.
CATEGORIES = (
    "jurisdiction",
    "pack",
    "tighten",
    "portfolio",
    "agency",
    "tier",
    "strategy",
    "step",
    "timetable",
    "window",
    "blackout",
    "cap",
    "exclusion",
    "offer",
    "experiment",
    "arm",
    "template",
    "template-file",
)
# Changes to which laws apply: `--fail-on any-law-change` looks at these.
LAW_KINDS = frozenset({"pack.added", "pack.removed", "tighten.changed", "jurisdiction.added", "jurisdiction.removed"})
TIER_THRESHOLD_FIELDS = ("dpd", "min_amount", "max_amount", "products", "segments", "jurisdictions")


@dataclass(frozen=True)
class Change:
    """One semantic change: what kind, where in the policy, before and after, in words."""

    kind: str  # e.g. "tier.threshold", "step.moved"; the part before the dot is the category
    path: str  # e.g. "tiers/early/dpd", "strategies/early/steps/call@10"
    before: Any  # plain JSON value, None when added
    after: Any  # plain JSON value, None when removed
    summary: str  # one sentence in words
    source: Source | None  # where to look: the new revision's YAML, or the old one's for removals
    side: str = "head"  # which revision ``source`` points into: head | base
    detail: str = ""  # the word diff of a wording change

    @property
    def category(self) -> str:
        """The element kind the change is about (``tier``, ``step`` …)."""
        return self.kind.split(".", 1)[0]

    @property
    def law(self) -> bool:
        """True when the change alters which law rules apply or how strictly."""
        return self.kind in LAW_KINDS

    def sort_key(self) -> tuple[int, str, str]:
        """Category order, then path, then kind: stable and grouped for reading."""
        return (CATEGORIES.index(self.category), self.path, self.kind)

    def to_json(self) -> dict[str, Any]:
        """The change as plain data."""
        return {
            "kind": self.kind,
            "path": self.path,
            "before": self.before,
            "after": self.after,
            "summary": self.summary,
            "law": self.law,
            "source": str(self.source) if self.source else None,
            "side": self.side,
            "detail": self.detail,
        }


class _Diff:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def add(
        self,
        kind: str,
        path: str,
        before: Any,
        after: Any,
        summary: str,
        source: Source | None,
        side: str = "head",
        detail: str = "",
    ) -> None:
        self.changes.append(Change(kind, path, before, after, summary, source, side, detail))

    def fields(
        self,
        kind: Callable[[str], str] | str,
        path: str,
        subject: str,
        old: object,
        new: object,
        source: Source | None,
        skip: Iterable[str] = (),
        sentence: Callable[[str, Any, Any], str | None] | None = None,
    ) -> None:
        """One change per field of two same-typed dataclasses whose plain values differ."""
        skipped = META_FIELDS | set(skip)
        for f in dataclasses.fields(old):  # type: ignore[arg-type]
            if f.name in skipped:
                continue
            b, a = plain(getattr(old, f.name)), plain(getattr(new, f.name))
            if b == a:
                continue
            text = sentence(f.name, b, a) if sentence else None
            if text is None:
                text = f"{subject}: {label(f.name)} changed from {words(b)} to {words(a)}."
            self.add(kind(f.name) if callable(kind) else kind, f"{path}/{f.name}", b, a, text, source, "head")

    def keyed(
        self,
        name: str,
        path: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        subject: Callable[[str], str],
        added: Callable[[Any], str],
        removed: Callable[[Any], str],
        skip: Iterable[str] = (),
        sentence: Callable[[str, str, Any, Any], str | None] | None = None,
        field_kind: Callable[[str], str] | None = None,
    ) -> list[str]:
        """Added, removed and changed elements of a collection keyed by id; returns the common ids."""
        for key in sorted(set(new) - set(old)):
            self.add(f"{name}.added", f"{path}/{key}", None, plain(new[key]), added(new[key]), new[key].source)
        for key in sorted(set(old) - set(new)):
            self.add(
                f"{name}.removed", f"{path}/{key}", plain(old[key]), None, removed(old[key]), old[key].source, "base"
            )
        common = sorted(set(old) & set(new))
        for key in common:
            per_key = None
            if sentence is not None:
                per_key = functools.partial(sentence, key)
            self.fields(
                field_kind or f"{name}.changed",
                f"{path}/{key}",
                subject(key),
                old[key],
                new[key],
                new[key].source,
                skip,
                per_key,
            )
        return common


def _by_id(items: Iterable[Any]) -> dict[str, Any]:
    return {item.id: item for item in items}


def _jurisdictions(d: _Diff, old: Policy, new: Policy) -> None:
    common = d.keyed(
        "jurisdiction",
        "jurisdictions",
        old.jurisdictions,
        new.jurisdictions,
        lambda k: f"Jurisdiction `{k}`",
        lambda j: f"New jurisdiction `{j.code}` ({j.currency}, packs: {words(list(j.packs))}).",
        lambda j: f"Jurisdiction `{j.code}` removed; its accounts will be rejected.",
        skip=("packs", "tighten"),
    )
    for code in common:
        o, n = old.jurisdictions[code], new.jurisdictions[code]
        for pack in sorted(set(n.packs) - set(o.packs)):
            d.add(
                "pack.added",
                f"jurisdictions/{code}/packs/{pack}",
                None,
                pack,
                f"Jurisdiction `{code}` now applies compliance pack `{pack}`.",
                n.source,
            )
        for pack in sorted(set(o.packs) - set(n.packs)):
            d.add(
                "pack.removed",
                f"jurisdictions/{code}/packs/{pack}",
                pack,
                None,
                f"Jurisdiction `{code}` no longer applies compliance pack `{pack}`.",
                n.source,
            )
        old_t, new_t = plain(o.tighten), plain(n.tighten)
        for rule in sorted(set(old_t) | set(new_t)):
            bt, at = old_t.get(rule, {}), new_t.get(rule, {})
            for param in sorted(set(bt) | set(at)):
                b, a = bt.get(param), at.get(param)
                if b == a:
                    continue
                if b is None:
                    text = f"Jurisdiction `{code}` now tightens `{rule}`: {param} {words(a)}."
                elif a is None:
                    text = f"Jurisdiction `{code}` no longer tightens `{rule}` {param} (was {words(b)})."
                else:
                    text = f"Jurisdiction `{code}` tightens `{rule}` {param} to {words(a)} (was {words(b)})."
                d.add("tighten.changed", f"jurisdictions/{code}/tighten/{rule}/{param}", b, a, text, n.source)


def _portfolio(d: _Diff, old: Policy, new: Policy) -> None:
    for name in ("id", "name", "default_locale"):
        b, a = getattr(old, name), getattr(new, name)
        if b != a:
            d.add(
                "portfolio.changed",
                f"portfolio/{name}",
                b,
                a,
                f"Portfolio: {label(name)} changed from {b} to {a}.",
                new.company.source,
            )
    d.fields("portfolio.changed", "portfolio/company", "Company", old.company, new.company, new.company.source)
    d.fields("portfolio.changed", "portfolio/settings", "Settings", old.settings, new.settings, new.company.source)


def _agencies(d: _Diff, old: Policy, new: Policy) -> None:
    d.keyed(
        "agency",
        "agencies",
        old.agencies,
        new.agencies,
        lambda k: f"Agency `{k}`",
        lambda a: f"New agency `{a.id}` ({a.name}) receiving: {words(list(a.fields))}.",
        lambda a: f"Agency `{a.id}` removed.",
    )


def _tier_sentence(tid: str, name: str, b: Any, a: Any) -> str | None:
    if name == "dpd":
        return f"Tier `{tid}` now covers {a} days past due (was {b})."
    if name == "strategy":
        return f"Tier `{tid}` now runs strategy `{a}` (was `{b}`)."
    return None


def _tier_kind(name: str) -> str:
    # Thresholds decide which accounts a tier takes; name them apart from cosmetic changes.
    return "tier.threshold" if name in TIER_THRESHOLD_FIELDS else "tier.changed"


def _tiers(d: _Diff, old: Policy, new: Policy) -> None:
    o, n = _by_id(old.tiers), _by_id(new.tiers)
    common = d.keyed(
        "tier",
        "tiers",
        o,
        n,
        lambda k: f"Tier `{k}`",
        lambda t: (
            f"New tier `{t.id}` ({t.name}) at position {t.order + 1}: {plain(t.dpd)} days past due, "
            f"strategy `{t.strategy}`."
        ),
        lambda t: f"Tier `{t.id}` ({t.name}) removed; it covered {plain(t.dpd)} days past due.",
        sentence=_tier_sentence,
        field_kind=_tier_kind,
    )
    order_old = [t.id for t in old.tiers if t.id in common]
    order_new = [t.id for t in new.tiers if t.id in common]
    if order_old != order_new:
        d.add(
            "tier.reordered",
            "tiers",
            order_old,
            order_new,
            f"Tiers reordered: {' → '.join(order_new)} (was {' → '.join(order_old)}); "
            "the first tier that fits takes the account.",
            new.tiers[0].source,
        )


def _step_words(step: Step) -> str:
    text = f"{step.channel} step on day {step.day}"
    return text


def _step_sentence(subject: str, name: str, b: Any, a: Any) -> str | None:
    if name == "every":
        if a is None:
            return f"{subject} no longer repeats (was every {b} days)."
        return f"{subject} now repeats every {a} days (was {'every ' + str(b) + ' days' if b else 'once'})."
    if name == "until":
        last = f"until day {a}" if a is not None else "until the end of the tier"
        was = f"until day {b}" if b is not None else "until the end of the tier"
        return f"{subject} now repeats {last} (was {was})."
    if name == "when":
        return f"{subject} now runs {_when_words(a)} (was {_when_words(b)})."
    return None


def _when_words(cond: Any) -> str:
    return f"when {words(cond)}" if cond else "always"


def _step_added(sid: str, step: Step) -> str:
    extra = f", every {step.every} days" if step.every else ""
    extra += f" until day {step.until}" if step.until is not None else ""
    template = f" with template `{step.template}`" if step.template else ""
    cond = plain(step.when)
    when = f" {_when_words(cond)}" if cond else ""
    return f"Strategy `{sid}`: new {_step_words(step)}{template}{extra}{when}."


def _match_steps(old: Sequence[Step], new: Sequence[Step]) -> tuple[list[tuple[Step, Step]], list[Step], list[Step]]:
    """Pairs of (old, new) steps, then the removed and the added ones."""
    left, right = list(old), list(new)
    pairs: list[tuple[Step, Step]] = []
    keys: tuple[Callable[[Step], tuple[Any, ...]], ...] = (
        lambda s: (s.channel, s.day),
        lambda s: (s.channel, s.template),
        lambda s: (s.day, s.template),
    )
    for key in keys:
        for o in list(left):
            candidates = [n for n in right if key(n) == key(o)]
            if candidates:
                # Several candidates (the same template twice): the nearest day is the same step.
                best = min(candidates, key=lambda n: (abs(n.day - o.day), n.index))
                pairs.append((o, best))
                left.remove(o)
                right.remove(best)
    return pairs, left, right


def _steps(d: _Diff, sid: str, old: Strategy, new: Strategy) -> None:
    pairs, removed, added = _match_steps(old.steps, new.steps)
    for o, n in sorted(pairs, key=lambda p: (p[1].day, p[1].channel, p[1].index)):
        path = f"strategies/{sid}/steps/{n.id}"
        if o.day != n.day:
            d.add(
                "step.moved",
                f"{path}/day",
                o.day,
                n.day,
                f"Strategy `{sid}`: {n.channel} step moved from day {o.day} to day {n.day}.",
                n.source,
            )
        d.fields(
            "step.changed",
            path,
            f"Strategy `{sid}`: {_step_words(n)}",
            o,
            n,
            n.source,
            skip=("day",),
            sentence=functools.partial(_step_sentence, f"Strategy `{sid}`: {_step_words(n)}"),
        )
    for s in sorted(added, key=lambda s: (s.day, s.channel)):
        d.add("step.added", f"strategies/{sid}/steps/{s.id}", None, plain(s), _step_added(sid, s), s.source)
    for s in sorted(removed, key=lambda s: (s.day, s.channel)):
        d.add(
            "step.removed",
            f"strategies/{sid}/steps/{s.id}",
            plain(s),
            None,
            f"Strategy `{sid}`: {_step_words(s)} removed.",
            s.source,
            "base",
        )


def _strategies(d: _Diff, old: Policy, new: Policy) -> None:
    common = d.keyed(
        "strategy",
        "strategies",
        old.strategies,
        new.strategies,
        lambda k: f"Strategy `{k}`",
        lambda s: f"New strategy `{s.id}` with {len(s.steps)} step(s).",
        lambda s: f"Strategy `{s.id}` removed.",
        skip=("steps",),
    )
    for sid in common:
        _steps(d, sid, old.strategies[sid], new.strategies[sid])


def _hours(d: _Diff, tid: str, old: Mapping[str, ChannelHours], new: Mapping[str, ChannelHours], src: Source) -> None:
    for channel in sorted(set(old) | set(new)):
        o, n = old.get(channel), new.get(channel)
        bo = plain(o.by_day_type) if o else {}
        an = plain(n.by_day_type) if n else {}
        source = n.source if n else src
        for day_type in sorted(set(bo) | set(an)):
            b, a = bo.get(day_type), an.get(day_type)
            if b == a:
                continue
            d.add(
                "window.changed",
                f"timetables/{tid}/{channel}/{day_type}",
                b,
                a,
                f"Timetable `{tid}`: {channel} on {day_type.replace('_', ' ')} now {windows_words(a)} "
                f"(was {windows_words(b)}).",
                source,
            )


def _blackout_words(b: Blackout) -> str:
    span = b.start.isoformat() if b.start == b.end else f"{b.start.isoformat()} to {b.end.isoformat()}"
    channels = words(list(b.channels)) if b.channels else "all channels"
    return f"{span} ({channels})"


def _blackout_sentence(tid: str, old: Blackout, name: str, b: Any, a: Any) -> str | None:
    if name == "channels":
        return (
            f"Timetable `{tid}`: blackout {_blackout_words(old).split(' (')[0]} now stops "
            f"{words(a) if a else 'all channels'} (was {words(b) if b else 'all channels'})."
        )
    return None


def _timetables(d: _Diff, old: Policy, new: Policy) -> None:
    o, n = _by_id(old.timetables), _by_id(new.timetables)
    common = d.keyed(
        "timetable",
        "timetables",
        o,
        n,
        lambda k: f"Timetable `{k}`",
        lambda t: f"New timetable `{t.id}` for {words(list(t.jurisdictions))}.",
        lambda t: f"Timetable `{t.id}` removed.",
        skip=("hours", "blackouts"),
    )
    for tid in common:
        ot: Timetable = o[tid]
        nt: Timetable = n[tid]
        _hours(d, tid, ot.hours, nt.hours, nt.source)
        ob = {(b.start, b.end): b for b in ot.blackouts}
        nb = {(b.start, b.end): b for b in nt.blackouts}
        for key in sorted(set(nb) - set(ob)):
            b = nb[key]
            d.add(
                "blackout.added",
                f"timetables/{tid}/blackouts/{key[0].isoformat()}",
                None,
                plain(b),
                f"Timetable `{tid}`: new blackout {_blackout_words(b)}: {b.reason}",
                b.source,
            )
        for key in sorted(set(ob) - set(nb)):
            b = ob[key]
            d.add(
                "blackout.removed",
                f"timetables/{tid}/blackouts/{key[0].isoformat()}",
                plain(b),
                None,
                f"Timetable `{tid}`: blackout {_blackout_words(b)} removed.",
                b.source,
                "base",
            )
        for key in sorted(set(ob) & set(nb)):
            d.fields(
                "blackout.changed",
                f"timetables/{tid}/blackouts/{key[0].isoformat()}",
                f"Timetable `{tid}`: blackout {_blackout_words(nb[key])}",
                ob[key],
                nb[key],
                nb[key].source,
                sentence=functools.partial(_blackout_sentence, tid, ob[key]),
            )


def _caps_exclusions(d: _Diff, old: Policy, new: Policy) -> None:
    d.keyed(
        "cap",
        "caps",
        _by_id(old.caps),
        _by_id(new.caps),
        lambda k: f"Cap `{k}`",
        lambda c: (
            f"New cap `{c.id}`: at most {c.max} contact(s) by {words(list(c.channels))} "
            f"in {c.per_days} day(s) per {c.scope}."
        ),
        lambda c: f"Cap `{c.id}` removed.",
    )
    d.keyed(
        "exclusion",
        "exclusions",
        _by_id(old.exclusions),
        _by_id(new.exclusions),
        lambda k: f"Exclusion `{k}`",
        lambda e: f"New exclusion `{e.id}` ({e.effect.value}) when {words(plain(e.when))}: {e.reason}",
        lambda e: f"Exclusion `{e.id}` removed.",
    )


def _offers(d: _Diff, old: Policy, new: Policy) -> None:
    common = d.keyed(
        "offer",
        "offers",
        _by_id(old.offers),
        _by_id(new.offers),
        lambda k: f"Offer `{k}`",
        lambda o: (
            f"New offer `{o.id}` ({o.kind}): {o.instalments} instalment(s) every {o.interval_days} days, "
            f"maximum discount {plain(o.max_discount)}, when {words(plain(o.when))}."
        ),
        lambda o: f"Offer `{o.id}` removed.",
    )
    order_old = [o.id for o in old.offers if o.id in common]
    order_new = [o.id for o in new.offers if o.id in common]
    if order_old != order_new:
        d.add(
            "offer.reordered",
            "offers",
            order_old,
            order_new,
            f"Offers reordered: {' → '.join(order_new)} (was {' → '.join(order_old)}); the first that fits is made.",
            new.offers[0].source,
        )


def _experiments(d: _Diff, old: Policy, new: Policy) -> None:
    o, n = _by_id(old.experiments), _by_id(new.experiments)
    common = d.keyed(
        "experiment",
        "experiments",
        o,
        n,
        lambda k: f"Experiment `{k}`",
        lambda e: (
            f"New experiment `{e.id}` on tiers {words(list(e.tiers))}: "
            + ", ".join(f"{a.id} {plain(a.share)}%" for a in e.arms)
            + "."
        ),
        lambda e: f"Experiment `{e.id}` removed; its accounts run the tier's own strategy.",
        skip=("arms",),
    )
    for eid in common:
        arms_old, arms_new = _by_id(o[eid].arms), _by_id(n[eid].arms)
        common_arms = d.keyed(
            "arm",
            f"experiments/{eid}/arms",
            arms_old,
            arms_new,
            lambda k, eid=eid: f"Experiment `{eid}` arm `{k}`",  # type: ignore[misc]
            lambda a, eid=eid: f"Experiment `{eid}`: new arm `{a.id}` with {plain(a.share)}% of accounts.",  # type: ignore[misc]
            lambda a, eid=eid: f"Experiment `{eid}`: arm `{a.id}` removed.",  # type: ignore[misc]
            sentence=lambda key, name, b, a, eid=eid: (  # type: ignore[misc]
                f"Experiment `{eid}`: arm `{key}` now gets {a}% of accounts (was {b}%)." if name == "share" else None
            ),
        )
        # Arms take consecutive slices of the hash range in file order: reordering them moves accounts.
        order_old = [a.id for a in o[eid].arms if a.id in common_arms]
        order_new = [a.id for a in n[eid].arms if a.id in common_arms]
        if order_old != order_new:
            d.add(
                "arm.reordered",
                f"experiments/{eid}/arms",
                order_old,
                order_new,
                f"Experiment `{eid}`: arms reordered to {', '.join(order_new)} (was {', '.join(order_old)}); "
                "accounts change arm.",
                n[eid].source,
            )


def _wording(d: _Diff, kind: str, path: str, subject: str, rel: str, before: str, after: str) -> None:
    hunks = word_diff(before, after)
    if not hunks:
        return
    places = f"{len(hunks)} place" + ("s" if len(hunks) != 1 else "")
    d.add(
        kind,
        path,
        before,
        after,
        f"{subject}: wording changed in {places}.",
        Source(f"templates/{rel}", hunks[0].line, 1),
        "head",
        render_hunks(hunks),
    )


def _templates(d: _Diff, base: PolicyRevision, head: PolicyRevision) -> None:
    old, new = base.policy, head.policy
    common = d.keyed(
        "template",
        "templates",
        old.templates,
        new.templates,
        lambda k: f"Template `{k}`",
        lambda t: f"New template `{t.id}` ({t.channel}) in {words(list(t.locales))}.",
        lambda t: f"Template `{t.id}` removed.",
    )
    for tid in common:
        o, n = old.templates[tid], new.templates[tid]
        for locale in sorted(set(o.locales) & set(n.locales)):
            before = base.template_text(o.files[locale]) or ""
            after = head.template_text(n.files[locale]) or ""
            _wording(
                d,
                "template.wording",
                f"templates/{tid}/{locale}",
                f"Template `{tid}` ({locale})",
                n.files[locale],
                before,
                after,
            )
    # Partials and other files no template registers (an included footer changes every message).
    registered = {f for p in (old, new) for t in p.templates.values() for f in t.files.values()}
    old_files = set(base.template_files()) - registered
    new_files = set(head.template_files()) - registered
    for rel in sorted(new_files - old_files):
        d.add(
            "template-file.added",
            f"template-files/{rel}",
            None,
            rel,
            f"New template file `templates/{rel}`.",
            Source(f"templates/{rel}", 1, 1),
        )
    for rel in sorted(old_files - new_files):
        d.add(
            "template-file.removed",
            f"template-files/{rel}",
            rel,
            None,
            f"Template file `templates/{rel}` removed.",
            Source(f"templates/{rel}", 1, 1),
            "base",
        )
    for rel in sorted(old_files & new_files):
        _wording(
            d,
            "template-file.wording",
            f"template-files/{rel}",
            f"Template file `templates/{rel}`",
            rel,
            base.template_text(rel) or "",
            head.template_text(rel) or "",
        )


def semantic_diff(base: PolicyRevision, head: PolicyRevision) -> tuple[Change, ...]:
    """Every semantic change from ``base`` to ``head``, sorted by category, path and kind."""
    d = _Diff()
    old, new = base.policy, head.policy
    _jurisdictions(d, old, new)
    _portfolio(d, old, new)
    _agencies(d, old, new)
    _tiers(d, old, new)
    _strategies(d, old, new)
    _timetables(d, old, new)
    _caps_exclusions(d, old, new)
    _offers(d, old, new)
    _experiments(d, old, new)
    _templates(d, base, head)
    return tuple(sorted(d.changes, key=Change.sort_key))


__all__ = ["CATEGORIES", "LAW_KINDS", "Change", "semantic_diff"]
