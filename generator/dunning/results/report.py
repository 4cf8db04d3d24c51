"""`dunning report`: what the policy achieved in a period, per group, and which arm won.

Inputs: the compiled policy, the contact history, the period ``[start, end]`` (inclusive
local dates), the start snapshot (who was in which tier, strategy and arm on the first day)
and optionally the end snapshot (who cured or rolled). Everything is counted columnar; the
definitions are in :mod:`dunning.results.definitions` and ``docs/report.md``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from babel.numbers import get_currency_precision

from dunning.errors import UserError
from dunning.plan.backlog import ACTION_ID_REST
from dunning.policy.model import Policy
from dunning.results.cohort import arrears_reasons, assign
from dunning.results.definitions import (
    ACCOUNT_KEYS,
    ARREARS_REASON,
    ATTEMPTS,
    DELIVERED,
    EVENT_KEYS,
    KEYS,
    LIQUIDATION,
    PAYMENT,
    PROMISE,
    RATES,
    RIGHT_PARTY,
)
from dunning.results.events import in_period, scan_history
from dunning.results.intervals import MIN_PER_ARM, difference, sentence

SCHEMA_VERSION = 1
COUNTS = (
    "accounts",
    "accounts_attempted",
    "accounts_reached",
    "accounts_right_party",
    "accounts_promised",
    "attempts",
    "delivered",
    "right_party_contacts",
    "promises",
    "promises_due",
    "promises_kept",
    "payments",
    "cured",
    "rolled",
)


@dataclass(frozen=True)
class ReportRequest:
    """What to report on."""

    policy: Policy
    policy_path: Path
    history: Path
    start: date
    end: date
    accounts: Path
    accounts_end: Path | None = None
    by: tuple[str, ...] = ("tier",)
    jobs: int | None = None


@dataclass
class Group:
    """One group's counts, money per currency and rates."""

    key: dict[str, str | None]
    counts: dict[str, int]
    paid: dict[str, Decimal] = field(default_factory=dict)
    cost: dict[str, Decimal] = field(default_factory=dict)
    overdue: dict[str, Decimal] = field(default_factory=dict)


def money(amount: Decimal, currency: str) -> str:
    """A decimal string with the currency's minor units (2 for CNY and USD, 0 for JPY)."""
    places = get_currency_precision(currency)
    return str(amount.quantize(Decimal(1).scaleb(-places)))


def rate(numerator: int, denominator: int) -> str | None:
    """A rate as a decimal string with four places (null when nothing to divide by)."""
    if denominator == 0:
        return None
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001")))


def _money_rate(numerator: Decimal, denominator: Decimal) -> str | None:
    if denominator == 0:
        return None
    return str((numerator / denominator).quantize(Decimal("0.0001")))


def _check(request: ReportRequest) -> None:
    unknown = [k for k in request.by if k not in KEYS]
    if unknown:
        raise UserError(f"--by: unknown group key(s) {', '.join(unknown)}", hint="use some of " + ", ".join(KEYS))
    if request.end < request.start:
        raise UserError(f"--to {request.end} is before --from {request.start}", hint="the period is [--from, --to]")


def _templates(policy: Policy) -> pl.DataFrame:
    """(strategy, channel, day) -> template: an event's template from its action id."""
    rows = [
        (strategy.id, step.channel, str(step.day), step.template)
        for strategy in policy.strategies.values()
        for step in strategy.steps
    ]
    return pl.DataFrame(
        rows, schema={"s": pl.String, "c": pl.String, "d": pl.String, "step_template": pl.String}, orient="row"
    ).unique(["s", "c", "d"], keep="first", maintain_order=True)


def _replacements(policy: Policy) -> pl.DataFrame:
    rows = [
        (experiment.id, arm.id, old, new)
        for experiment in policy.experiments
        for arm in experiment.arms
        for old, new in arm.templates.items()
    ]
    return pl.DataFrame(
        rows,
        schema={"experiment": pl.String, "arm": pl.String, "step_template": pl.String, "replacement": pl.String},
        orient="row",
    )


