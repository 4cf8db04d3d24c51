"""What a policy change does to real accounts: both policies planned on one snapshot.

The snapshot is read and validated once (against the jurisdictions either policy serves);
every accepted account is then planned with the base and the head policy by the planner
(:class:`dunning.plan.decide.Planner`, the same code ``dunning plan`` runs) and the two
plans are compared account by account. Only counts and a few account ids per category
leave this module — never names, amounts or other account data.

Rendering is the expensive part, so a message is rendered (with the render stage's
sandbox and context builder) only for an action both plans hold on the same channel and
day whose inputs differ: another template, wording changed in this revision, other offer,
tier, arm or window. When the policy change touches nothing but template text, the head
plans are the base plans and are not computed twice.

Chunks of the snapshot are compared in worker processes (:mod:`dunning.workers`, spawned);
results are merged in chunk order, so the report is the same whatever the worker count.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from dunning.accounts.history.rows import History
from dunning.accounts.history.staging import read_history
from dunning.accounts.model import Account, Contact
from dunning.accounts.read import validate_frame
from dunning.accounts.source import AccountFile
from dunning.errors import UserError
from dunning.load.repository import MAX_TEMPLATE_BYTES, files_under, resolves_inside
from dunning.plan.decide import Planner
from dunning.plan.key import DecisionKey
from dunning.plan.model import AccountPlan
from dunning.plan.output import plan_dict
from dunning.policy import require_policy
from dunning.policy.model import CONTACT_CHANNELS, Policy
from dunning.review.report import folded
from dunning.review.revision import PolicyRevision
from dunning.review.semantic import Change
from dunning.templating.context import build_context
from dunning.templating.sandbox import RenderError, TemplateSandbox, is_html
from dunning.workers import Workers, resolve_jobs

CHUNK_ROWS = 20_000
REUSE_DECISIONS = True  # tests switch it off to prove the shared decisions change nothing
LIVE = ("scheduled", "deferred")
CATEGORIES = (
    "tier-moves",
    "newly-contacted",
    "no-longer-contacted",
    "newly-excluded",
    "no-longer-excluded",
    "newly-paused",
    "no-longer-paused",
    "newly-rejected",
    "no-longer-rejected",
    "offers-changed",
    "messages-changed",
)
WORDS = {
    "tier-moves": "change tier",
    "newly-contacted": "newly contacted",
    "no-longer-contacted": "no longer contacted",
    "newly-excluded": "newly excluded",
    "no-longer-excluded": "no longer excluded",
    "newly-paused": "newly paused",
    "no-longer-paused": "no longer paused",
    "newly-rejected": "newly rejected (jurisdiction no longer served)",
    "no-longer-rejected": "no longer rejected (jurisdiction now served)",
    "offers-changed": "get a different offer",
    "messages-changed": "get a message whose text changed",
}
# Changes that cannot alter a plan: the planner never reads template text or descriptions.
_TEXT_ONLY_CATEGORIES = ("template-file",)


def plan_neutral(changes: Sequence[Change]) -> bool:
    """True when no change can alter a plan (only template text or descriptions differ)."""
    return all(
        c.kind.endswith(".wording") or c.category in _TEXT_ONLY_CATEGORIES or c.path.endswith("/description")
        for c in changes
    )


def replan_tiers(changes: Sequence[Change], base: Policy) -> frozenset[str] | None:
    """The base tiers whose accounts must be planned again with the head policy; None: all.

    Text-only changes: none. Changes confined to cadences (``step.*``, ``strategy.*``): only
    the tiers that run a changed strategy, directly or through an experiment arm — the
    planner reads no other strategy for an account, so every other plan is the base plan."""
    if plan_neutral(changes):
        return frozenset()
    relevant = [c for c in changes if not plan_neutral([c])]
    if not all(c.category in ("step", "strategy") for c in relevant):
        return None
    changed = {c.path.split("/")[1] for c in relevant}
    tiers = {t.id for t in base.tiers if t.strategy in changed}
    for experiment in base.experiments:
        if any(arm.strategy in changed for arm in experiment.arms):
            tiers.update(experiment.tiers)
    return frozenset(tiers)


def _render_scope(changes: Sequence[Change]) -> tuple[bool, frozenset[tuple[str, str]]]:
    """(every message is suspect, the (template id, locale) pairs whose wording changed).

    Company details, compliance texts, shared partials and registry entries (files, locales,
    channels) reach every message; a wording change reaches only its template and locale."""
    everything = False
    pairs = set()
    for c in changes:
        if c.kind == "template.wording":
            _, tid, locale = c.path.split("/", 2)
            pairs.add((tid, locale))
        elif c.category in ("portfolio", "template-file", "pack", "tighten", "jurisdiction", "template", "agency"):
            everything = everything or not c.path.endswith("/description")
        elif c.kind == "tier.changed" and c.path.endswith("/name"):  # templates show the tier's name
            everything = True
    return everything, frozenset(pairs)


@dataclass
class Impact:
    """Counts and example account ids of how the head policy's plans differ from the base's."""

    as_of: date
    horizon: int
    limit: int  # example ids kept per category
    accounts_in: int = 0  # rows in the snapshot
    rejected_rows: int = 0  # rows rejected by the account contract (bad data), either policy
    accounts_compared: int = 0  # accepted and served by both policies
    tier_matrix: Counter[tuple[str, str]] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    actions_added: Counter[tuple[str, str]] = field(default_factory=Counter)  # (channel, local day)
    actions_removed: Counter[tuple[str, str]] = field(default_factory=Counter)
    messages_by_template: Counter[str] = field(default_factory=Counter)
    render_failures: int = 0
    tier_order: tuple[str, ...] = ()  # policy order of tier ids (base first, then new head tiers)

    def note(self, category: str, account_id: str) -> None:
        """Count ``account_id`` in ``category`` and keep it as an example if among the smallest ids."""
        self.counts[category] += 1
        kept = self.examples.setdefault(category, [])
        if len(kept) < self.limit or (kept and account_id < kept[-1]):
            kept.append(account_id)
            kept.sort()
            del kept[self.limit :]

    def merge(self, other: Impact) -> None:
        """Add another chunk's figures."""
        self.accounts_in += other.accounts_in
        self.rejected_rows += other.rejected_rows
        self.accounts_compared += other.accounts_compared
        self.tier_matrix.update(other.tier_matrix)
        self.counts.update(other.counts)
        for category, ids in other.examples.items():
            self.examples[category] = sorted({*self.examples.get(category, []), *ids})[: self.limit]
        self.actions_added.update(other.actions_added)
        self.actions_removed.update(other.actions_removed)
        self.messages_by_template.update(other.messages_by_template)
        self.render_failures += other.render_failures

    def metrics(self) -> dict[str, int]:
        """Numbers for ``--fail-on``."""
        out = {category: self.counts[category] for category in CATEGORIES}
        out["actions-added"] = sum(self.actions_added.values())
        out["actions-removed"] = sum(self.actions_removed.values())
        return out

    def tiers(self) -> list[str]:
        """Row/column labels of the tier matrix, sorted with the special labels last."""
        labels = {label for pair in self.tier_matrix for label in pair}
        special = [x for x in ("none", "rejected") if x in labels]
        known = [t for t in self.tier_order if t in labels]
        return known + sorted(labels - set(special) - set(known)) + special

    def to_json(self) -> dict[str, Any]:
        """Plain data, every list sorted."""
        labels = self.tiers()
        return {
            "as_of": self.as_of.isoformat(),
            "horizon": self.horizon,
            "accounts_in": self.accounts_in,
            "rejected_rows": self.rejected_rows,
            "accounts_compared": self.accounts_compared,
            "categories": {c: {"accounts": self.counts[c], "examples": self.examples.get(c, [])} for c in CATEGORIES},
            "tier_matrix": {
                "labels": labels,
                "counts": [[self.tier_matrix[(old, new)] for new in labels] for old in labels],
            },
            "actions": [
                {
                    "channel": ch,
                    "day": day,
                    "added": self.actions_added[(ch, day)],
                    "removed": self.actions_removed[(ch, day)],
                }
                for ch, day in sorted(set(self.actions_added) | set(self.actions_removed))
            ],
            "messages_by_template": dict(sorted(self.messages_by_template.items())),
            "render_failures": self.render_failures,
        }

    def to_markdown(self) -> list[str]:
        """The impact section of the pull-request comment."""
        n = self.accounts_compared
        out = [
            f"#### Impact on {n} account{'s' if n != 1 else ''} (as of {self.as_of.isoformat()}"
            + (f", horizon {self.horizon} days" if self.horizon else "")
            + ")",
            "",
        ]
        if self.rejected_rows:
            out += [f"{self.rejected_rows} snapshot row(s) were rejected as bad data and are not compared.", ""]
        moved = [c for c in CATEGORIES if self.counts[c]]
        if moved:
            out += ["| accounts that … | count | share | examples |", "|---|---:|---:|---|"]
        for category in moved:
            count = self.counts[category]
            share = f"{count * 100 / n:.1f}%" if n else "–"
            ids = ", ".join(f"`{i}`" for i in self.examples.get(category, []))
            out.append(f"| {WORDS[category]} | {count} | {share} | {ids} |")
        still = [WORDS[c] for c in CATEGORIES if not self.counts[c]]
        if not moved:
            out.append("No account's plan changes in tier, status, contact, offer or message text.")
        elif still:
            out += ["", "Zero accounts: " + ", ".join(still) + "."]
        out.append("")
        labels = self.tiers()
        matrix = [
            "| base ↓ / head → | " + " | ".join(f"`{x}`" for x in labels) + " |",
            "|---|" + "---:|" * len(labels),
            *(
                f"| `{old}` | " + " | ".join(str(self.tier_matrix[(old, new)] or "·") for new in labels) + " |"
                for old in labels
            ),
        ]
        out += folded("Tier movement (base tier × head tier, accounts)", matrix, True)
        keys = sorted(set(self.actions_added) | set(self.actions_removed))
        if keys:
            rows = ["| channel | day | added | removed |", "|---|---|---:|---:|"]
            rows += [
                f"| {ch} | {day} | {self.actions_added[(ch, day)]} | {self.actions_removed[(ch, day)]} |"
                for ch, day in keys
            ]
            total = f"+{sum(self.actions_added.values())} / −{sum(self.actions_removed.values())}"
            out += folded(f"Actions added / removed by channel and day ({total})", rows, True)
        if self.messages_by_template:
            rows = ["| template | messages changed |", "|---|---:|"]
            rows += [f"| `{t}` | {c} |" for t, c in sorted(self.messages_by_template.items())]
            out += folded("Messages whose text changed, by template", rows, True)
        if self.render_failures:
            out += [f"⚠️ {self.render_failures} message(s) failed to render in one revision (run `dunning render`).", ""]
        return out


