"""Plan a whole chunk at once: decision keys, plan lines and offers computed on columns.

The per-account Python path (:class:`~dunning.plan.decide.Planner`) is exact but costs
hundreds of microseconds an account. Here, for a screened chunk (polars, text columns):

1. the *decision key* (:mod:`dunning.plan.key`, the one definition) is computed on
   columns — days past due, where the balance falls among the policy's thresholds (exact:
   integer 1/10,000 units), flags, contact points, promise and payment classes, time-zone
   inputs, locale, arm;
2. each key not seen before is planned once by the full planner, from a real
   :class:`Account` of the first row with it, and kept as a text template with slots;
3. every row's ``plans.jsonl`` line and ``actions.csv`` rows are the template with the id,
   the balance and the offer filled in by string expressions; offer terms are computed in
   integer minor units (exact, the same rounding as :mod:`dunning.plan.offers`).

Rows with a plain contact history (contacts and payments, :mod:`dunning.state.columns`)
are keyed too: their derived state is computed per account on the chunk's event columns
and is part of the key, and the first row of each key is planned in full with its events.
Rows with any other history (flags, promises, placements, spoiled contact points, sent
notices…), held by an unreadable history line, with an id JSON or CSV would have to escape
(or that starts like a spreadsheet formula), or a balance not written canonically go
through the full planner. Both paths give the same bytes (tested).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import orjson
import polars as pl

from dunning.accounts.history.rows import LINE as HISTORY_LINE
from dunning.accounts.history.rows import History
from dunning.accounts.history.timeline import events_of
from dunning.accounts.model import Contact
from dunning.accounts.read import Screened, accounts_of
from dunning.accounts.source import LINE
from dunning.plan.decide import Planner
from dunning.plan.key import CANONICAL, KEY, KEY_INPUTS, KEY_SEPARATOR, SCALE, DecisionKey
from dunning.plan.key_history import AS_NONE
from dunning.plan.model import AccountPlan
from dunning.plan.output import action_rows, plan_dict, plan_record, plan_stats
from dunning.policy.model import CONTACT_CHANNELS, Offer
from dunning.state.columns import EVENTS, PLAIN, derived_state, event_columns, event_columns_of

_ID = "\x00I\x00"
_JSON_ID = orjson.dumps(_ID).decode()[1:-1]
_JSON_AMOUNT = orjson.dumps("\x00A\x00").decode()
_JSON_OFFERS = orjson.dumps("\x00O\x00").decode()
_JSON_DPD = orjson.dumps("\x00D\x00").decode()
_PROMISE = "\x00P\x00"  # the reason of a promise/open exclusion: its dates are the row's own
_JSON_PROMISE = orjson.dumps(_PROMISE).decode()

Stats = tuple[tuple[str, str], ...]
Record = tuple[str, int, str, str, bytes, str, Stats]


@dataclass(frozen=True)
class Template:
    """A decision shared by every row with its key, as text with slots."""

    json: str
    csv: str
    status: str
    tier: str
    stats: Stats
    offer: int  # index into policy.offers, -1: none
    # the contact channels of its actions that came to a check (none when not active): only
    # the caps of the rules counting one of them can change the decision (see
    # ColumnarPlanner.by_caps)
    checked: tuple[str, ...] = ()


PLAN = "__plan"  # the plans.jsonl line, newline included
ROWS = "__rows"  # the actions.csv rows, "" when the plan has no action
OUTCOME = "__outcome"  # index into PlannedChunk.outcomes
# the row's decision key when a template filled its line (None: planned in full): every row of
# a key has the same actions but for their ids (``_ID``), so render lays out their messages
# once per key (dunning.render.columns)
TEMPLATE_KEY = "__template_key"
CHUNK_SCHEMA = {
    "account_id": pl.String,
    LINE: pl.Int64,
    PLAN: pl.String,
    ROWS: pl.String,
    OUTCOME: pl.Int64,
    TEMPLATE_KEY: pl.String,
}


class _Outcomes:
    """The distinct (status, tier, action stats) of a chunk's plans, numbered."""

    def __init__(self) -> None:
        self.known: list[tuple[str, str, Stats]] = []
        self._index: dict[tuple[str, str, Stats], int] = {}

    def index(self, status: str, tier: str, stats: Stats) -> int:
        key = (status, tier, stats)
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.known)
            self.known.append(key)
        return found


