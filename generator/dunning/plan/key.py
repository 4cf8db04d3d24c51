"""The decision key: every input an account's plan depends on, in one definition.

Accounts that decide alike share one decision, planned once: the first account with a key
is planned by the full :class:`~dunning.plan.decide.Planner`, and every later one takes
that plan with its own values in the slots the key leaves open (:data:`SLOTS`). The key
is computed here on columns (a screened chunk, :func:`dunning.accounts.read.screen_frame`)
and nowhere else: the plan run (:mod:`dunning.plan.columnar`) and ``dunning review``
(:mod:`dunning.review.impact`, which has :class:`Account` records and goes through
:meth:`DecisionKey.of`) read the same expressions.

:data:`KEY_INPUTS` names each part; :meth:`DecisionKey.parts` builds exactly those (it
fails when the two disagree), and ``tests/plan/test_decision_key.py`` varies every
snapshot field, the horizon and whether the run tracks sends, and checks that the shared
path gives the plan the full planner gives: an input missing from the key shows there.

Accounts whose history holds only contacts and payments are keyed too: the parts read
off their history (state, outcome counts, caps) are :mod:`dunning.plan.key_history`'s;
accounts with any other history are planned in full.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from math import floor, prod
from types import MappingProxyType

import polars as pl

from dunning.accounts.model import FLAG_COLUMNS, Account
from dunning.accounts.read import date_column
from dunning.accounts.source import LINE
from dunning.compliance.notices import ENFORCEMENT
from dunning.compliance.timezones import REGION_AT_END, ZIP_AT_END, phone_prefix_length, zones_for_phone
from dunning.plan.arms import arm_limits, buckets
from dunning.plan.backlog import backlog, requirement_days
from dunning.plan.decide import Planner
from dunning.plan.key_history import NEEDS_FULL, HistoryKey
from dunning.plan.model import AccountPlan, Exclusion
from dunning.plan.offers import offer_terms
from dunning.policy.model import Amounts, Condition, Policy
from dunning.state.account import snapshot_reason
from dunning.state.columns import LAST_CONTACT, LAST_RPC, PAID, PLAIN, UNANSWERED

SCALE = 4  # balances compared in 1/10,000 units (R004 keeps every balance within it)
CANONICAL = r"^(0|[1-9]\d{0,13})(\.\d{1,4})?$"  # a balance the key (and the fill) reads exactly
KEY = "__key"
CUT = "__cut"  # the key less its caps part (the last)
KEY_SEPARATOR = "\x1e"  # between the parts (no part holds it)

# Every part of the key, in order, and why the plan depends on it.
KEY_INPUTS: Mapping[str, str] = MappingProxyType(
    {
        "dpd_class": "days past due: which tiers hold, which steps fire on each day of the horizon (the day itself "
        "where an agency or legal step fires: a default notice's remedy period ends on a date), which "
        "escalations' requirements a cadence could have met (requirement_days) and, when the run tracks "
        "sends, what the cadence still owes (the backlog digest)",
        "jurisdiction": "the law and timetables that apply",
        "currency": "thresholds and offers are per currency",
        "below": "how many of the policy's money thresholds lie below the balance",
        "upto": "how many lie at or below it",
        "positive": "a balance of zero is not collected",
        "product": "the product, when some tier or condition names it",
        "segment": "the segment, when some tier or condition names it",
        "flags": "the eleven flag columns (bits)",
        "phone": "a phone on file (calls, SMS)",
        "email": "an email on file",
        "address": "an address on file (letters, visits)",
        "invalid": "contact points present but unusable (data-quality codes)",
        "promise": "the promise's day relative to the as-of date (one class past the horizon) and "
        "whether the snapshot's payment kept it",
        "payment": "which side of each no_payment_for_days threshold the last payment is, per horizon day",
        "zones": "what the account's time zones depend on (timezones.location_key)",
        "locale": "the stated locale",
        "arms": "the experiment arm per experiment (hash of the account id), where a tier of it can hold",
        "arrears_reason": "the snapshot's reason for arrears (arrears_reasons conditions; reasons that mark "
        "the customer vulnerable; a word outside the vocabulary pauses)",
        # the history-derived state (dunning.state.columns); accounts whose history holds
        # more than plain contacts and payments are planned in full
        "contacted": "days since the last contact and the last right-party contact, each clipped at the largest "
        "number of days a condition asks about (days_since_last_contact; days_since_right_party_contact, "
        "no_conversation_for_days)",
        "unanswered": "unanswered calls on file, clipped at the largest failed_attempts",
        "paid_since": "days since the last payment (snapshot or history), clipped where no paid_since_days "
        "condition can tell two apart on the days the plan and the earliest-moment search look at",
        "outcomes": "per outcomes_in_last_days word and window, the outcomes on file in each window a day of the "
        "plan can end, clipped at the count asked for",
        # the last, "caps", reaches a plan only through the checks of its contacts:
        # plan/columnar.py cuts it off for a decision without any (its `blind`)
        "caps": "per frequency rule a contact step of the horizon is checked against: the history's counted "
        "contacts in every run of its days that holds a day of the plan, per zone it counts in (clipped at the "
        "cap, and from below where the contacts the plan itself can add cannot reach it); the after-"
        "conversation rule: the day of the last conversation within its days. Empty, no cap can refuse a "
        "contact of the plan for the history's sake: the account decides as one without a history (the first "
        "contact that the planner leaves unchecked without one, on the as-of day, the check allows with it)",
    }
)
# The parts that are small numbers (counts, bits), in KEY_INPUTS order: the key writes them
# as one number (DecisionKey._texts) where the first stands.
PACKED = ("below", "upto", "positive", "flags", "phone", "email", "address", "invalid")
# What a shared decision leaves open, filled from each account's own row.
SLOTS = ("account_id", "overdue_amount", "offers", "dpd", "promise/open words", "line")


def thresholds(policy: Policy) -> dict[str, list[Decimal]]:
    """Every money threshold of the policy per currency (tiers and conditions), sorted;
    ``"*"``: those that hold for every currency."""
    found: dict[str, set[Decimal]] = {}

    def add(amounts: Amounts) -> None:
        for currency, value in amounts.by_currency.items():
            found.setdefault(currency, set()).add(value)
        if amounts.default is not None:
            found.setdefault("*", set()).add(amounts.default)

    for cond in _conditions(policy):
        add(cond.min_overdue)
        add(cond.max_overdue)
    for tier in policy.tiers:
        add(tier.min_amount)
        add(tier.max_amount)
    common = found.pop("*", set())
    return {currency: sorted(values | common) for currency, values in found.items()} | {"*": sorted(common)}


def _conditions(policy: Policy) -> list[Condition]:
    return [
        *(e.when for e in policy.exclusions),
        *(o.when for o in policy.offers),
        *(step.when for strategy in policy.strategies.values() for step in strategy.steps),
    ]


class DecisionKey:
    """The decision key of a planner (policy, as-of date, horizon, whether sends are tracked)."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        policy = self.policy = planner.policy
        self.grace = policy.settings.promise_grace_days
        self.thresholds = thresholds(policy)
        conditions = _conditions(policy)
        # days-without-payment thresholds: only which side of each the account is on matters
        self.payment_days = tuple(sorted({c.no_payment_for_days for c in conditions if c.no_payment_for_days}))
        # only the products and segments some rule names tell accounts apart
        self.products = sorted(
            {*(p for t in policy.tiers for p in t.products), *(p for c in conditions for p in c.products)}
        )
        self.segments = sorted(
            {*(g for t in policy.tiers for g in t.segments), *(g for c in conditions for g in c.segments)}
        )
        self.arm_limits = [arm_limits(e) for e in policy.experiments]
        self.radices = self._radices()  # of the key's packed numbers
        # an arm matters only for accounts a tier of its experiment can hold
        self.arm_ranges = [
            [(t.dpd.low, t.dpd.high) for t in policy.tiers if t.id in e.tiers] for e in policy.experiments
        ]
        self._dpd_classes: dict[int, str] = {}  # per process: every chunk asks for the same few hundred
        self._dpd_rows: dict[int, tuple[int, str, int, int, int, int]] = {}  # see _by_dpd
        self._dpd_table = pl.DataFrame(
            schema={"__dpd": pl.Int64, "__dpdc": pl.String, **{f"__reach{i}": pl.Int64 for i in range(4)}}
        )
        # the parts read off the history (plan/key_history.py)
        self.history = HistoryKey(planner, conditions, SCALE)

    # ------------------------------------------------------------------ on columns
    def columns(
        self, good: pl.DataFrame, events: pl.DataFrame | None = None, blind: Collection[str] = ()
    ) -> pl.DataFrame:
        """``good`` (screened rows with canonical balances) with the key in :data:`KEY` and
        the columns the fill reads: ``__dpd``, ``__amount4``, ``__promise_words``.

        Rows with history carry their derived state (:func:`dunning.state.columns.derived_state`,
        joined by the caller; only plain ones) and ``events`` holds their events
        (:func:`dunning.state.columns.event_columns`); a row whose key the columns cannot
        give has a null :data:`KEY` and is planned in full. ``blind``: keys less their caps
        part (:data:`CUT`) whose decision has no contact to check, so is every caps part's:
        the caps of their rows are not read (an empty part)."""
        as_of = self.planner.as_of
        grace = self.grace
        col = pl.col
        if PLAIN not in good.columns:
            good = good.with_columns(
                pl.lit(None, pl.Boolean).alias(PLAIN),
                pl.lit(None, pl.Int64).alias(LAST_CONTACT),
                pl.lit(None, pl.Int64).alias(LAST_RPC),
                pl.lit(None, pl.Int64).alias(UNANSWERED),
                pl.lit(None, pl.Date).alias(PAID),
            )
        due = col(date_column("due_date"))
        # the state's last payment: the latest of the snapshot's and the history's
        snapshot_paid = col(date_column("last_payment_date"))
        paid = pl.max_horizontal(snapshot_paid, col(PAID))
        promised = col(date_column("promise_to_pay_date"))
        parts = col("overdue_amount").str.split_exact(".", 1)
        amount4 = parts.struct.field("field_0").cast(pl.Int64) * 10**SCALE + (
            parts.struct.field("field_1").fill_null("").str.pad_end(SCALE, "0").cast(pl.Int64)
        )
        frame = good.with_columns(
            (pl.lit(as_of) - due).dt.total_days().alias("__dpd"),
            amount4.alias("__amount4"),
            (pl.lit(as_of) - paid).dt.total_days().alias("__paid_days"),
            (promised - pl.lit(as_of)).dt.total_days().alias("__promise_days"),
            # the words of an open promise (decide.py), JSON-quoted, for the templates' slot
            pl.concat_str(
                [
                    pl.lit('"promise to pay on '),
                    promised.dt.to_string("%Y-%m-%d"),
                    pl.lit("; cadence paused until "),
                    (promised + pl.duration(days=grace)).dt.to_string("%Y-%m-%d"),
                    pl.lit('"'),
                ]
            )
            .fill_null("")
            .alias("__promise_words"),
            # kept by the snapshot's payment: one in the promise's window, on or before as-of,
            # and a promise that names no amount (dunning.state.ledger); a history payment
            # does not enter it: with one in the window the row is planned in full
            # (HistoryKey.caps), one outside it is not in the ledger
            (
                (snapshot_paid >= promised)
                & (snapshot_paid <= pl.lit(as_of))
                & (snapshot_paid <= promised + pl.duration(days=grace))
                & (col("promise_amount").fill_null("") == "")
            )
            .fill_null(False)
            .alias("__kept"),
        )
        frame = frame.with_columns(self._arms(frame))
        # what each day count decides (its class, the history state's reach) in one join
        frame = frame.join(self._by_dpd(frame["__dpd"]), on="__dpd", how="left", maintain_order="left")
        frame = frame.with_columns(_zones(frame["phone"]).alias("__zkey"))
        frame = self.history.outcomes(frame, events)
        parts_by_input = self.parts(frame)
        caps = parts_by_input.pop("caps")
        frame = frame.with_columns(pl.concat_str(self._texts(parts_by_input), separator=KEY_SEPARATOR).alias(CUT))
        # a row whose decision without the caps is known to have no contact to check takes
        # it whatever its caps: they are not read (without events there are none to read:
        # the test would cost a search of every row's key among thousands for nothing)
        skip = (
            col(CUT).is_in(pl.Series(list(blind), dtype=pl.String).implode()) if blind and events is not None else None
        )
        frame = self.history.caps(frame, events, skip)
        key = pl.concat_str([col(CUT), caps], separator=KEY_SEPARATOR)
        return frame.with_columns(pl.when(col(NEEDS_FULL)).then(pl.lit(None, pl.String)).otherwise(key).alias(KEY))

    def parts(self, frame: pl.DataFrame) -> dict[str, pl.Expr]:
        """The key's parts by :data:`KEY_INPUTS` name (``frame``: from :meth:`columns`)."""
        horizon = self.planner.horizon
        grace = self.grace
        col = pl.col
        lo_expr, hi_expr = _class_exprs(self.thresholds["*"])
        for currency, levels in sorted(self.thresholds.items()):
            if currency == "*":
                continue
            lo, hi = _class_exprs(levels)
            lo_expr = pl.when(col("currency") == currency).then(lo).otherwise(lo_expr)
            hi_expr = pl.when(col("currency") == currency).then(hi).otherwise(hi_expr)
        # a step on day as_of + o (o ≤ horizon) asks "days since payment + o ≥ N"
        payment = [
            pl.when(col("__paid_days").is_null())
            .then(pl.lit("-"))
            .otherwise((col("__paid_days") - n).clip(-horizon - 1, 0).cast(pl.String))
            for n in self.payment_days
        ]
        # A promise past the horizon is open on every day the plan looks at: its date only
        # shows in the words of the promise/open exclusion, which the fill writes per row, so
        # all such promises share one key instead of one per date. A long-broken one only
        # counts as broken.
        promise_days = col("__promise_days").clip(lower_bound=-grace - 2).cast(pl.String)
        promise = (
            pl.when(col("__promise_days").is_null())
            .then(pl.lit("-"))
            .otherwise(
                pl.concat_str(
                    [
                        pl.when(col("__promise_days") > horizon).then(pl.lit("later")).otherwise(promise_days),
                        col("__kept").cast(pl.String),
                    ],
                    separator="/",
                )
            )
        )
        present = {point: (col(point) != "").cast(pl.Int64) for point in ("phone", "email", "address")}
        found = {
            "dpd_class": col("__dpdc"),
            "jurisdiction": col("jurisdiction"),
            "currency": col("currency"),
            # the small numbers (PACKED) are integers here: the key writes them as one (_texts)
            "below": lo_expr,
            "upto": hi_expr,
            "positive": (col("__amount4") > 0).cast(pl.Int64),
            "product": _named(col("product"), self.products),
            "segment": _named(col("segment"), self.segments),
            "flags": col("__flags").cast(pl.Int64),
            **present,
            "invalid": col("__invalid").cast(pl.Int64),
            "promise": promise,
            "payment": pl.concat_str([pl.lit(""), *payment], separator="\x1f"),
            "zones": col("__zkey"),
            "locale": col("locale"),
            "arms": pl.concat_str(
                [pl.lit(""), *(col(f"__arm{i}") for i in range(len(self.policy.experiments)))], separator="\x1f"
            ),
            # the state's snapshot_reason (dunning.state.account)
            "arrears_reason": col("arrears_reason").str.to_lowercase()
            if "arrears_reason" in frame.columns
            else pl.lit(""),
            **self.history.parts(),
        }
        assert tuple(found) == tuple(KEY_INPUTS), "the key's parts and KEY_INPUTS disagree"
        # plan/columnar.py cuts the last off (a decision blind to it)
        assert tuple(KEY_INPUTS)[-1] == "caps"
        return found

    def _texts(self, parts: Mapping[str, pl.Expr]) -> list[pl.Expr]:
        """The key's text parts in order, the :data:`PACKED` numbers written as one in the
        place of the first: eight casts to text and eight more parts to concatenate were a
        fifth of the key's concatenation (≈ 1.5 of 7 ms a 10k-row chunk). Mixed-radix, each
        number below its radix (:meth:`_radices`), so the one number tells every tuple apart
        as the eight parts did."""
        radices = self.radices
        packed: pl.Expr = pl.lit(0, pl.Int64)
        for name in PACKED:
            packed = packed * radices[name] + parts[name]
        texts = []
        for name, expr in parts.items():
            if name == PACKED[0]:
                texts.append(packed.cast(pl.String))
            elif name not in PACKED:
                texts.append(expr)
        return texts

    def _radices(self) -> dict[str, int]:
        """One more than the largest value of each :data:`PACKED` part."""
        levels = 1 + max(len(v) for v in self.thresholds.values())  # below, upto: 0 … #levels
        radices = {"below": levels, "upto": levels, "positive": 2, "flags": 1 << len(FLAG_COLUMNS)}
        radices |= {"phone": 2, "email": 2, "address": 2, "invalid": 4}
        assert tuple(radices) == PACKED
        # the product is #levels² · 2^17: only millions of money thresholds would overflow
        assert prod(radices.values()) < 1 << 62, "too many money thresholds for the key's packed part"
        return radices

    def _arms(self, frame: pl.DataFrame) -> list[pl.Series]:
        col = pl.col
        arms = []
        for i, (experiment, ranges, limits) in enumerate(
            zip(self.policy.experiments, self.arm_ranges, self.arm_limits, strict=True)
        ):
            inside = pl.lit(False)
            for low, high in ranges:
                inside = inside | ((col("__dpd") >= low) & (pl.lit(True) if high is None else col("__dpd") <= high))
            mask = frame.select(inside).to_series()
            # sha256 per account (the arm must be stable across runs and tools), the rest on
            # columns; only the ids are filtered (filtering the frame, ≈ 60 columns, cost more
            # than the hashes' Python loop outside it)
            slots = pl.Series(buckets(experiment.id, frame["account_id"].filter(mask).to_list()), dtype=pl.Int64)
            arm: pl.Expr = pl.lit("-")
            for limit, choice in reversed(limits):
                arm = pl.when(pl.lit(slots) < limit).then(pl.lit(choice.id)).otherwise(arm)
            column = pl.repeat("", frame.height, dtype=pl.String, eager=True).alias(f"__arm{i}")
            arms.append(column.scatter(mask.arg_true(), pl.select(arm).to_series()) if slots.len() else column)
        return arms

    def _by_dpd(self, dpds: pl.Series) -> pl.DataFrame:
        """Per day count of ``dpds``: its class (``__dpdc``) and the history state's reach
        (``__reach0`` … ``__reach3``), from a table kept per process (every chunk asks for the
        same few hundred) and grown with the day counts it has not seen."""
        new = [d for d in dpds.unique().to_list() if d is not None and d not in self._dpd_rows]
        if new:
            for d in sorted(new):
                self._dpd_rows[d] = (d, self._dpd_class(d), *self.history.reach(d))
            self._dpd_table = pl.DataFrame(
                sorted(self._dpd_rows.values()),
                schema={"__dpd": pl.Int64, "__dpdc": pl.String, **{f"__reach{i}": pl.Int64 for i in range(4)}},
                orient="row",
            )
        return self._dpd_table

    def _dpd_class(self, dpd: int) -> str:
        """What days past due decides: which tiers' bounds hold and which steps fire on each
        day of the horizon (for every tier's upper bound). The number itself is a slot."""
        found = self._dpd_classes.get(dpd)
        if found is None:
            found = self._dpd_classes[dpd] = self._classify_dpd(dpd)
        return found

    def _classify_dpd(self, dpd: int) -> str:
        tiers = self.policy.tiers
        bits = [t.dpd.contains(dpd) for t in tiers]
        highs = sorted({t.dpd.high for t in tiers}, key=lambda h: -1 if h is None else h)
        for strategy in self.policy.strategies.values():
            for step in strategy.steps:
                for high in highs:
                    bits.extend(step.fires_on(dpd + o, high) for o in range(self.planner.horizon + 1))
        # which escalations' requirements a cadence could have met by now (plan/backlog.py)
        bits.extend(requirement_days(self.policy, dpd))
        owed = ""
        if self.planner.tracks_sent:
            # what the cadence still owes from earlier days (plan/backlog.py) decides too; its
            # digest keeps the class short (every account's key carries it)
            found = [
                backlog(strategy, step, dpd, tier.dpd.low, tier.dpd.high)
                for tier in tiers
                for strategy in self.policy.strategies.values()
                for step in strategy.steps
            ]
            owed = ":" + hashlib.sha256(repr(found).encode()).hexdigest()[:12]
        # an agency or legal step waits for a default notice's remedy period, which ends on a
        # date (the notice's service is counted in business days, Planner._remedy_wait): where
        # one fires on a day of the horizon (a repeating step fires on many), the day decides
        enforcing = any(
            step.channel in ENFORCEMENT and step.fires_on(dpd + o, high)
            for strategy in self.policy.strategies.values()
            for step in strategy.steps
            for high in highs
            for o in range(self.planner.horizon + 1)
        )
        # the bits in hex: every account's key carries its class, and a quarter of the
        # length is less to concatenate and hash per row (every class has the same length)
        text = "".join("1" if b else "0" for b in bits)
        return (f"{int(text, 2):0{(len(bits) + 3) // 4}x}" if text else "") + owed + (f"@{dpd}" if enforcing else "")

    # ------------------------------------------------------------------ on records
    def of(self, accounts: Sequence[Account]) -> list[str | None]:
        """The key of each account (None: a balance the key cannot read exactly, planned in
        full): the accounts as the screened columns :meth:`columns` reads."""
        if not accounts:
            return []
        text = {
            name: [getattr(a, name) for a in accounts]
            for name in (
                "account_id", "jurisdiction", "currency", "product", "segment", "phone", "email", "address",
                "timezone", "postal_code", "locale",
            )
        }  # fmt: skip
        text["arrears_reason"] = [snapshot_reason(a) for a in accounts]
        frame = pl.DataFrame(
            {
                **text,
                "overdue_amount": [format(a.overdue_amount, "f") for a in accounts],
                "promise_amount": ["" if a.promise_amount is None else str(a.promise_amount) for a in accounts],
                "__flags": [sum(1 << i for i, f in enumerate(FLAG_COLUMNS) if f in a.flags) for a in accounts],
                "__invalid": [("phone" in a.invalid) + 2 * ("email" in a.invalid) for a in accounts],
                date_column("due_date"): [a.due_date for a in accounts],
                date_column("last_payment_date"): [a.last_payment_date for a in accounts],
                date_column("promise_to_pay_date"): [a.promise_to_pay_date for a in accounts],
                LINE: [a.line for a in accounts],
            },
            schema_overrides={
                "__flags": pl.Int64,
                "__invalid": pl.Int8,
                date_column("due_date"): pl.Date,
                date_column("last_payment_date"): pl.Date,
                date_column("promise_to_pay_date"): pl.Date,
                LINE: pl.Int64,
            },
        ).with_row_index("__at")
        readable = frame.filter(pl.col("overdue_amount").str.contains(CANONICAL))
        keys: list[str | None] = [None] * len(accounts)
        if readable.height:
            keyed = self.columns(readable)
            for at, key in zip(keyed["__at"].to_list(), keyed[KEY].to_list(), strict=True):
                keys[at] = key
        return keys

    def share(self, model: AccountPlan, account: Account) -> AccountPlan:
        """The plan of ``account`` from ``model``, the plan of another account with the same
        key: the :data:`SLOTS` filled from ``account``."""
        cut = len(model.account_id)
        aid = account.account_id
        as_of = self.planner.as_of
        offers = {o.id: o for o in self.policy.offers}
        exclusions = model.exclusions
        if account.promise_to_pay_date is not None and any(e.code == "promise/open" for e in exclusions):
            until = date.fromordinal(account.promise_to_pay_date.toordinal() + self.grace)
            words = f"promise to pay on {account.promise_to_pay_date}; cadence paused until {until}"
            exclusions = tuple(Exclusion(e.code, words) if e.code == "promise/open" else e for e in exclusions)
        return replace(
            model,
            account_id=aid,
            overdue_amount=account.overdue_amount,
            dpd=(as_of - account.due_date).days,
            line=account.line,
            exclusions=exclusions,
            actions=tuple(replace(a, id=aid + a.id[cut:]) for a in model.actions),
            offers=tuple(offer_terms(offers[o.id], account, as_of) for o in model.offers),
        )


