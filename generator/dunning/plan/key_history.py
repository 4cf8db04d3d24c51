"""The decision key's parts read off the history (:class:`HistoryKey`, used by
:class:`~dunning.plan.key.DecisionKey` and nowhere else).

Accounts whose history holds only contacts and payments are keyed: their state is
computed on the chunk's event columns (:mod:`dunning.state.columns`) and its parts are in
the key — the last contact and right-party contact, the unanswered calls and the days
since a payment as far as a condition asked of the account reads them, the outcome counts
of ``outcomes_in_last_days``, and the caps: per frequency rule a step of the horizon is
checked against, the counted contacts of the runs of days that hold a day of the plan,
clipped where the plan's own contacts cannot change the answer. A row whose refusal could
send the earliest-moment search past the plan without an answer (a dated exclusion may
hold, no window follows), with an event after as-of or in two offsets, or a snapshot
promise with a history payment in its window, is planned in full (:data:`NEEDS_FULL`); so
are accounts with any other event (flags, promises, arrangements, placements, spoiled
contact points, sent notices, reasons for arrears) or held by an unreadable history line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import floor
from typing import Any

import polars as pl

from dunning.accounts import events as ev
from dunning.accounts.model import FLAG_COLUMNS, Account
from dunning.accounts.read import accounts_of, date_column
from dunning.compliance.engine import DEFAULT_CAP_OUTCOMES_EXCLUDED, SEARCH_DAYS
from dunning.compliance.outcomes import KIND as AFTER_OUTCOME
from dunning.compliance.timezones import zone
from dunning.plan.decide import Planner
from dunning.policy.model import CONTACT_CHANNELS, Condition
from dunning.state.columns import (
    DAY,
    INSTANT,
    LAST_CONTACT,
    LAST_RPC,
    PAID,
    PLAIN,
    PLAIN_WORDS,
    UNANSWERED,
    payment_day,
)

_CAPS = "__h_caps"  # the caps part of rows with history
_OUTCOMES = "__h_outcomes"  # the outcomes part of rows with history
NEEDS_FULL = "__h_full"  # a row with history whose zones the caps part cannot read: planned in full
AS_NONE = "__h_as_none"  # the row's key is the one it has without its history (HistoryKey.as_none)


@dataclass(frozen=True)
class _Location:
    """What the caps part reads of an account's location: the zones its contacts' days
    count in (zone, a candidate zone of the account — else a rule's own), primary first;
    how many days past the plan's last day a check's local day can fall (zones ahead of
    the primary); the channels whose contact windows go on after the days the caps can
    refuse, inside the earliest-moment search."""

    zones: tuple[tuple[str, bool], ...]
    shift: int
    free: frozenset[str]  # the channels with such a window


class HistoryKey:
    """The history parts of a planner's decision key (see :class:`~dunning.plan.key.DecisionKey`):
    ``conditions``, every condition of its policy; ``scale``: the key's balance column
    ``__amount4`` holds balances in ``10 ** -scale`` units."""

    def __init__(self, planner: Planner, conditions: Sequence[Condition], scale: int) -> None:
        self.planner = planner
        policy = self.policy = planner.policy
        self.scale = scale
        # the history-derived state the conditions read (state.columns): the largest number
        # of days or events any condition asks about, past which two accounts are alike
        self.engine = planner.engine
        self.contact_days, self.rpc_days, self.unanswered, self.paid_since = _state_reach(conditions)
        # exclusions and offers are asked of every account, a step's condition only on the
        # days it fires (or, catching up, on any): per dpd, what the conditions asked can read
        self._asked_always = [*(e.when for e in policy.exclusions), *(o.when for o in policy.offers)]
        self._state_reaches: dict[int, tuple[int, int, int, int]] = {}
        windows: dict[tuple[str, int], int] = {}
        for c in conditions:
            for wanted in c.outcomes_in_last_days:
                window = (wanted.outcome, wanted.days)
                windows[window] = max(windows.get(window, 0), wanted.count)
        self.outcome_windows = dict(sorted(windows.items()))
        # an outcome the ledgers derive (promise_broken …) is not on columns: such a policy
        # plans every account with history in full
        self.shares = not any(word in ev.DERIVED for word, _days in windows)
        self._plain_words: dict[str, frozenset[str]] = {}
        self._cap_limits: dict[tuple[str, int], tuple[tuple[bool, int], ...]] = {}
        self._zones: dict[tuple[str, str], _Location | None] = {}
        self._channels: dict[tuple[str, int], frozenset[str]] = {}  # of the steps a horizon can fire
        self._classes: dict[object, int] = {}
        # the numbers of (jurisdiction, dpd) and (jurisdiction, location) pairs met before:
        # their values (tuples of tuples) cost more to hash than the pairs
        self._limit_classes: dict[tuple[str, int], int] = {}
        self._location_classes: dict[tuple[str, str], int] = {}
        self._caps_parts: dict[tuple[int, int, str, bool], tuple[str, bool]] = {}  # (lim, loc, raw, dated)
        self._of_class: list[Any] = []

    def parts(self) -> dict[str, pl.Expr]:
        """The key's history-derived parts (see :data:`~dunning.plan.key.KEY_INPUTS`), on the columns
        :meth:`columns` adds; a row without history has those of a history that holds none of
        what they count."""
        col = pl.col
        return self._parts(col(LAST_CONTACT), col(LAST_RPC), col(UNANSWERED), col(_OUTCOMES), col(_CAPS))

    def as_none(self) -> pl.Expr:
        """True on rows whose key is the key they would have without their history: no
        payment later than the snapshot's last (the payment, paid_since and promise parts
        read the later of the two) and every history part that of no history (nothing a
        condition or a cap of the plan reads). Such a row decides as the account without its
        events (an empty caps part plans as no history, see ``caps`` in KEY_INPUTS), so a
        decision is learned from it without building its events; on rows without history,
        True."""
        col = pl.col
        none = pl.lit(None, pl.Int64)
        blank = self._parts(none, none, none, pl.lit(None, pl.String), pl.lit(None, pl.String))
        mine = self.parts()
        paid = col(PAID).is_null() | (col(date_column("last_payment_date")) >= col(PAID)).fill_null(False)
        same = pl.all_horizontal([(mine[name] == blank[name]).fill_null(False) for name in mine])
        return col(PLAIN).is_null() | (paid & same)

    def _parts(
        self, last_contact: pl.Expr, last_rpc: pl.Expr, unanswered: pl.Expr, outcomes: pl.Expr, caps: pl.Expr
    ) -> dict[str, pl.Expr]:
        col = pl.col

        def upto(value: pl.Expr, most: int, limit: str, low: int | None = None) -> pl.Expr:
            # past the largest number a condition asked on the account's days asks about, two
            # accounts are alike (none asked: all are)
            if not most:
                return pl.lit("")
            bound = col(limit)
            return (
                pl.when(bound == 0)
                .then(pl.lit(""))
                .otherwise(value.clip(lower_bound=low, upper_bound=bound).cast(pl.String).fill_null("-"))
            )

        reach = self.planner.horizon + 1  # a condition is asked on the days of the plan
        return {
            "contacted": pl.concat_str(
                [upto(last_contact, self.contact_days, "__reach0"), upto(last_rpc, self.rpc_days, "__reach1")],
                separator="/",
            ),
            "unanswered": upto(unanswered.fill_null(0), self.unanswered, "__reach2"),
            "paid_since": upto(col("__paid_days"), self.paid_since, "__reach3", -reach),
            # no history: no outcome in any window, as a history without the words counts
            "outcomes": outcomes.fill_null(",".join("0" for (_w, span) in self.outcome_windows for _i in range(span))),
            "caps": caps.fill_null(""),
        }

    def reach(self, dpd: int) -> tuple[int, int, int, int]:
        """:func:`_state_reach` of the conditions asked of an account ``dpd`` days past due:
        the exclusions', the offers' and those of the steps the horizon fires."""
        found = self._state_reaches.get(dpd)
        if found is None:
            highs = {t.dpd.high for t in self.policy.tiers}
            steps = [
                step.when
                for strategy in self.policy.strategies.values()
                for step in strategy.steps
                if self.planner.tracks_sent
                or any(step.fires_on(dpd + o, high) for o in range(self.planner.horizon + 1) for high in highs)
            ]
            found = self._state_reaches[dpd] = _state_reach([*self._asked_always, *steps])
        return found

    def plain_words(self, codes: Sequence[str]) -> frozenset[str]:
        """The events whose meaning the key holds for accounts of the jurisdictions
        ``codes``: :data:`~dunning.state.columns.PLAIN_WORDS` less those a law's
        ``after_outcome`` rule counts (its stop reads the events themselves)."""
        words = set(PLAIN_WORDS)
        for code in codes:
            found = self._plain_words.get(code)
            if found is None:
                rules = self.engine.jurisdiction(code).rules
                counted = {w for rule, _params in rules if rule.kind == AFTER_OUTCOME for w in rule.counts}
                found = self._plain_words[code] = PLAIN_WORDS - counted
            words &= found
        return frozenset(words)

    def outcomes(self, frame: pl.DataFrame, events: pl.DataFrame | None) -> pl.DataFrame:
        """``frame`` with the outcomes part of its rows with history (null on the others)."""
        col = pl.col
        ids = frame.filter(col(PLAIN).is_not_null()).select("account_id").unique()
        if not self.outcome_windows or events is None or ids.is_empty():
            return frame.with_columns(pl.lit(None, pl.String).alias(_OUTCOMES))
        before = (pl.lit(self.planner.as_of) - col(DAY)).dt.total_days()
        counts = [
            ((col("event") == word) & (before <= i)).sum().clip(upper_bound=most).cast(pl.String)
            for (word, span), most in self.outcome_windows.items()
            for i in range(span)
        ]
        outcomes = (
            events.join(ids, on="account_id")
            .group_by("account_id")
            .agg(pl.concat_str(counts, separator=",").alias(_OUTCOMES))
        )
        return frame.join(outcomes, on="account_id", how="left", maintain_order="left")

    def caps(self, frame: pl.DataFrame, events: pl.DataFrame | None, skip: pl.Expr | None = None) -> pl.DataFrame:
        """``frame`` with the caps part of its rows with history, and :data:`NEEDS_FULL` on
        those the full planner must plan: whose caps the columns cannot read (an event on a
        local day after as-of, a zone whose day starts before the primary zone's, a refusal
        whose earliest moment the key cannot tell) or whose snapshot promise a history
        payment may keep (one in its window). ``skip``: rows whose decision is known to be every caps part's (no contact
        to check): their caps are not read (an empty part)."""
        col = pl.col
        as_of = self.planner.as_of
        # a promise that a history payment may keep, or a snapshot payment after as-of that
        # may keep it on a later day the search looks at: the ledger decides, in full
        ledger = (
            col(PLAIN).is_not_null()
            & col(date_column("promise_to_pay_date")).is_not_null()
            & col("account_id").is_in(self._paid_in_window(frame, events).implode())
        ) | (col(PLAIN).is_not_null() & (col(date_column("last_payment_date")) > pl.lit(as_of)).fill_null(False))
        has = col(PLAIN).is_not_null()
        rows = frame.filter(has if skip is None else has & ~skip)
        if events is None or rows.is_empty():
            return frame.with_columns(pl.lit(None, pl.String).alias(_CAPS), ledger.alias(NEEDS_FULL))
        # the candidate zones of every location (timezones.location_key), asked once each
        # (per process: an account is made only for a location not asked before)
        reps = rows.select("jurisdiction", "__zkey").unique(maintain_order=True)
        places = list(zip(reps["jurisdiction"].to_list(), reps["__zkey"].to_list(), strict=True))
        unasked = [place for place in places if place not in self._zones]
        if unasked:
            asked = pl.DataFrame(unasked, schema={"jurisdiction": pl.String, "__zkey": pl.String}, orient="row")
            firsts = rows.join(asked, on=["jurisdiction", "__zkey"], how="semi").unique(
                subset=["jurisdiction", "__zkey"], keep="first", maintain_order=True
            )
            for acct, zkey in zip(accounts_of(firsts, []), firsts["__zkey"].to_list(), strict=True):
                self._location(acct, zkey)
        table: list[tuple[str, str, str | None, int, bool]] = []
        for code, zkey in places:
            place = self._zones[(code, zkey)]
            if place is None:
                table.append((code, zkey, None, 0, False))
            for pos, (name, candidate) in enumerate(place.zones if place is not None else ()):
                table.append((code, zkey, name, pos, candidate))
        zone_table = pl.DataFrame(
            table,
            schema={
                "jurisdiction": pl.String,
                "__zkey": pl.String,
                "__zone": pl.String,
                "__pos": pl.Int64,
                "__cand": pl.Boolean,
            },
            orient="row",
        )
        ids = rows.select("account_id", "jurisdiction", "__zkey")
        unreadable = ids.join(zone_table.filter(col("__zone").is_null()), on=["jurisdiction", "__zkey"])["account_id"]
        # the caps read the last days only (the longest rule's, and two for the zones): an
        # event on a day before cannot count, one after as-of is looked for on every day
        longest = max(
            (c.per_days for code in self._codes(rows) for c in self.engine.jurisdiction(code).counters), default=1
        )
        since = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) - timedelta(days=longest + 2)
        # only the columns the counting reads cross the joins and the zones' copies
        recent = events.select("account_id", "event", "channel", INSTANT).filter(col(INSTANT) >= pl.lit(since))
        # the accounts' zones first (a row per account and zone), then the events: one join
        # of the events, not two (the second on two text columns)
        zoned = ids.join(zone_table.filter(col("__zone").is_not_null()), on=["jurisdiction", "__zkey"])
        mine = recent.join(zoned, on="account_id")
        # each event's local day in each zone it counts in, as days before as-of
        local = [
            part.with_columns(
                (pl.lit(as_of) - col(INSTANT).dt.convert_time_zone(name).dt.date()).dt.total_days().alias("__off")
            )
            for (name,), part in sorted(mine.partition_by("__zone", as_dict=True).items())
        ]
        days = pl.concat(local) if local else mine.with_columns(pl.lit(0, pl.Int64).alias("__off"))
        later = days.filter(col("__off") < 0)["account_id"]
        entries = []
        for code in sorted(days["jurisdiction"].unique().to_list()):
            counters = self.engine.jurisdiction(code).counters
            counts: list[pl.Expr] = []  # per event: counted by rule k
            flags: list[pl.Expr] = []  # per event: counted by rule k within its i-th day
            sums: list[pl.Expr] = []  # per account and zone
            values: list[pl.Expr] = []  # the rule's entry, from the sums
            for k, counter in enumerate(counters):
                words = (
                    col("event").is_in(sorted(counter.counts))
                    if counter.counts is not None
                    else ~col("event").is_in(sorted(DEFAULT_CAP_OUTCOMES_EXCLUDED))
                )
                where = (col("__zone") == counter.fixed_zone) if counter.fixed_zone else col("__cand")
                # a column of its own, which each of the rule's day flags reads
                counts.append(
                    (
                        col("channel").is_in(list(counter.channels)) & words & where & (col("__off") < counter.per_days)
                    ).alias(f"__c{k}")
                )
                counted = col(f"__c{k}")
                n = counter.per_days
                # only c_i, i ≥ n - 1 - horizon - 2, can decide (zones are at most 2 days
                # ahead of the primary; _caps_part takes what the account's zones need)
                low = max(0, n - 3 - self.planner.horizon)
                if counter.kind == "after":
                    # the last conversation within the rule's days blocks until its end
                    flags.append(pl.when(counted).then(col("__off")).alias(f"__f{k}"))
                    sums.append(col(f"__f{k}").min().alias(f"__s{k}"))
                    value = col(f"__s{k}").clip(lower_bound=low).cast(pl.String)
                else:
                    # c_i: counted contacts from as-of - i to as-of, i < n: every run of n days
                    # that holds a day from as-of on holds those of one c_i (and no later event)
                    flags.append(counted.cast(pl.Int32).alias(f"__f{k}"))
                    flags.extend(
                        (counted & (col("__off") <= i)).cast(pl.Int32).alias(f"__f{k}_{i}") for i in range(low, n)
                    )
                    sums.append(col(f"__f{k}").sum().alias(f"__s{k}"))
                    sums.extend(col(f"__f{k}_{i}").sum().alias(f"__s{k}_{i}") for i in range(low, n))
                    value = pl.when(col(f"__s{k}") > 0).then(
                        pl.concat_str(
                            [col(f"__s{k}_{i}").clip(upper_bound=counter.max).cast(pl.String) for i in range(low, n)],
                            separator=",",
                        )
                    )
                values.append(pl.concat_str([pl.lit(f"{k}."), col("__pos").cast(pl.String), pl.lit(":"), value]))
            # one lazy query (a rule's flags read its counted column once), and the entries
            # joined by concat_str skipping the nulls, not through a list of them: the caps
            # part's flags and sums ≈ 0.4 → 0.2 s at 200k/2M, one process
            found = (
                days.lazy()
                .filter(col("jurisdiction") == code)
                .with_columns(counts)
                .select("account_id", "__pos", *flags)
                .group_by("account_id", "__pos")
                .agg(sums)
                .select(
                    "account_id",
                    col("__pos").alias("__order"),
                    pl.concat_str(values, separator="|", ignore_nulls=True).alias("__entry"),
                )
                .filter(col("__entry") != "")
                .collect()
            )
            entries.append(found)
        keyed = rows.select(
            "account_id", "jurisdiction", "__zkey", "__dpd", self._dated_may_hold(rows.columns).alias("__dated")
        )
        if entries:
            raw = (
                pl.concat(entries)
                .sort("account_id", "__order")
                .group_by("account_id", maintain_order=True)
                .agg(col("__entry").str.join("|").alias("__raw"))
            )
            keyed = keyed.join(raw, on="account_id", how="left", maintain_order="left")
        else:
            keyed = keyed.with_columns(pl.lit(None, pl.String).alias("__raw"))
        # what _caps_part reads of the days past due and the location, numbered: far fewer
        # distinct rows to take through Python than (dpd, location) pairs
        pairs = keyed.select("jurisdiction", "__dpd", "__zkey").unique()
        classes = [
            (self._limits_class(code, dpd), self._location_class(code, zkey)) for code, dpd, zkey in pairs.iter_rows()
        ]
        pairs = pairs.with_columns(
            pl.Series("__lim", [a for a, _b in classes], dtype=pl.Int64),
            pl.Series("__loc", [b for _a, b in classes], dtype=pl.Int64),
        )
        keyed = keyed.with_columns(col("__raw").fill_null("")).join(
            pairs, on=["jurisdiction", "__dpd", "__zkey"], how="left", maintain_order="left"
        )
        on = ["__lim", "__loc", "__raw", "__dated"]
        combos = keyed.select(on).unique(maintain_order=True)
        # every chunk meets mostly the same few hundred combinations: each is read once per process
        known = self._caps_parts
        caps = [known.get(combo) or known.setdefault(combo, self._caps_part(*combo)) for combo in combos.iter_rows()]
        combos = combos.with_columns(
            pl.Series(_CAPS, [c for c, _full in caps], dtype=pl.String),
            pl.Series("__capsfull", [full for _c, full in caps], dtype=pl.Boolean),
        )
        keyed = keyed.join(combos, on=on, how="left", maintain_order="left")
        parts = keyed.select("account_id", _CAPS, "__capsfull").unique("account_id", keep="first", maintain_order=True)
        full = pl.concat([unreadable, later, parts.filter(col("__capsfull"))["account_id"]]).unique()
        parts = parts.drop("__capsfull")
        return frame.join(parts, on="account_id", how="left", maintain_order="left").with_columns(
            ((has & col("account_id").is_in(full.implode())) | ledger).alias(NEEDS_FULL)
        )

    def _paid_in_window(self, frame: pl.DataFrame, events: pl.DataFrame | None) -> pl.Series:
        """The accounts of ``frame`` with a snapshot promise and a history payment on a day
        of its window (its date to its date + the grace: :func:`~dunning.state.ledger.promise_ledger`).
        Only such a payment enters the promise's ledger: with those outside it the promise
        is kept, open or broken as the snapshot's payment alone makes it (the key's
        ``promise`` part), and its account is keyed instead of planned in full (200k/2M: 1,373
        of 1,473 accounts with a promise and a history payment)."""
        col = pl.col
        if events is None:
            return pl.Series("account_id", [], dtype=pl.String)
        promised = col(date_column("promise_to_pay_date"))
        rows = frame.lazy().filter(col(PLAIN).is_not_null() & promised.is_not_null())
        payments = events.lazy().filter(col("event") == "payment").select("account_id", payment_day().alias("__on"))
        return (
            payments.join(rows.select("account_id", promised.alias("__due")), on="account_id")
            .filter(col("__on").is_between(col("__due"), col("__due") + pl.duration(days=self.planner.grace)))
            .select(col("account_id").unique())
            .collect()["account_id"]
        )

    def _codes(self, rows: pl.DataFrame) -> list[str]:
        return sorted(rows["jurisdiction"].unique().to_list())

    def _location(self, account: Account, zkey: str) -> _Location | None:
        """What the caps part needs of the account's location (see :class:`_Location`), or
        None when one of its zones starts the as-of day before the primary zone does (a
        check could then fall on a local day before as-of, which the caps part does not hold)."""
        key = (account.jurisdiction, zkey)
        if key in self._zones:
            return self._zones[key]
        engine, as_of, last = self.engine, self.planner.as_of, self.planner.last_day
        zones = engine.timezones(account)
        counters = engine.jurisdiction(account.jurisdiction).counters
        names = tuple(dict.fromkeys((*zones, *(c.fixed_zone for c in counters if c.fixed_zone))))
        primary = zone(zones[0])
        start = datetime(as_of.year, as_of.month, as_of.day, tzinfo=primary)
        end = datetime(last.year, last.month, last.day, 23, 59, 59, tzinfo=primary)
        found: _Location | None = None
        shift = max((end.astimezone(zone(name)).date() - last).days for name in names)
        if shift <= 2 and all(start.astimezone(zone(name)).date() >= as_of for name in names):
            # the caps refuse no day past the last of the plan + the longest rule's days: a
            # window after that, inside the search, lets every refused contact find a moment
            first = last + timedelta(days=max((c.per_days for c in counters), default=1) + shift)
            days = range((as_of - first).days + SEARCH_DAYS + 1)
            free = frozenset(
                channel
                for channel in CONTACT_CHANNELS
                if any(engine.windows(account, channel, first + timedelta(days=d)) for d in days)
            )
            found = _Location(tuple((name, name in zones) for name in names), shift, free)
        self._zones[key] = found
        return found

    def _limits_class(self, code: str, dpd: int) -> int:
        """The number of what :meth:`_caps_part` reads of ``dpd`` in jurisdiction ``code``."""
        found = self._limit_classes.get((code, dpd))
        if found is None:
            value = (code, self._limits(code, dpd), self._channels[(code, dpd)])
            found = self._limit_classes[(code, dpd)] = self._class(value)
        return found

    def _location_class(self, code: str, zkey: str) -> int:
        """The number of what :meth:`_caps_part` reads of the location ``zkey`` (asked before)."""
        found = self._location_classes.get((code, zkey))
        if found is None:
            found = self._location_classes[(code, zkey)] = self._class(self._zones[(code, zkey)])
        return found

    def _class(self, value: object) -> int:
        """A number for ``value`` (equal values, one number; per process)."""
        found = self._classes.get(value)
        if found is None:
            found = self._classes[value] = len(self._of_class)
            self._of_class.append(value)
        return found

    def _caps_part(self, lim: int, loc: int, raw: str, dated: bool) -> tuple[str, bool]:
        """The caps part from the counted contacts (``raw``: ``k.zone:c_0,…`` per rule ``k``)
        and whether the row needs the full planner. Only the rules a contact step of the
        horizon is checked against count, and of each only what a check on a day of the plan
        reads (:meth:`_limits`). A refusal's earliest moment past the plan only matters if
        none exists: when a dated exclusion may hold (``dated``) or no window follows the
        refusals, the row is planned in full."""
        if not raw:
            return "", False
        code, limits, channels = self._of_class[lim]
        place = self._of_class[loc]
        counters = self.engine.jurisdiction(code).counters
        assert isinstance(place, _Location)
        horizon = self.planner.horizon + place.shift  # days of the plan, in the latest zone
        out = []
        kept: set[int] = set()
        for entry in raw.split("|"):
            head, values = entry.split(":")
            k = int(head.split(".")[0])
            reached, low = limits[k]
            if not reached:
                continue
            kept.add(k)
            n = counters[k].per_days
            first = max(0, n - 1 - horizon)
            if counters[k].kind == "after":
                # it refuses day j of the plan while the conversation is fewer than n days back
                out.append(f"{head}:{max(int(values), first)}")
                continue
            # a check on day j reads c_i for i ≤ n - 1 - j, the largest of which holds: only
            # c_i, i ≥ n - 1 - horizon, can decide, each from the cap less what the plan adds
            given = max(0, n - 3 - self.planner.horizon)  # the first c_i the columns wrote
            raised = [max(int(v), low) for v in values.split(",")[first - given :]]
            if any(v > low for v in raised):
                out.append(head + ":" + ",".join(map(str, raised)))
        part = "|".join(out)
        # the channels a refused contact could be on: those of the steps the rules left in count
        refused = {c for k in kept for c in counters[k].channels} & channels
        return part, bool(part) and (dated or not refused <= place.free)

    def _dated_may_hold(self, columns: Sequence[str]) -> pl.Expr:
        """True on rows a dated exclusion may hold for on some day (its flags, segments and
        balance bounds: :func:`dunning.compliance.stops._may_hold` on columns, reading a
        reason for arrears as a possible flag)."""
        col = pl.col
        found: pl.Expr = pl.lit(False)
        for exclusion in self.engine._dated:
            cond = exclusion.when
            may: pl.Expr = pl.lit(True)
            if cond.flags:
                mask = sum(1 << FLAG_COLUMNS.index(f) for f in cond.flags if f in FLAG_COLUMNS)
                # a flag that is no column comes from the state only (a reason for arrears)
                flagged = (
                    pl.lit(True)
                    if any(f not in FLAG_COLUMNS for f in cond.flags)
                    else ((col("__flags") & mask) == mask)
                )
                if "arrears_reason" in columns:
                    flagged = flagged | (col("arrears_reason") != "")
                may = may & flagged
            if cond.segments:
                may = may & col("segment").is_in(list(cond.segments))
            for amounts, above in ((cond.max_overdue, True), (cond.min_overdue, False)):
                if not amounts:
                    continue
                for currency in sorted({*amounts.by_currency, "*"}):
                    level = amounts.by_currency.get(currency, amounts.default) if currency != "*" else amounts.default
                    if level is None:
                        continue
                    scaled = level.scaleb(self.scale)
                    outside = col("__amount4") > floor(scaled) if above else col("__amount4") < -floor(-scaled)
                    which = (
                        col("currency") == currency
                        if currency != "*"
                        else ~col("currency").is_in(sorted(amounts.by_currency))
                    )
                    may = may & ~(which & outside)
            found = found | may
        return found

    def _limits(self, code: str, dpd: int) -> tuple[tuple[bool, int], ...]:
        """Per frequency rule of jurisdiction ``code``: whether a contact step of the horizon
        can be checked against it at ``dpd`` days past due, and the count at or below which
        the history cannot make it refuse: the cap less the contacts the plan can add. A check
        refuses when the counted contacts already there reach the cap; the plan's own contact
        being checked is not among them, so a check sees at most ``most - 1`` planned ones and
        ``cap - most`` from the history leave it short of the cap (``cap - most - 1``, the bound
        before, kept apart accounts that decide alike: a quarter of the keys with history)."""
        key = (code, dpd)
        found = self._cap_limits.get(key)
        if found is not None:
            return found
        strategies = list(self.policy.strategies.values())
        highs = sorted({t.dpd.high for t in self.policy.tiers}, key=lambda h: -1 if h is None else h)
        horizon = range(self.planner.horizon + 1)
        self._channels[key] = frozenset(
            step.channel
            for strategy in strategies
            for step in strategy.steps
            if self.planner.tracks_sent or any(step.fires_on(dpd + o, high) for o in horizon for high in highs)
        )
        out = []
        for counter in self.engine.jurisdiction(code).counters:
            if self.planner.tracks_sent:
                # catching up adds occurrences of earlier days: no bound is taken
                out.append((any(step.channel in counter.channels for s in strategies for step in s.steps), 0))
                continue
            most = max(
                (
                    sum(
                        1
                        for step in strategy.steps
                        if step.channel in counter.channels
                        for o in range(self.planner.horizon + 1)
                        if any(step.fires_on(dpd + o, high) for high in highs)
                    )
                    for strategy in strategies
                ),
                default=0,
            )
            out.append((most > 0, max(0, counter.max - most)))
        found = self._cap_limits[key] = tuple(out)
        return found


def _state_reach(conditions: Sequence[Condition]) -> tuple[int, int, int, int]:
    """The largest number of days since the last contact, since the last right-party
    contact, of unanswered calls, and of days since a payment that ``conditions`` ask about
    (0: none asks)."""
    return (
        max((c.days_since_last_contact or 0 for c in conditions), default=0),
        max(
            (max(c.days_since_right_party_contact or 0, c.no_conversation_for_days or 0) for c in conditions),
            default=0,
        ),
        max((c.failed_attempts or 0 for c in conditions), default=0),
        max((c.paid_since_days or 0 for c in conditions), default=0),
    )