def _with_step_template(events: pl.LazyFrame, policy: Policy) -> pl.LazyFrame:
    """The step each event's ``action_id`` names (``<account>-<strategy>-<channel><day>-<yyyymmdd>``)
    as ``step_template``: read from the event alone, so it runs before the events meet their
    accounts (:func:`_with_template` then applies the account's arm)."""
    parts = (
        pl.col("action_id")
        .str.strip_prefix(pl.col("account_id") + "-")
        .str.extract_groups(ACTION_ID_REST)
        .struct.rename_fields(["s", "c", "d", "due"])
    )
    return (
        events.with_columns(parts.alias("_a"))
        .unnest("_a")
        .join(_templates(policy).lazy(), on=["s", "c", "d"], how="left")
        .drop("s", "c", "d", "due")
    )


def _with_template(rows: pl.LazyFrame, policy: Policy) -> pl.LazyFrame:
    """The event's template: its own ``template`` field, else the step its ``action_id`` names
    (``step_template``), as the account's arm replaces it."""
    return (
        rows.join(_replacements(policy).lazy(), on=["experiment", "arm", "step_template"], how="left")
        .with_columns(template=pl.coalesce("template", "replacement", "step_template"))
        .drop("step_template", "replacement")
    )


def _ledger(events: pl.LazyFrame, grace: int, start: date, end: date) -> pl.LazyFrame:
    """Promises whose keep-by day (promised date + grace) falls in the period, each with
    ``kept``: payments of the account in the promise's currency, paid from the day the promise
    was made to its keep-by day, add up to the promised amount."""
    promises = (
        events.filter((pl.col("event") == PROMISE) & (pl.col("day") <= end))
        .with_columns(deadline=pl.col("date") + timedelta(days=grace))
        .filter(pl.col("deadline").is_between(start, end, closed="both"))
        .with_row_index("promise_no")
    )
    payments = events.filter(pl.col("event") == PAYMENT).select(
        "account_id", "currency", paid_on=pl.col("date"), paid=pl.col("amount")
    )
    covered = (
        promises.select("promise_no", "account_id", "currency", "day", "deadline")
        .join(payments, on=["account_id", "currency"], how="inner")
        .filter(pl.col("paid_on").is_between(pl.col("day"), pl.col("deadline"), closed="both"))
        .group_by("promise_no")
        .agg(pl.col("paid").sum())
    )
    return (
        promises.join(covered, on="promise_no", how="left")
        .with_columns(kept=pl.col("paid").fill_null(0) >= pl.col("amount"))
        .drop("paid", "promise_no")
    )


def _cost_table(policy: Policy, currencies: Sequence[str]) -> pl.DataFrame:
    rows = []
    for channel, amounts in policy.costs.items():
        for currency in currencies:
            unit = amounts.get(currency)
            if unit is not None:
                rows.append((channel, currency, unit))
    return pl.DataFrame(
        rows, schema={"channel": pl.String, "currency": pl.String, "unit_cost": pl.Decimal(38, 6)}, orient="row"
    )


@dataclass
class Prepared:
    """What every tabulation of one request shares: the start accounts with their groups and
    outcomes, their events in the period summed per account (a few rows per account, never
    one per event), and the promises due in the period."""

    request: ReportRequest
    accounts: pl.DataFrame
    cells: pl.LazyFrame  # per account, channel, template and payment currency: counts and sums
    events: pl.LazyFrame  # the readable history (all accounts), for the weekly trend
    ledger: pl.LazyFrame  # promises due in the period, each with ``kept``
    rejected: int
    unreadable: int

    @property
    def has_end(self) -> bool:
        """True when an end snapshot tells cures and rolls."""
        return self.request.accounts_end is not None


ACCOUNT_NO = "account_no"
_PEOPLE = ("account_id", "tier", "strategy", "arm", "experiment", "jurisdiction", "arrears_reason")