@dataclass(frozen=True)
class PlannedChunk:
    """A chunk's plans as columns (see :data:`CHUNK_SCHEMA`), unsorted, and what each
    ``OUTCOME`` number stands for (status, tier, action stats) — the counts of
    ``summary.json`` come from these, never from parsing the lines back."""

    frame: pl.DataFrame
    outcomes: list[tuple[str, str, Stats]]

    def records(self) -> list[Record]:
        """Row by row: (account_id, line, status, tier, plan line, CSV rows, stats)."""
        out: list[Record] = []
        for account_id, line, plan, rows, outcome in self.frame.select(
            "account_id", LINE, PLAN, ROWS, OUTCOME
        ).iter_rows():
            status, tier, stats = self.outcomes[outcome]
            out.append((account_id, line, status, tier, plan.encode(), rows, stats))
        return out


class ColumnarPlanner:
    """Plans screened chunks; templates are kept across chunks (one process, one run)."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        self.policy = planner.policy
        self.keys = DecisionKey(planner)
        # every key's decision without its texts (json, csv: ≈ 600 bytes a template, ≈ 20k
        # templates in each planning worker at 1M): those are in _table once listed, in
        # _texts until then; decisions alike are one object (_slim)
        self.templates: dict[str, Template] = {}
        self._slim: dict[Template, Template] = {}
        # the texts of the keys not listed yet: (json, csv), or the key whose texts they are
        self._texts: dict[str, tuple[str, str] | str] = {}
        # per key less its caps part (_caps_cut), the decisions known, by the channels of
        # their contacts and the caps part cut to the rules that count one of them. The caps
        # reach a plan only through the checks of its contacts, and a check of a contact
        # reads only the rules that count its channel; whether the plan is active and which
        # actions it holds on which channels do not depend on them (a refused contact is
        # still an action, deferred or suppressed; a contact not placed twice is the same
        # step's, on its channel). So two keys apart only in the caps of rules that count
        # no channel of one's contacts decide alike, contact by contact (each check reads
        # the same counts and the same contacts planned before it): the other's decision is
        # that one (no contact at all: every caps part's). Each decision is given as the key
        # of its template.
        self.by_caps: dict[str, dict[tuple[tuple[str, ...], str], str]] = {}
        self.blind: set[str] = set()  # those with a decision without contacts: the key needs no caps
        self._counted: dict[str, list[frozenset[str]]] = {}  # per jurisdiction: each rule's channels
        self.learned = 0  # decisions planned in full for a template (per process)
        # keys learned since the last take_fresh(); None: nobody shares them (one process)
        self.fresh: list[str] | None = None
        # with other workers: hands over what this one learned and takes theirs (see
        # _learn_shared); slot: which half of the keys this worker learns first
        self.exchange: Callable[[], None] | None = None
        self.slot = 0
        self._offer_index = {offer.id: i for i, offer in enumerate(self.policy.offers)}
        self._offer_rows: dict[tuple[int, str], tuple[int | str, ...]] = {}
        # what every chunk's plans are counted by, numbered once per process (a chunk's list is
        # this one as it stands after the chunk: the numbers of earlier chunks stay valid)
        self._outcomes = _Outcomes()
        # every template as a row (key, plan line, CSV rows, offer, outcome), kept and grown
        # per process: a chunk joins its rows to it, instead of building a table of its ≈ 2,000
        # keys' templates from Python lists each time; _unlisted: keys not in it yet
        self._table = pl.DataFrame(schema=_TABLE_SCHEMA)
        self._unlisted: list[str] = []
        self._joints = _Joints(planner.as_of.isoformat())

    # ------------------------------------------------------------------ templates
    def _learn(self, rows: pl.DataFrame, extra_columns: list[str], events: Mapping[str, tuple[Contact, ...]]) -> None:
        # a row whose key is the one it has without its history decides as the account
        # without its events (AS_NONE): planned so, its events are not built
        bare = rows[AS_NONE].to_list() if AS_NONE in rows.columns else [False] * rows.height
        for acct, key, none in zip(accounts_of(rows, extra_columns), rows[KEY].to_list(), bare, strict=True):
            plan = self.planner.plan(acct, () if none else events.get(acct.account_id, ()))
            self.learned += 1
            template, texts = self._template(plan, self.planner.reached)
            self._keep(key, template, texts)

    def _keep(self, key: str, template: Template, texts: tuple[str, str] | str) -> None:
        """Keep ``key``'s decision; ``texts``: its (json, csv), or the key whose they are."""
        self._add(key, template, texts)
        self._index(key, template)
        if self.fresh is not None:
            self.fresh.append(key)

    def _add(self, key: str, template: Template, texts: tuple[str, str] | str) -> None:
        slim = _slim(template)
        self.templates[key] = self._slim.setdefault(slim, slim)
        self._texts[key] = texts
        self._unlisted.append(key)

    def _texts_of(self, keys: list[str]) -> list[tuple[str, str]]:
        """The (json, csv) of each of ``keys`` (known): kept aside until listed, then in the table."""
        resolved: list[tuple[str, tuple[str, str] | None]] = []
        for key in keys:
            texts = self._texts.get(key)
            while isinstance(texts, str):  # the texts of another key
                key, texts = texts, self._texts.get(texts)
            resolved.append((key, texts))
        listed = [key for key, texts in resolved if texts is None]
        table: dict[str, tuple[str, str]] = {}
        if listed:
            rows = self._table.filter(pl.col(KEY).is_in(pl.Series(listed, dtype=pl.String).implode()))
            table = {
                key: (self._joints.json(mid, rest), csv)
                for key, mid, rest, csv in rows.select(KEY, "__mid", "__rest", "__csv").iter_rows()
            }
        return [texts if texts is not None else table[key] for key, texts in resolved]

    def _index(self, key: str, template: Template) -> None:
        cut = key.rfind(KEY_SEPARATOR)
        known = self.by_caps.setdefault(key[:cut], {})
        known.setdefault((template.checked, self._caps_of(key, cut, template.checked)), key)
        if not template.checked:
            self.blind.add(key[:cut])

    def _caps_of(self, key: str, cut: int, channels: tuple[str, ...]) -> str:
        """The key's caps part (after ``cut``) less the entries of rules that count none of
        ``channels`` (an entry is ``rule.zone:counts``, the rule an index into the counters of
        the key's jurisdiction)."""
        caps = key[cut + 1 :]
        if not caps:
            return caps
        code = key.split(KEY_SEPARATOR, _JURISDICTION + 1)[_JURISDICTION]
        counted = self._counted.get(code)
        if counted is None:
            counters = self.planner.engine.jurisdiction(code).counters
            counted = self._counted[code] = [frozenset(c.channels) for c in counters]
        wanted = set(channels)
        return "|".join(e for e in caps.split("|") if not counted[int(e[: e.index(".")])].isdisjoint(wanted))

    def _served_by_caps(self, keys: Iterable[str]) -> None:
        """The templates of ``keys`` whose decision is known from a key apart from theirs
        only in the caps of rules that count no channel of its contacts (:attr:`by_caps`)."""
        for key in keys:
            if key in self.templates:  # taken from another worker meanwhile (_learn_shared)
                continue
            cut = key.rfind(KEY_SEPARATOR)
            known = self.by_caps.get(key[:cut])
            if not known:
                continue
            for channels in {c for c, _caps in known}:
                found = known.get((channels, self._caps_of(key, cut, channels)))
                if found is not None:
                    self._keep(key, self.templates[found], found)
                    break

    def take_fresh(self) -> list[tuple[str, Template]]:
        """The templates learned since the last call (for the other workers of the run); from
        the first call on, learned keys are remembered for the next."""
        keys = self.fresh or []
        self.fresh = []
        texts = self._texts_of(keys)
        pairs = zip(keys, texts, strict=True)
        return [(key, _with_texts(self.templates[key], json, csv)) for key, (json, csv) in pairs]

    def adopt(self, shared: Iterable[tuple[str, Template]]) -> None:
        """Templates another worker learned: a key means the same decision in every process
        (tests/plan/test_columnar.py holds a template equal to the full planner for every
        row of its key), so whichever account taught it, the bytes are the same."""
        for key, template in shared:
            if key not in self.templates:
                self._add(key, template, (template.json, template.csv))
            self._index(key, template)

    def _template(self, plan: AccountPlan, reached: set[str]) -> tuple[Template, tuple[str, str]]:
        """The decision of ``plan`` (its texts empty) and its texts (json, csv) with the slots.

        The texts are written from the plan itself with the slots put in (no copy of the
        plan and its actions: ``dataclasses.replace`` was a fifth of a template's cost)."""
        data = plan_dict(plan, _ID)
        data["overdue_amount"] = "\x00A\x00"
        data["dpd"] = "\x00D\x00"
        data["offers"] = "\x00O\x00"
        for exclusion in data["exclusions"]:
            if exclusion["code"] == "promise/open":
                exclusion["reason"] = _PROMISE
        template = Template(
            json="",
            csv="",
            status=plan.status,
            tier=plan.tier or "none",
            stats=plan_stats(plan),
            offer=self._offer_index[plan.offers[0].id] if plan.offers else -1,
            # of its contacts, those that came to a check (Planner.reached): one suppressed by a
            # stop or given no window before it (an opt-out, an invalid phone, a timetable
            # without the channel) read no caps, whatever they hold
            checked=tuple(sorted({a.channel for a in plan.actions if a.channel in CONTACT_CHANNELS} & reached))
            if plan.status == "active"
            else (),
        )
        return template, (orjson.dumps(data).decode() + "\n", action_rows(plan, _ID))

    # ------------------------------------------------------------------ a chunk
    def plan(self, screened: Screened, history: History, lines: pl.DataFrame | None = None) -> PlannedChunk:
        """The plans (unsorted) of the clean rows of one screened chunk, as columns.

        ``history``: the chunk's events as objects and the held accounts; ``lines``: the
        chunk's history lines as a scan reads them (:mod:`dunning.accounts.history`), read
        on columns instead of ``history.events`` (objects are made only for the rows
        planned in full)."""
        good = screened.good
        # an id that starts like a spreadsheet formula is written by the full planner too:
        # its actions.csv cell is neutralised there (dunning.text.cells.safe_cell)
        slow_mask = pl.col("account_id").str.contains(r'^[=+\-@\t\r]|[",\\\r\n]') | ~pl.col(
            "overdue_amount"
        ).str.contains(CANONICAL)
        if lines is not None:
            events = event_columns(lines) if lines.height else None
        else:
            events = event_columns_of(history.events) if history.events else None
        if events is not None:
            codes = sorted(good["jurisdiction"].unique().to_list())
            derived = derived_state(events, self.planner.as_of, self.keys.history.plain_words(codes))
            good = good.join(derived, on="account_id", how="left", maintain_order="left")
            has = pl.col(PLAIN).is_not_null()
            # a history beyond plain contacts and payments, and an id the chunk holds twice
            # (its rows would share one account's events), go to the full planner
            apart = ~pl.col(PLAIN) | pl.col("account_id").is_duplicated()
            slow_mask = slow_mask | (has & (apart if self.keys.history.shares else pl.lit(True)))
        if history.held:
            slow_mask = slow_mask | pl.col("account_id").is_in(list(history.held))
        flagged = good.with_columns(slow_mask.alias("__slow"))
        outcomes = self._outcomes
        # A filter copies every column (≈ 50 here) even when it keeps every row, ≈ 2 ms a
        # 10k-row chunk: nearly every chunk has no slow row and no unkeyed one, so the split
        # is made only when there is something to split off.
        if flagged["__slow"].any():
            fast = self.keys.columns(flagged.filter(~pl.col("__slow")), events, self.blind)
            slow = flagged.filter(pl.col("__slow"))
        else:
            fast, slow = self.keys.columns(flagged, events, self.blind), flagged.clear()
        if fast[KEY].null_count():
            unkeyed = fast.filter(pl.col(KEY).is_null())
            fast = fast.filter(pl.col(KEY).is_not_null())
        else:
            unkeyed = fast.clear()
        if unkeyed.height:
            slow = pl.concat([slow, unkeyed.select(slow.columns)])
        contacts = _Contacts(history, lines)
        parts = [self._plan_slow(slow, screened.extra_columns, history, contacts, outcomes)] if slow.height else []
        if fast.height:
            parts.append(self._plan_fast(fast, screened.extra_columns, contacts, outcomes))
        return PlannedChunk(pl.concat(parts) if parts else pl.DataFrame(schema=CHUNK_SCHEMA), list(outcomes.known))

    def _plan_slow(
        self,
        rows: pl.DataFrame,
        extra_columns: list[str],
        history: History,
        contacts: _Contacts,
        outcomes: _Outcomes,
    ) -> pl.DataFrame:
        """Rows the templates cannot serve (a history beyond plain contacts, ids that need
        escaping, balances not written canonically): each planned by the full planner."""
        ids, lines, plans, actions, kinds = [], [], [], [], []
        events = contacts.of(rows["account_id"])
        for acct in accounts_of(rows, extra_columns):
            plan = self.planner.plan(acct, events.get(acct.account_id, ()), held=acct.account_id in history.held)
            line, rows_text, status, tier, stats = plan_record(plan)
            ids.append(acct.account_id)
            lines.append(acct.line)
            plans.append(line.decode())
            actions.append(rows_text)
            kinds.append(outcomes.index(status, tier, stats))
        return pl.DataFrame(
            {"account_id": ids, LINE: lines, PLAN: plans, ROWS: actions, OUTCOME: kinds, TEMPLATE_KEY: None},
            schema=CHUNK_SCHEMA,
        )

    def _plan_fast(
        self, fast: pl.DataFrame, extra_columns: list[str], contacts: _Contacts, outcomes: _Outcomes
    ) -> pl.DataFrame:
        """Rows whose decision key has a template: the template with the slots filled in."""
        # only what the fill needs crosses the join (the key frame carries every input column)
        needed = fast.select(
            "account_id",
            LINE,
            "overdue_amount",
            "currency",
            "__digits",
            "__amount4",
            "__dpd",
            "__promise_words",
            KEY,
        )
        # the rows join the templates known; those of keys without one are learned, and then
        # joined again (most chunks learn some; looking each key up in Python first cost more)
        joined = needed.join(self._listed(outcomes), on=KEY, how="left", maintain_order="left")
        missing = joined["__csv"].is_null()
        if missing.any():
            self._teach(fast.filter(missing), extra_columns, contacts)
            joined = needed.join(self._listed(outcomes), on=KEY, how="left", maintain_order="left")
        joined = joined.with_columns(self._offers_json(joined))
        # the line put together from its pieces in one pass (five replacements over the whole
        # line cost twice as much); only the exclusions and actions hold slots still
        joints = self._joints
        return joined.select(
            pl.col("account_id"),
            pl.col(LINE),
            pl.concat_str(
                [
                    pl.lit(joints.head),
                    pl.col("account_id"),
                    pl.lit(joints.as_of),
                    pl.col("__dpd").cast(pl.String),
                    pl.col("__mid"),
                    pl.lit('"'),
                    pl.col("overdue_amount"),
                    pl.lit('"'),
                    pl.col("__rest")
                    .str.replace_all(_JSON_ID, pl.col("account_id"), literal=True)
                    .str.replace(_JSON_PROMISE, pl.col("__promise_words"), literal=True),
                    pl.col("__offers"),
                    pl.lit(joints.tail),
                ]
            ).alias(PLAN),
            pl.col("__csv").str.replace_all(_ID, pl.col("account_id"), literal=True).alias(ROWS),
            pl.col(OUTCOME),
            pl.col(KEY).alias(TEMPLATE_KEY),
        )

    def _teach(self, rows: pl.DataFrame, extra_columns: list[str], contacts: _Contacts) -> None:
        """Templates for the keys of ``rows`` (none known yet), in the order of their first rows:
        served by a known decision that differs only in caps (:attr:`by_caps`), or learned."""
        firsts = rows.filter(pl.col(KEY).is_first_distinct())
        self._served_by_caps(firsts[KEY].to_list())
        unknown = firsts.filter(pl.Series([k not in self.templates for k in firsts[KEY].to_list()], dtype=pl.Boolean))
        if unknown.height and EVENTS in rows.columns:
            # any row of a key teaches its decision (that is what the key is): the one with
            # the fewest events costs least to plan in full (objects, state, cap checks),
            # and a row whose key is the one it has without its history is planned without
            # its events (AS_NONE)
            unknown = (
                rows.filter(pl.col(KEY).is_in(unknown[KEY].implode()))
                .with_columns(self.keys.history.as_none().alias(AS_NONE))
                .sort(pl.when(pl.col(AS_NONE)).then(0).otherwise(pl.col(EVENTS).fill_null(0)), maintain_order=True)
                .unique(subset=KEY, keep="first", maintain_order=True)
            )
        # the lines of the rows that may teach, taken from the chunk's once: each round below
        # asks for a few accounts' (200k/2M: ≈ 13 rounds a chunk, each a search of its ≈
        # 200,000 lines for 2 ms)
        if unknown.height:
            candidates = unknown.filter(~pl.col(AS_NONE)) if AS_NONE in unknown.columns else unknown
            contacts = contacts.narrowed(candidates["account_id"])
        # one key per decision without caps at a time: each decision learned may serve the
        # others of its kind that differ only in the caps of rules its contacts do not meet
        while unknown.height:
            first = pl.Series([_caps_cut(k) for k in unknown[KEY].to_list()]).is_first_distinct()
            self._learn_shared(unknown.filter(first), extra_columns, contacts)
            rest = unknown.filter(~first)
            self._served_by_caps(rest[KEY].to_list())
            unknown = rest.filter(pl.Series([k not in self.templates for k in rest[KEY].to_list()], dtype=pl.Boolean))

    def _learn_shared(self, taught: pl.DataFrame, extra_columns: list[str], contacts: _Contacts) -> None:
        """Learn the keys of ``taught`` (one row each). With other workers (:attr:`exchange`),
        many keys are learned in batches, this worker's share of them (:attr:`slot`) first;
        between two batches what it learned is handed over and what the others learned
        meanwhile is taken: two workers that start together meet the same common keys in
        their first chunks, and learned each of them twice (≈ 2,200 decisions at 1M)."""
        batches = [taught]
        if self.exchange is not None and taught.height > _BATCH:
            theirs = [zlib.crc32(k.encode()) & 1 != self.slot for k in taught[KEY].to_list()]
            taught = taught.sort(pl.Series(theirs, dtype=pl.Boolean), maintain_order=True)
            batches = [taught.slice(start, _BATCH) for start in range(0, taught.height, _BATCH)]
        for index, batch in enumerate(batches):
            if index and self.exchange is not None:
                self.exchange()
                # a key another worker learned, or one it serves by its caps, is not learned
                # again (either is the key's decision: the same bytes)
                self._served_by_caps(batch[KEY].to_list())
                batch = batch.filter(pl.Series([k not in self.templates for k in batch[KEY]], dtype=pl.Boolean))
                if not batch.height:
                    continue
            needed = batch.filter(~pl.col(AS_NONE)) if AS_NONE in batch.columns else batch
            self._learn(batch, extra_columns, contacts.of(needed["account_id"]))

    def _listed(self, outcomes: _Outcomes) -> pl.DataFrame:
        """:attr:`_table` with every template known (the new ones added)."""
        if self._unlisted:
            shared = [self.templates[k] for k in self._unlisted]
            texts = self._texts_of(self._unlisted)
            pieces = [self._joints.cut(json) for json, _ in texts]
            added = pl.DataFrame(
                {
                    KEY: self._unlisted,
                    "__mid": [mid for mid, _ in pieces],
                    "__rest": [rest for _, rest in pieces],
                    "__csv": [csv for _, csv in texts],
                    "__offer": [t.offer for t in shared],
                    OUTCOME: [outcomes.index(t.status, t.tier, t.stats) for t in shared],
                },
                schema=_TABLE_SCHEMA,
            )
            self._unlisted, self._texts = [], {}
            # one piece after every addition: a join with a table of n pieces cost ≈ 2.1 ms a
            # 10k-row chunk at 30 pieces, 0.8 ms at one, and the rechunk ≈ 0.1 ms (the texts'
            # views are copied, not the texts); a run adds a piece in most chunks, and a chunk
            # that learns joins twice
            self._table = pl.concat([self._table, added]).rechunk()
        return self._table

    # ------------------------------------------------------------------ offers
    def _offers_json(self, frame: pl.DataFrame) -> pl.Series:
        """Each row's offers array: the terms of every offer at once, on the rows with one."""
        texts = pl.repeat("[]", frame.height, dtype=pl.String, eager=True).alias("__offers")
        mask = frame["__offer"] >= 0
        if not mask.any():
            return texts
        rows = frame.filter(mask).select("__offer", "currency", "__digits", "__amount4")
        pairs = rows.select("__offer", "currency").unique().rows()
        terms = _offer_terms(rows.join(self._offer_params(pairs), on=["__offer", "currency"], how="left"))
        return texts.scatter(mask.arg_true(), terms)

    def _offer_params(self, pairs: Iterable[tuple[int, str]]) -> pl.DataFrame:
        """Per (offer, currency): the numbers and fixed JSON pieces :func:`_offer_terms` needs."""
        rows = []
        for index, currency in sorted(pairs):
            found = self._offer_rows.get((index, currency))
            if found is None:
                found = self._offer_rows[(index, currency)] = _offer_row(
                    self.policy.offers[index], currency, self.planner.as_of
                )
            rows.append((index, currency, *found))
        return pl.DataFrame(rows, schema=_OFFER_PARAMS, orient="row")