# ---------------------------------------------------------------------------- comparing plans
def _contacted(plan: AccountPlan | None) -> bool:
    return plan is not None and any(a.status in LIVE and a.channel in CONTACT_CHANNELS for a in plan.actions)


def _live_keys(plan: AccountPlan | None) -> Counter[tuple[str, str]]:
    if plan is None:
        return Counter()
    return Counter(
        (a.channel, a.not_before.date().isoformat()) for a in plan.actions if a.status in LIVE and a.not_before
    )


def _offer_key(plan: AccountPlan | None) -> tuple[Any, ...]:
    if plan is None:
        return ()
    return tuple((o.id, o.kind, o.amounts, o.first_due_date, o.interval_days, o.discount, o.total) for o in plan.offers)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _identifiers(texts: Iterable[str]) -> frozenset[str]:
    return frozenset(word for text in texts for word in _IDENTIFIER.findall(text))


class _Side:
    """One revision's planner and template sandbox."""

    def __init__(self, root: Path, as_of: date, horizon: int, policy: Policy | None = None) -> None:
        self.policy = policy or require_policy(root)
        self.planner = Planner(self.policy, as_of, horizon)
        # Accounts that decide alike share one decision: the plan's decision key (one
        # definition, tested to give the full planner's plans) picks them out.
        self.keys = DecisionKey(self.planner)
        self.decided: dict[str, AccountPlan] = {}
        self.offers = {o.id: o for o in self.policy.offers}
        self.sandbox = TemplateSandbox(root / "templates")
        self.root = root
        self._names: dict[str, frozenset[str]] = {}
        self._shared: frozenset[str] | None = None

    def names(self, template_id: str | None) -> frozenset[str]:
        """Every identifier the template's files (and every shared partial) mention.

        A context part a template never names cannot change its text; partials are counted for
        every template because any of them may be included."""
        if template_id is None:
            return frozenset()
        if self._shared is None:
            registered = {f for t in self.policy.templates.values() for f in t.files.values()}
            base = self.root / "templates"
            partials = [
                p
                for p in files_under(self.root, "templates").inside
                if p.relative_to(base).as_posix() not in registered
            ]
            self._shared = _identifiers(
                p.read_text(encoding="utf-8", errors="replace")
                for p in partials
                if p.stat().st_size <= MAX_TEMPLATE_BYTES
            )
        if template_id not in self._names:
            template = self.policy.templates.get(template_id)
            files = [self.root / "templates" / f for f in (template.files.values() if template else ())]
            texts = (
                f.read_text(encoding="utf-8", errors="replace")
                for f in files
                if resolves_inside(self.root / "templates", f)
                and f.is_file()
                and f.stat().st_size <= MAX_TEMPLATE_BYTES
            )
            self._names[template_id] = _identifiers(texts) | self._shared
        return self._names[template_id]

    def plan(
        self, account: Account, history: Sequence[Contact], key: str | None = None, *, held: bool = False
    ) -> AccountPlan:
        """The account's plan: planned in full, or the shared decision of its ``key`` (from
        :meth:`DecisionKey.of`; None: plan in full) with the account's own slots filled in;
        ``held``: the history has an unreadable line of this account (held, as plan does)."""
        if history or held or key is None or not REUSE_DECISIONS:
            return self.planner.plan(account, history, held=held)
        model = self.decided.get(key)
        if model is None:
            plan = self.decided[key] = self.planner.plan(account, history)
            return plan
        return self.keys.share(model, account)

    def serves(self, jurisdiction: str) -> bool:
        return self.policy.jurisdiction(jurisdiction) is not None

    def text(self, plan: dict[str, Any], action: dict[str, Any], account: Account) -> tuple[str, bool]:
        """The rendered message, or the error in its place (and True when rendering failed)."""
        try:
            context = build_context(plan, action, account, self.policy)
            template = self.policy.templates.get(action["template"])
            file = template.files.get(context["locale"]) if template else None
            if file is None:
                return f"<no template {action['template']} for {context['locale']}>", True
            return self.sandbox.render(
                file, context, html=is_html(action["channel"]), account_id=account.account_id
            ), False
        except RenderError as exc:
            return f"<{exc}>", True