@contextmanager
def prepared(request: ReportRequest, keys: Sequence[str] | None = None) -> Iterator[Prepared]:
    """Assign the snapshots' groups, scan the history once into a compact Parquet copy (in a
    temporary folder, removed afterwards), sum the period's events per account (and per the
    event's channel, template and payment currency) before they meet the accounts' groups,
    and collect the promises due (a few per account). Memory is bounded by the accounts,
    never by the events: the history only streams, and ten million events never meet the
    million-row group table (that join alone held 1.8 GiB).
    ``keys``: the group keys the tabulations will use (default ``request.by``)."""
    _check(request)
    keys = tuple(keys if keys is not None else request.by)
    policy = request.policy
    cohort = assign(policy, request.policy_path, request.accounts, request.start, jobs=request.jobs)
    with tempfile.TemporaryDirectory(prefix="dunning-report-") as scratch:
        scan = scan_history(request.history, Path(scratch) / "history.parquet", request.end)
        events = scan.events
        accounts = cohort.accounts
        if ARREARS_REASON in keys:
            accounts = _arrears_reason(accounts, request.accounts, events, request.start)
        else:
            accounts = accounts.with_columns(arrears_reason=pl.lit(None, dtype=pl.String))
        # a row number per account: the tabulations join on it, not on the id's text
        accounts = _outcome_at_end(accounts, policy, request).with_row_index(ACCOUNT_NO)
        people = accounts.lazy().select(ACCOUNT_NO, *_PEOPLE, account_currency=pl.col("currency"))
        with_template = "template" in keys
        side = ["channel", "template", "step_template"] if with_template else ["channel"]
        period = in_period(events, request.start, request.end)
        if with_template:
            period = _with_step_template(period, policy)
        summed = Path(scratch) / "cells.parquet"
        try:
            _cells(period, side).sink_parquet(summed, compression="lz4")
        except pl.exceptions.PolarsError as exc:
            raise UserError(f"{request.history}: the history file cannot be read ({type(exc).__name__})") from None
        cells = pl.scan_parquet(summed).join(people, on="account_id", how="inner").drop("account_id")
        # promises and the payments that keep them: a few in a hundred events
        money_events = events.filter(pl.col("event").is_in([PROMISE, PAYMENT])).join(
            people, on="account_id", how="inner"
        )
        if with_template:
            cells = _with_template(cells, policy)
            money_events = _with_template(_with_step_template(money_events, policy), policy)
        money_events = money_events.collect(engine="streaming").lazy()
        ledger = (
            _ledger(money_events, policy.settings.promise_grace_days, request.start, request.end)
            .collect(engine="streaming")
            .lazy()
        )
        yield Prepared(request, accounts, cells, events, ledger, cohort.rejected, scan.unreadable)


# Aggregations over the events run on polars' streaming engine: memory follows the groups
# (a few rows per account), never the ten million events.


def _flagged(events: pl.LazyFrame) -> pl.LazyFrame:
    return events.with_columns(
        attempt=pl.col("event").is_in(sorted(ATTEMPTS)),
        reached=pl.col("event").is_in(sorted(DELIVERED)),
        right_party=pl.col("event").is_in(sorted(RIGHT_PARTY)),
        promised=pl.col("event") == PROMISE,
        payment=pl.col("event") == PAYMENT,
    )


_EVENT_COUNTS = (
    pl.col("attempt").sum().alias("attempts"),
    pl.col("reached").sum().alias("delivered"),
    (pl.col("event") == "right_party_contact").sum().alias("right_party_contacts"),
    pl.col("promised").sum().alias("promises"),
    pl.col("payment").sum().alias("payments"),
    pl.col("attempt").any().cast(pl.Int64).alias("accounts_attempted"),
    pl.col("reached").any().cast(pl.Int64).alias("accounts_reached"),
    pl.col("right_party").any().cast(pl.Int64).alias("accounts_right_party"),
    pl.col("promised").any().cast(pl.Int64).alias("accounts_promised"),
)
_SUMS = ("attempts", "delivered", "right_party_contacts", "promises", "payments")
_ANY = ("accounts_attempted", "accounts_reached", "accounts_right_party", "accounts_promised")