def _slim(template: Template) -> Template:
    """``template`` without its texts (a direct construction: ``dataclasses.replace`` costs
    several times more, once per key learned or adopted)."""
    if not (template.json or template.csv):
        return template
    return _with_texts(template, "", "")


def _with_texts(template: Template, json: str, csv: str) -> Template:
    t = template
    return Template(json, csv, t.status, t.tier, t.stats, t.offer, t.checked)


_TABLE_SCHEMA = {
    KEY: pl.String,
    "__mid": pl.String,  # a template's plan line between its dpd and overdue_amount slots
    "__rest": pl.String,  # from after its overdue_amount slot to its offers slot
    "__csv": pl.String,
    "__offer": pl.Int64,
    OUTCOME: pl.Int64,
}


class _Joints:
    """The pieces every template's plan line shares (:func:`~dunning.plan.output.plan_dict`'s
    key order): ``head`` id ``as_of`` dpd *mid* amount *rest* offers ``tail``, where only
    *mid* and *rest* are the template's own."""

    def __init__(self, as_of: str) -> None:
        self.head = '{"account_id":"'
        self.as_of = f'","as_of":"{as_of}","dpd":'
        self.tail = "}\n"

    def cut(self, json: str) -> tuple[str, str]:
        """A template's (mid, rest)."""
        at_id = json.index(_JSON_ID)
        at_dpd = json.index(_JSON_DPD, at_id)
        at_amount = json.index(_JSON_AMOUNT, at_dpd)
        at_offers = json.index(_JSON_OFFERS, at_amount)
        # every line starts and ends alike (a change of plan_dict's order shows here, not in the bytes)
        assert (json[:at_id], json[at_id + len(_JSON_ID) : at_dpd], json[at_offers + len(_JSON_OFFERS) :]) == (
            self.head,
            self.as_of,
            self.tail,
        ), "a template's plan line does not start or end as every other"
        return json[at_dpd + len(_JSON_DPD) : at_amount], json[at_amount + len(_JSON_AMOUNT) : at_offers]

    def json(self, mid: str, rest: str) -> str:
        """The template's plan line from its (mid, rest): :meth:`cut` undone."""
        return self.head + _JSON_ID + self.as_of + _JSON_DPD + mid + _JSON_AMOUNT + rest + _JSON_OFFERS + self.tail