@dataclass(frozen=True)
class CompareSetup:
    """What a worker needs to rebuild both sides (compiled policies are not picklable)."""

    base_root: Path
    head_root: Path
    as_of: date
    horizon: int
    history: Path | None
    limit: int
    replan: frozenset[str] | None  # base tiers planned again with head (None: every account)
    render_all: bool
    reworded: frozenset[tuple[str, str]]


class Comparer:
    """Plans accounts with both policies and accumulates the differences."""

    def __init__(self, setup: CompareSetup, base: Policy | None = None, head: Policy | None = None) -> None:
        self.setup = setup
        self.base = _Side(setup.base_root, setup.as_of, setup.horizon, base)
        self.head = _Side(setup.head_root, setup.as_of, setup.horizon, head)
        self.history: History = read_history(setup.history)
        self.jurisdictions = frozenset(self.base.policy.jurisdictions) | frozenset(self.head.policy.jurisdictions)

    def chunk(self, frame: pl.DataFrame) -> Impact:
        """Compare every account of one snapshot chunk."""
        chunk = validate_frame(frame, self.jurisdictions)
        impact = Impact(self.setup.as_of, self.setup.horizon, self.setup.limit)
        impact.accounts_in = chunk.rows
        impact.rejected_rows = len(chunk.rejects)
        old_keys, new_keys = self.base.keys.of(chunk.accounts), self.head.keys.of(chunk.accounts)
        for account, old_key, new_key in zip(chunk.accounts, old_keys, new_keys, strict=True):
            self.account(account, impact, (old_key, new_key))
        return impact

    def account(self, account: Account, impact: Impact, keys: tuple[str | None, str | None] = (None, None)) -> None:
        """Compare one account's two plans (``keys``: its decision key on each side)."""
        history = self.history.get(account.account_id, ())
        held = account.account_id in self.history.held  # contacted by neither side, as plan holds it
        old = self.base.plan(account, history, keys[0], held=held) if self.base.serves(account.jurisdiction) else None
        replan = self.setup.replan
        if replan is not None and (old is None or old.tier not in replan):
            new = old  # nothing the change touches reaches this account's plan
        else:
            new = (
                self.head.plan(account, history, keys[1], held=held) if self.head.serves(account.jurisdiction) else None
            )
        aid = account.account_id
        if old is None and new is None:
            impact.rejected_rows += 1
            return
        if old is None or new is None:
            impact.note("newly-rejected" if new is None else "no-longer-rejected", aid)
        else:
            impact.accounts_compared += 1
        old_tier = "rejected" if old is None else old.tier or "none"
        new_tier = "rejected" if new is None else new.tier or "none"
        impact.tier_matrix[(old_tier, new_tier)] += 1
        if old is None or new is None:
            return
        if old_tier != new_tier:
            impact.note("tier-moves", aid)
        if old is new or old == new:  # the common case: nothing else can differ
            reworded = self.setup.render_all or bool(self.setup.reworded)
            if reworded and self._messages_changed(account, old, new, impact):
                impact.note("messages-changed", aid)
            return
        for state in ("excluded", "paused"):
            if (old.status == state) != (new.status == state):
                impact.note(("newly-" if new.status == state else "no-longer-") + state, aid)
        was, now = _contacted(old), _contacted(new)
        if was != now:
            impact.note("newly-contacted" if now else "no-longer-contacted", aid)
        if _offer_key(old) != _offer_key(new):
            impact.note("offers-changed", aid)
        if old.actions != new.actions:
            old_keys, new_keys = _live_keys(old), _live_keys(new)
            impact.actions_added.update(new_keys - old_keys)
            impact.actions_removed.update(old_keys - new_keys)
        if self._messages_changed(account, old, new, impact):
            impact.note("messages-changed", aid)

    def _messages_changed(self, account: Account, old: AccountPlan, new: AccountPlan, impact: Impact) -> bool:
        pairs = self._pairs(old, new)
        if not pairs:
            return False
        parts = {
            name
            for name, differs in (
                ("tier", old.tier != new.tier),
                ("arm", old.arm != new.arm),
                ("offer", _offer_key(old) != _offer_key(new)),
                ("account", old.locale != new.locale or old.dpd != new.dpd),
            )
            if differs
        }
        old_dict: dict[str, Any] | None = None
        new_dict: dict[str, Any] | None = None
        changed = False
        for a, b in pairs:
            action_parts = parts
            if (a.not_before, a.not_after, a.id, a.priority) != (b.not_before, b.not_after, b.id, b.priority):
                action_parts = parts | {"action"}
            suspect = (
                self.setup.render_all
                or (b.template or "", new.locale) in self.setup.reworded
                or (a.template, a.agency, a.locale) != (b.template, b.agency, b.locale)
                or bool(action_parts & (self.base.names(a.template) | self.head.names(b.template)))
            )
            if not suspect or b.template is None:
                continue
            if old_dict is None or new_dict is None:
                old_dict, new_dict = plan_dict(old), plan_dict(new)
                old_actions = {x["id"]: x for x in old_dict["actions"]}
                new_actions = {x["id"]: x for x in new_dict["actions"]}
            before, failed_a = self.base.text(old_dict, old_actions[a.id], account)
            after, failed_b = self.head.text(new_dict, new_actions[b.id], account)
            impact.render_failures += failed_a + failed_b
            if before != after:
                impact.messages_by_template[b.template] += 1
                changed = True
        return changed

    @staticmethod
    def _pairs(old: AccountPlan, new: AccountPlan) -> list[tuple[Any, Any]]:
        """Live actions both plans hold on the same channel and local day, in plan order."""
        pending: dict[tuple[str, str], list[Any]] = {}
        for action in old.actions:
            if action.status in LIVE and action.not_before is not None:
                pending.setdefault((action.channel, action.not_before.date().isoformat()), []).append(action)
        pairs = []
        for action in new.actions:
            if action.status in LIVE and action.not_before is not None:
                bucket = pending.get((action.channel, action.not_before.date().isoformat()))
                if bucket:
                    pairs.append((bucket.pop(0), action))
        return pairs