def _cells(period: pl.LazyFrame, side: list[str]) -> pl.LazyFrame:
    """The period's events summed per account and ``side`` (the event's own group keys and the
    payment's currency): the counts, whether the cell had each kind of event (0/1), and the
    amount paid. A group's counts are the sums of its cells' and its ``accounts_*`` counts
    the maxima per account, so nothing later needs an event."""
    return (
        _flagged(period)
        .with_columns(
            pay_currency=pl.when(pl.col("payment")).then(pl.col("currency")),
            pay_amount=pl.when(pl.col("payment")).then(pl.col("amount")),
        )
        .group_by(["account_id", *side, "pay_currency"])
        .agg(*_EVENT_COUNTS, pl.col("pay_amount").sum().alias("paid"))
    )


def tabulate(prep: Prepared, by: Sequence[str]) -> list[dict[str, Any]]:
    """The groups of ``by`` (each a dict in the JSON contract's shape), sorted by key."""
    request = prep.request
    keys = list(by)
    account_keys = [k for k in keys if k in ACCOUNT_KEYS]
    event_keys = [k for k in keys if k in EVENT_KEYS]
    # streaming: an eager group_by of the cells held twice their size
    per_account = (
        prep.cells.group_by([ACCOUNT_NO, *keys])
        .agg(*(pl.col(c).sum() for c in _SUMS), *(pl.col(c).max() for c in _ANY))
        .collect(engine="streaming")
    )
    promise_counts = (
        prep.ledger.group_by([ACCOUNT_NO, *keys])
        .agg(promises_due=pl.len(), promises_kept=pl.col("kept").sum())
        .collect()
    )
    frame = (
        _members(prep.accounts, per_account, promise_counts, account_keys, event_keys)
        .join(per_account, on=[ACCOUNT_NO, *keys], how="left", nulls_equal=True)
        .join(promise_counts, on=[ACCOUNT_NO, *keys], how="left", nulls_equal=True)
    )
    count_columns = [c for c in COUNTS if c != "accounts"]
    frame = frame.with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in count_columns)
    totals = (
        frame.group_by(keys, maintain_order=False)
        .agg(pl.len().alias("accounts"), *(pl.col(c).sum() for c in count_columns))
        .sort(keys, nulls_last=True)
    )
    groups = {
        _key_tuple(row, keys): Group({k: row[k] for k in keys}, {c: int(row[c]) for c in COUNTS})
        for row in totals.iter_rows(named=True)
    }
    _add_money(groups, frame, prep.cells, request.policy, keys)
    return [_group_dict(g, prep.has_end) for g in groups.values()]