_JURISDICTION = tuple(KEY_INPUTS).index("jurisdiction")  # the key's part that names it
# keys learned between two exchanges with the other workers (≈ 30 ms of learning; a first
# chunk learns ≈ 1,500)
_BATCH = 256


def _caps_cut(key: str) -> str:
    """The key less its caps part (the last, :data:`~dunning.plan.key.KEY_INPUTS`)."""
    return key[: key.rfind(KEY_SEPARATOR)]


class _Contacts:
    """The events of a chunk's accounts as objects, made only for the accounts asked for."""

    def __init__(self, history: History, lines: pl.DataFrame | None) -> None:
        self.history = history
        self.lines = lines

    def narrowed(self, account_ids: pl.Series) -> _Contacts:
        """The events of ``account_ids`` only, their lines taken once (the same answers for them)."""
        if self.lines is None or self.lines.is_empty():
            return self
        return _Contacts(self.history, self.lines.filter(pl.col("account_id").is_in(account_ids.implode())))

    def of(self, account_ids: pl.Series) -> Mapping[str, tuple[Contact, ...]]:
        """The events of ``account_ids`` (time order) by account id."""
        if self.lines is None:
            return self.history.events
        if self.lines.is_empty() or account_ids.is_empty():
            return {}
        mine = self.lines.filter(pl.col("account_id").is_in(account_ids.implode()))
        return events_of(mine.sort(HISTORY_LINE))