# ---------------------------------------------------------------------------- running
_WORKER: Comparer | None = None


def _init_worker(setup: CompareSetup) -> None:
    global _WORKER
    _WORKER = Comparer(setup)


def _chunk_in_worker(frame: pl.DataFrame) -> Impact:
    assert _WORKER is not None
    return _WORKER.chunk(frame)


class FirstSeen:
    """Drops rows whose account id came earlier in the snapshot: like ``dunning plan`` (R011),
    the later line is rejected, so an account is never counted twice."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        """The frame without repeated ids, and how many rows were dropped."""
        if "account_id" not in frame.columns:
            return frame, 0
        ids = frame.get_column("account_id")
        keep = ids.is_first_distinct() & ~ids.is_in(list(self.seen))
        kept = frame.filter(keep)
        self.seen.update(v for v in kept.get_column("account_id").to_list() if v is not None)
        return kept, frame.height - kept.height


def _early(impact: Impact, early: Iterable[object]) -> Impact:
    rows = len(list(early))
    impact.accounts_in += rows
    impact.rejected_rows += rows
    return impact


def measure_impact(
    base: PolicyRevision,
    head: PolicyRevision,
    changes: Sequence[Change],
    accounts: Path,
    as_of: date,
    history: Path | None = None,
    examples: int = 5,
    horizon: int = 0,
    jobs: int | None = None,
) -> Impact:
    """Plan ``accounts`` with both revisions and measure what changes."""
    render_all, reworded = _render_scope(changes)
    setup = CompareSetup(
        base.root,
        head.root,
        as_of,
        horizon,
        history,
        examples,
        replan_tiers(changes, base.policy),
        render_all,
        reworded,
    )
    source = AccountFile(accounts)  # a UserError for an unusable file, before any work
    if history is not None and not history.is_file():  # before workers start: they would only say it later
        raise UserError(f"{history}: no such history file", "check the --history path")
    order = tuple(dict.fromkeys([t.id for t in base.policy.tiers] + [t.id for t in head.policy.tiers]))
    total = Impact(as_of, horizon, examples, tier_order=order)
    # every account is planned with both policies: twice the snapshot's planning bytes
    workers = resolve_jobs(jobs, 2 * accounts.stat().st_size)
    frames = AccountFile(accounts, chunk_rows=CHUNK_ROWS).frames() if workers > 1 else source.frames()
    first = FirstSeen()
    dropped: deque[list[object]] = deque()  # each chunk's rows rejected before the workers

    def chunks() -> Iterator[pl.DataFrame]:
        for frame, early in frames:
            kept, repeated = first(frame)
            dropped.append([*early, *range(repeated)])
            yield kept

    local = Comparer(setup, base.policy, head.policy).chunk if workers == 1 else None
    with Workers(workers, initializer=_init_worker, initargs=(setup,)) as pool:
        # bounded memory: a few chunks in flight
        for impact in pool.map(_chunk_in_worker, chunks(), window=workers + 2, local=local):
            total.merge(_early(impact, dropped.popleft()))
    return total


__all__ = ["CATEGORIES", "Impact", "measure_impact", "plan_neutral", "replan_tiers"]