def _named(column: pl.Expr, names: list[str]) -> pl.Expr:
    """The value when some rule names it, else one placeholder for all others."""
    if not names:
        return pl.lit("")
    return pl.when(column.is_in(names)).then(column).otherwise(pl.lit("\x01"))


def _class_exprs(levels: list[Decimal]) -> tuple[pl.Expr, pl.Expr]:
    """(#levels < balance, #levels ≤ balance), exactly, on the 1/10,000-unit balance."""
    below: pl.Expr = pl.lit(0)
    upto: pl.Expr = pl.lit(0)
    amount = pl.col("__amount4")
    for level in levels:
        scaled = level.scaleb(SCALE)
        whole = floor(scaled)
        if scaled == whole:
            below = below + (pl.lit(whole) < amount).cast(pl.Int64)
            upto = upto + (pl.lit(whole) <= amount).cast(pl.Int64)
        else:  # a non-whole level lies strictly between two balances
            below = below + (pl.lit(whole) < amount).cast(pl.Int64)
            upto = upto + (pl.lit(whole) < amount).cast(pl.Int64)
    return below, upto


def _zones(phones: pl.Series) -> pl.Expr:
    """timezones.location_key's parts: every location counts, the stated zone too."""
    col = pl.col
    return pl.concat_str(
        [
            col("timezone"),
            _phone_zones(phones),
            col("postal_code").str.slice(0, 3),
            col("address").str.extract(ZIP_AT_END, 1).str.slice(0, 3).fill_null(""),
            col("address").str.extract(REGION_AT_END, 1).str.to_uppercase().fill_null(""),
        ],
        separator="\x1f",
    )


def _phone_zones(phones: pl.Series) -> pl.Expr:
    """The zones each phone number places its holder in, as text (timezones.phone_zones on
    columns): the deciding prefix of each number, then the zones of each distinct prefix —
    two small lookups per chunk instead of one per number."""
    starts = phones.str.head(4)
    lengths = starts.replace_strict(
        {s: phone_prefix_length(s) for s in starts.unique().to_list()}, return_dtype=pl.Int64
    )
    prefixes = phones.str.head(lengths)
    zones = {p: " ".join(zones_for_phone(p)) for p in prefixes.unique().to_list()}
    return pl.lit(prefixes.replace_strict(zones, return_dtype=pl.String))