def weeks(prep: Prepared) -> list[dict[str, Any]]:
    """The whole book's activity and contact rates week by week (7-day steps from the first
    day; the last week may be shorter), for the trend charts."""
    request = prep.request
    period = _flagged(in_period(prep.events, request.start, request.end)).with_columns(
        week=((pl.col("day") - request.start).dt.total_days() // 7).cast(pl.Int64)
    )
    # summed per account and week first, then kept to the start accounts
    per_account = period.group_by("week", "account_id").agg(*_EVENT_COUNTS)
    mine = per_account.join(prep.accounts.lazy().select("account_id"), on="account_id", how="semi")
    totals = mine.group_by("week").agg(pl.exclude("account_id").sum()).sort("week").collect(engine="streaming")
    found = {row["week"]: row for row in totals.iter_rows(named=True)}
    out = []
    n_weeks = (request.end - request.start).days // 7 + 1
    for week in range(n_weeks):
        first = request.start + timedelta(days=7 * week)
        last = min(first + timedelta(days=6), request.end)
        row = found.get(week, {})
        counts = {c: int(row.get(c, 0)) for c in COUNTS if c not in _NOT_WEEKLY}
        out.append(
            {
                "from": first.isoformat(),
                "to": last.isoformat(),
                **counts,
                "rates": {
                    "contact_rate": rate(counts["accounts_reached"], counts["accounts_attempted"]),
                    "right_party_contact_rate": rate(counts["accounts_right_party"], counts["accounts_attempted"]),
                    "promise_rate": rate(counts["accounts_promised"], counts["accounts_right_party"]),
                },
            }
        )
    return out


_NOT_WEEKLY = ("accounts", "promises_due", "promises_kept", "cured", "rolled")


def _report(prep: Prepared, by: Sequence[str]) -> dict[str, Any]:
    request = prep.request
    ledger_per_account = (
        prep.ledger.group_by("account_id").agg(promises_due=pl.len(), promises_kept=pl.col("kept").sum()).collect()
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "from": request.start.isoformat(),
        "to": request.end.isoformat(),
        "by": list(by),
        "accounts_start": prep.accounts.height,
        "accounts_rejected": prep.rejected,
        "history_unreadable": prep.unreadable,
        "groups": tabulate(prep, by),
        "experiments": _experiments(request.policy, prep.accounts, ledger_per_account, prep.has_end),
    }


def compute(request: ReportRequest) -> dict[str, Any]:
    """The whole report as plain data in the JSON contract's key order (docs/report.md)."""
    with prepared(request) as prep:
        return _report(prep, request.by)


def handbook_page(request: ReportRequest) -> bytes:
    """The handbook's Results page (Markdown) for ``request``: by tier, by strategy, the
    experiments and the weekly trend, small groups hidden (:mod:`dunning.results.page`)."""
    from dunning.results.page import results_page

    with prepared(request, keys=("tier", "strategy")) as prep:
        text = results_page(_report(prep, ("tier",)), _report(prep, ("strategy",)), weeks(prep))
    return text.encode("utf-8")


def _key_tuple(row: dict[str, Any], keys: Sequence[str]) -> tuple[str | None, ...]:
    return tuple(row[k] for k in keys)


def _members(
    accounts: pl.DataFrame,
    per_account: pl.DataFrame,
    promise_counts: pl.DataFrame,
    account_keys: list[str],
    event_keys: list[str],
) -> pl.DataFrame:
    """The (account, key) pairs that make up the groups: every start account for account
    keys; with event keys, each account once per event key it had events in."""
    base = accounts.select(ACCOUNT_NO, *account_keys, "cured", "rolled", "overdue", account_currency=pl.col("currency"))
    if not event_keys:
        return base
    seen = pl.concat(
        [per_account.select(ACCOUNT_NO, *event_keys), promise_counts.select(ACCOUNT_NO, *event_keys)]
    ).unique()
    return base.join(seen, on=ACCOUNT_NO, how="inner")


def _arrears_reason(accounts: pl.DataFrame, snapshot: Path, events: pl.LazyFrame, start: date) -> pl.DataFrame:
    """The reason for arrears on the first day: the latest ``arrears_reason`` event on or
    before it (a collector learnt it in a conversation; the word is in its ``reason``
    field), else the snapshot's column, else ``unknown``."""
    learnt = (
        events.filter((pl.col("event") == ARREARS_REASON) & (pl.col("day") <= start) & pl.col("reason").is_not_null())
        .group_by("account_id")
        .agg(learnt_reason=pl.col("reason").sort_by("day").last())
        .collect()
    )
    recorded = arrears_reasons(snapshot)
    return (
        accounts.join(recorded, on="account_id", how="left")
        .join(learnt, on="account_id", how="left")
        .with_columns(arrears_reason=pl.coalesce("learnt_reason", "arrears_reason").fill_null("unknown"))
        .drop("learnt_reason")
    )


def _outcome_at_end(accounts: pl.DataFrame, policy: Policy, request: ReportRequest) -> pl.DataFrame:
    """``cured`` and ``rolled`` per start account from the end snapshot (0 without one): cured
    when the account is no longer overdue (overdue amount 0, or not in the end snapshot, which
    lists the overdue book); rolled when the policy puts it in a later tier on the last day."""
    if request.accounts_end is None:
        return accounts.with_columns(cured=pl.lit(0, pl.Int64), rolled=pl.lit(0, pl.Int64))
    later = assign(policy, request.policy_path, request.accounts_end, request.end, jobs=request.jobs).accounts
    end = later.select("account_id", end_overdue=pl.col("overdue"), end_order=pl.col("tier_order"))
    joined = accounts.join(end, on="account_id", how="left")
    return joined.with_columns(
        cured=(pl.col("end_overdue").is_null() | (pl.col("end_overdue") == 0)).cast(pl.Int64),
        rolled=(
            pl.col("end_order").is_not_null()
            & (pl.col("end_overdue") > 0)
            & (pl.col("tier_order").is_null() | (pl.col("end_order") > pl.col("tier_order")))
        ).cast(pl.Int64),
    ).drop("end_overdue", "end_order")


def _sum_by(
    frame: pl.DataFrame, keys: list[str], currency: str, amount: str
) -> dict[tuple[str | None, ...], dict[str, Decimal]]:
    out: dict[tuple[str | None, ...], dict[str, Decimal]] = {}
    if frame.is_empty():
        return out
    summed = frame.group_by([*keys, currency]).agg(pl.col(amount).sum()).sort([*keys, currency], nulls_last=True)
    for row in summed.iter_rows(named=True):
        if row[currency] is None or row[amount] is None:
            continue
        out.setdefault(_key_tuple(row, keys), {})[row[currency]] = Decimal(row[amount])
    return out


def _add_money(
    groups: dict[tuple[str | None, ...], Group],
    frame: pl.DataFrame,
    cells: pl.LazyFrame,
    policy: Policy,
    keys: list[str],
) -> None:
    """Paid (payments in the period, in their own currency), cost (each attempt at the unit
    cost the policy declares for its channel, in the account's currency) and the overdue
    amount at the start, per group and currency."""
    paid = (
        cells.filter(pl.col("payments") > 0)
        .group_by([*keys, "pay_currency"])
        .agg(pl.col("paid").sum())
        .collect(engine="streaming")
    )
    currencies = sorted(set(frame.get_column("account_currency").drop_nulls().unique().to_list()))
    costs = (
        cells.filter(pl.col("attempts") > 0)
        .join(
            _cost_table(policy, currencies).lazy(),
            left_on=["channel", "account_currency"],
            right_on=["channel", "currency"],
            how="inner",
        )
        .group_by([*keys, "account_currency"])
        .agg(cost=(pl.col("unit_cost") * pl.col("attempts").cast(pl.Decimal(38, 0))).sum())
        .collect(engine="streaming")
    )
    overdue = frame.select(*keys, "account_currency", "overdue")
    for target, sums in (
        ("paid", _sum_by(paid, keys, "pay_currency", "paid")),
        ("cost", _sum_by(costs, keys, "account_currency", "cost")),
        ("overdue", _sum_by(overdue, keys, "account_currency", "overdue")),
    ):
        for key, by_currency in sums.items():
            if key in groups:
                setattr(groups[key], target, by_currency)


def _group_dict(group: Group, has_end: bool) -> dict[str, Any]:
    c = group.counts
    rates: dict[str, Any] = {}
    for name, (numerator, denominator) in RATES.items():
        if name in ("cure_rate", "roll_rate") and not has_end:
            rates[name] = None
        else:
            rates[name] = rate(c[numerator], c[denominator])
    rates[LIQUIDATION] = {
        cur: _money_rate(group.paid.get(cur, Decimal(0)), amount) for cur, amount in sorted(group.overdue.items())
    }
    rates["cost_per_unit_collected"] = {
        cur: _money_rate(amount, group.paid[cur]) for cur, amount in sorted(group.cost.items()) if group.paid.get(cur)
    }
    return {
        "key": group.key,
        "accounts": c["accounts"],
        "attempts": c["attempts"],
        "delivered": c["delivered"],
        "right_party_contacts": c["right_party_contacts"],
        "promises": c["promises"],
        "promises_due": c["promises_due"],
        "promises_kept": c["promises_kept"],
        "payments": c["payments"],
        "paid": {cur: money(v, cur) for cur, v in sorted(group.paid.items())},
        "cured": c["cured"] if has_end else None,
        "rolled": c["rolled"] if has_end else None,
        "cost": {cur: money(v, cur) for cur, v in sorted(group.cost.items())},
        "accounts_attempted": c["accounts_attempted"],
        "accounts_reached": c["accounts_reached"],
        "accounts_right_party": c["accounts_right_party"],
        "accounts_promised": c["accounts_promised"],
        "overdue_start": {cur: money(v, cur) for cur, v in sorted(group.overdue.items())},
        "rates": rates,
    }


@dataclass(frozen=True)
class ArmTally:
    """One arm's accounts, cures and promises."""

    arm: str
    accounts: int
    cured: int
    promises_due: int
    promises_kept: int

    def as_dict(self, has_end: bool) -> dict[str, Any]:
        """The arm in the JSON contract (cures unknown without an end snapshot)."""
        return {
            "arm": self.arm,
            "accounts": self.accounts,
            "cured": self.cured if has_end else None,
            "promises_due": self.promises_due,
            "promises_kept": self.promises_kept,
        }


# (metric, words, verb, successes, base) of each comparison
_METRICS = (
    ("cure_rate", "cure rate", "cures", "cured", "accounts"),
    ("kept_rate", "kept rate", "keeps", "promises_kept", "promises_due"),
)


def _compare(champion: ArmTally, challenger: ArmTally, metric: tuple[str, str, str, str, str]) -> dict[str, Any]:
    name, words, verb, hits, base = metric
    n_a, n_b = getattr(champion, base), getattr(challenger, base)
    s_a, s_b = getattr(champion, hits), getattr(challenger, hits)
    d = difference(s_a, n_a, s_b, n_b) if n_a and n_b else None
    enough = d is not None and min(n_a, n_b) >= MIN_PER_ARM
    return {
        "challenger": challenger.arm,
        "metric": name,
        "champion_rate": rate(s_a, n_a),
        "challenger_rate": rate(s_b, n_b),
        "difference": _fixed(d.difference) if d else None,
        "interval": [_fixed(d.low), _fixed(d.high)] if d else None,
        "confidence": "0.95",
        "enough": enough,
        "shown": bool(enough and d is not None and d.shown),
        "sentence": sentence(words, verb, challenger.arm, champion.arm, n_a, n_b, d),
    }


def _experiments(policy: Policy, accounts: pl.DataFrame, ledger: pl.DataFrame, has_end: bool) -> list[dict[str, Any]]:
    """Each challenger against its experiment's champion (the first arm listed): cure rate
    (with an end snapshot) and kept rate, each difference with Newcombe's 95 % interval."""
    per_arm = (
        accounts.filter(pl.col("experiment").is_not_null())
        .join(ledger, on="account_id", how="left")
        .group_by("experiment", "arm")
        .agg(
            accounts=pl.len(),
            cured=pl.col("cured").sum(),
            promises_due=pl.col("promises_due").fill_null(0).sum(),
            promises_kept=pl.col("promises_kept").fill_null(0).sum(),
        )
    )
    found = {(r["experiment"], r["arm"]): r for r in per_arm.iter_rows(named=True)}
    out = []
    for experiment in policy.experiments:
        tallies = []
        for arm in experiment.arms:
            row = found.get((experiment.id, arm.id), {})
            tallies.append(
                ArmTally(
                    arm.id,
                    int(row.get("accounts", 0)),
                    int(row.get("cured", 0)),
                    int(row.get("promises_due", 0)),
                    int(row.get("promises_kept", 0)),
                )
            )
        champion = tallies[0]
        metrics = _METRICS if has_end else _METRICS[1:]
        comparisons = [_compare(champion, challenger, m) for challenger in tallies[1:] for m in metrics]
        out.append(
            {
                "id": experiment.id,
                "champion": champion.arm,
                "arms": [t.as_dict(has_end) for t in tallies],
                "comparisons": comparisons,
            }
        )
    return out


def _fixed(value: float) -> str:
    return f"{value:.4f}"