def _minor_text(value: pl.Expr) -> pl.Expr:
    """Integer minor units → decimal text with the currency's digits (0, 2 or 3); needs the
    ``__digits`` and ``__ten`` (10 ** digits) columns."""
    digits = pl.col("__digits")
    ten = pl.col("__ten")
    return (
        pl.when(digits == 0)
        .then(value.cast(pl.String))
        .otherwise(
            pl.concat_str(
                [(value // ten).cast(pl.String), pl.lit("."), (value % ten).cast(pl.String).str.zfill(digits)]
            )
        )
    )


_OFFER_PARAMS = {
    "__offer": pl.Int64,
    "currency": pl.String,
    "__keep_num": pl.Int64,  # 1 - max_discount as a ratio
    "__keep_den": pl.Int64,
    "__instalments": pl.Int64,
    "__min_num": pl.Int64,  # the currency's minimum instalment as a ratio; 0: none
    "__min_den": pl.Int64,
    "__head": pl.String,  # the JSON before the instalment count
    "__tail": pl.String,  # the JSON between the amounts and the discount amount
}


def _offer_row(offer: Offer, currency: str, as_of: date) -> tuple[int | str, ...]:
    """The :data:`_OFFER_PARAMS` of one offer in one currency (after the two key columns)."""
    keep = (1 - offer.max_discount).as_integer_ratio()
    minimum = offer.min_instalment.get(currency)
    low = minimum.as_integer_ratio() if minimum is not None and minimum > 0 else (0, 1)
    head = orjson.dumps({"id": offer.id, "kind": offer.kind, "currency": currency}).decode()[:-1]
    first_due = (as_of + timedelta(days=offer.grace_days)).isoformat()
    tail = (
        f'],"first_due_date":"{first_due}","interval_days":{offer.interval_days},"discount":'
        + orjson.dumps(str(offer.max_discount)).decode()
        + ',"discount_amount":"'
    )
    return (*keep, offer.instalments, *low, "[" + head + ',"instalments":', tail)


def _offer_terms(rows: pl.DataFrame) -> pl.Series:
    """Each row's offer as a JSON array, in integer minor units (see :mod:`.offers`); ``rows``
    carry their offer's :data:`_OFFER_PARAMS`, so one pass serves every offer.

    Computed in stages, each a small expression over the previous stage's columns: one
    expression for the whole arithmetic repeats its sub-terms (the count appears in every
    amount) and cost polars ~20 ms to plan per call, whatever the number of rows."""
    col = pl.col
    ten = pl.lit(10, dtype=pl.Int64).pow(col("__digits")).cast(pl.Int64)
    unit = pl.lit(10, dtype=pl.Int64).pow(SCALE - col("__digits")).cast(pl.Int64)
    staged = rows.with_columns(
        ten.alias("__ten"),
        (col("__amount4") // unit).alias("__overdue"),  # exact: R004 keeps the balance within the minor unit
    ).with_columns((col("__overdue") * col("__keep_num") // col("__keep_den")).alias("__total"))
    # floor(total / (minimum × 10^digits)) = total × den // (num × 10^digits)
    fits = col("__total") * col("__min_den") // (col("__ten") * col("__min_num"))
    count = pl.when(col("__min_num") > 0).then(pl.min_horizontal(col("__instalments"), fits))
    staged = staged.with_columns(pl.max_horizontal(count.otherwise(col("__instalments")), pl.lit(1)).alias("__count"))
    staged = staged.with_columns((col("__total") // col("__count")).alias("__each"))
    staged = staged.with_columns((col("__total") - col("__each") * (col("__count") - 1)).alias("__first"))
    staged = staged.with_columns(
        _minor_text(col("__first")).alias("__first_text"),
        pl.concat_str([pl.lit(',"'), _minor_text(col("__each")), pl.lit('"')]).alias("__each_text"),
        _minor_text(col("__overdue") - col("__total")).alias("__discount_text"),
        _minor_text(col("__total")).alias("__total_text"),
    )
    return staged.select(
        pl.concat_str(
            [
                col("__head"),
                col("__count").cast(pl.String),
                pl.lit(',"amounts":["'),
                col("__first_text"),
                pl.lit('"'),
                col("__each_text").repeat_by(col("__count") - 1).list.join(""),
                col("__tail"),
                col("__discount_text"),
                pl.lit('","total":"'),
                col("__total_text"),
                pl.lit('"}]'),
            ]
        ).alias("__offers")
    ).to_series()
