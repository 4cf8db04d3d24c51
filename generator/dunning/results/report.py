"""`dunning report`: what the policy achieved in a period, per group, and which arm won.

Inputs: the compiled policy, the contact history, the period ``[start, end]`` (inclusive
local dates), the start snapshot (who was in which tier, strategy and arm on the first day)
and optionally the end snapshot (who cured or rolled). Everything is counted columnar; the
definitions are in :mod:`dunning.results.definitions` and ``docs/report.md``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
from babel.numbers import get_currency_precision

from dunning.errors import UserError
from dunning.plan.backlog import ACTION_ID_REST
from dunning.policy.model import Policy
from dunning.results.cohort import KEY, assign
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
    as ``step_template``: read from the event alone, while the history is scanned (the action id
    holds the account id, which the copy does not keep); :func:`_with_template` then applies
    the account's arm."""
    parts = (
        pl.col("action_id")
        .str.strip_prefix(pl.col("account_id") + "-")
        .str.extract_groups(ACTION_ID_REST)
        .struct.rename_fields(["s", "c", "d", "due"])
    )
    return (
        events.with_columns(parts.alias("_a"))
        .unnest("_a")
        .join(_templates(policy).lazy(), on=["s", "c", "d"], how="left", build_side="force_right")
        .drop("s", "c", "d", "due")
    )


def _with_template(rows: pl.LazyFrame, policy: Policy) -> pl.LazyFrame:
    """The event's template: its own ``template`` field, else the step its ``action_id`` names
    (``step_template``), as the account's arm replaces it."""
    replacements = _replacements(policy).lazy().with_columns(pl.col("experiment", "arm", "step_template").cast(KEY))
    return (
        rows.join(replacements, on=["experiment", "arm", "step_template"], how="left", build_side="force_right")
        .with_columns(
            template=pl.coalesce(
                pl.col("template").cast(pl.String), "replacement", pl.col("step_template").cast(pl.String)
            ).cast(KEY)
        )
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
        ACCOUNT_NO, "currency", paid_on=pl.col("date"), paid=pl.col("amount")
    )
    covered = (
        promises.select("promise_no", ACCOUNT_NO, "currency", "day", "deadline")
        .join(payments, on=[ACCOUNT_NO, "currency"], how="inner")
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
    outcomes (one compact row each, numbered), the Parquet copy of their events, and the
    promises due in the period."""

    request: ReportRequest
    accounts: pl.DataFrame  # account_no (the row number), the account keys, currency, overdue, cured, rolled
    events: pl.LazyFrame  # the start accounts' readable events (the copy), by account_no
    ledger: pl.DataFrame  # promises due in the period: account_no, channel, template, kept
    rejected: int
    unreadable: int

    @property
    def has_end(self) -> bool:
        """True when an end snapshot tells cures and rolls."""
        return self.request.accounts_end is not None


ACCOUNT_NO = "account_no"


@contextmanager
def prepared(request: ReportRequest, keys: Sequence[str] | None = None) -> Iterator[Prepared]:
    """Assign the snapshots' groups, one compact row per start account (the end snapshot only
    adds its two outcomes and is let go), scan the history once into one compact Parquet copy
    of the start accounts' events (in a temporary folder, removed afterwards), and collect
    the promises due (a few per account). Memory is bounded by the accounts, never by the
    events: the history only streams, and every tabulation is a streaming query of the copy
    whose group tables hold a few small columns per account (:func:`tabulate`).
    ``keys``: the group keys the tabulations will use (default ``request.by``)."""
    _check(request)
    keys = tuple(keys if keys is not None else request.by)
    policy = request.policy
    cohort = assign(policy, request.policy_path, request.accounts, request.start, jobs=request.jobs)
    rejected = cohort.rejected
    # a row number per account: every later query joins on it, not on the id's text
    accounts = _outcome_at_end(cohort.accounts.with_row_index(ACCOUNT_NO), policy, request)
    del cohort
    with_template = "template" in keys
    derive = partial(_with_step_template, policy=policy) if with_template else None
    with tempfile.TemporaryDirectory(prefix="dunning-report-") as scratch:
        ids = accounts.select("account_id", ACCOUNT_NO)
        scan = scan_history(request.history, Path(scratch) / "history.parquet", request.end, ids, derive)
        del ids
        events = scan.events
        if ARREARS_REASON in keys:
            accounts = _arrears_reason(accounts, events, request)
        accounts = accounts.drop("account_id", "line")
        # promises and the payments that keep them: a few in a hundred events
        side = _side(keys)
        money_events = (
            events.filter(pl.col("event").is_in([PROMISE, PAYMENT]))
            .select(ACCOUNT_NO, "event", "day", "date", "amount", "currency", *side)
            .collect(engine="streaming")
        )
        ledger = (
            _ledger(money_events.lazy(), policy.settings.promise_grace_days, request.start, request.end)
            .select(ACCOUNT_NO, *side, "kept")
            .collect()
        )
        del money_events
        try:
            yield Prepared(request, accounts, events, ledger, rejected, scan.unreadable)
        except pl.exceptions.PolarsError as exc:
            raise UserError(f"{request.history}: the history file cannot be read ({type(exc).__name__})") from None


# Aggregations over the events run on polars' streaming engine: memory follows the groups,
# never the ten million events. An account's flags (had an attempt, a delivery, a
# conversation, a promise) need one row per account and event group; every other count and
# sum is aggregated straight into the (few) groups.

_FLAGS = {
    "accounts_attempted": pl.col("event").is_in(sorted(ATTEMPTS)),
    "accounts_reached": pl.col("event").is_in(sorted(DELIVERED)),
    "accounts_right_party": pl.col("event").is_in(sorted(RIGHT_PARTY)),
    "accounts_promised": pl.col("event") == PROMISE,
}
_SUMS = {
    "attempts": pl.col("event").is_in(sorted(ATTEMPTS)),
    "delivered": pl.col("event").is_in(sorted(DELIVERED)),
    "right_party_contacts": pl.col("event") == "right_party_contact",
    "promises": pl.col("event") == PROMISE,
    "payments": pl.col("event") == PAYMENT,
}
_ANY = tuple(_FLAGS)


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _side(keys: Sequence[str]) -> list[str]:
    """The event columns a tabulation by ``keys`` reads: the channel (each attempt's cost
    needs it) and, by template, the event's own and its step's."""
    return ["channel", "template", "step_template"] if "template" in keys else ["channel"]


def _with_keys(prep: Prepared, rows: pl.LazyFrame, keys: Sequence[str], extra: Sequence[str] = ()) -> pl.LazyFrame:
    """``rows`` (by ``account_no``) with their account's keys and ``extra`` columns, and, by
    template, their template as the account's arm replaces it."""
    wanted = [k for k in keys if k in ACCOUNT_KEYS]
    by_template = "template" in keys
    if by_template:
        wanted += ["experiment", "arm"]
    people = prep.accounts.lazy().select(ACCOUNT_NO, *_unique([*wanted, *extra]))
    # the account table is the build side: left to polars, it built on the ten million events
    # (1 GiB more)
    joined = rows.join(people, on=ACCOUNT_NO, how="inner", build_side="force_right")
    return _with_template(joined, prep.request.policy) if by_template else joined


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Categorical columns as text (the group tables are small; keys sort as text)."""
    return frame.with_columns(pl.col(pl.Categorical).cast(pl.String))


def tabulate(prep: Prepared, by: Sequence[str]) -> list[dict[str, Any]]:
    """The groups of ``by`` (each a dict in the JSON contract's shape), sorted by key."""
    request = prep.request
    keys = list(by)
    period = in_period(prep.events, request.start, request.end)
    # 1. counts and sums straight into (group, channel, account currency, payment currency)
    payment = pl.col("event") == PAYMENT
    sums = _as_text(
        _with_keys(
            prep,
            period.select(
                ACCOUNT_NO,
                *_side(keys),
                *(flag.alias(name) for name, flag in _SUMS.items()),
                pay_currency=pl.when(payment).then(pl.col("currency")),
                pay_amount=pl.when(payment).then(pl.col("amount")),
            ),
            keys,
            ["currency"],
        )
        .group_by(_unique([*keys, "channel", "currency", "pay_currency"]))
        .agg(*(pl.col(name).sum() for name in _SUMS), paid=pl.col("pay_amount").sum())
        .collect(engine="streaming")
    )
    # 2. the members: every start account (account keys only), else each account once per
    # event group it had an event in, or a promise due; with their flags and outcomes
    members = _members(prep, period, keys)
    ledger = _with_keys(prep, prep.ledger.lazy(), keys)
    promise_counts = _as_text(
        ledger.group_by(keys).agg(promises_due=pl.len(), promises_kept=pl.col("kept").sum()).collect()
    )
    totals = (
        members.group_by(keys)
        .agg(pl.col("accounts", *_ANY, "cured", "rolled").sum())
        .join(sums.group_by(keys).agg(pl.col(*_SUMS).sum()), on=keys, how="left", nulls_equal=True)
        .join(promise_counts, on=keys, how="left", nulls_equal=True)
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in COUNTS)
        .sort(keys, nulls_last=True)
    )
    groups = {
        _key_tuple(row, keys): Group({k: row[k] for k in keys}, {c: int(row[c]) for c in COUNTS})
        for row in totals.iter_rows(named=True)
    }
    _add_money(groups, members, sums, request.policy, keys)
    return [_group_dict(g, prep.has_end) for g in groups.values()]


def _members(prep: Prepared, period: pl.LazyFrame, keys: list[str]) -> pl.DataFrame:
    """Per group and account currency: the members (``accounts``), how many had each kind of
    event (``accounts_*``), cured and rolled, and their overdue amount at the start.

    An account's flags are one row per account and event group (a million rows for ten
    million events, two to three million by channel): grouped on the account's number and
    the event's categorical columns before the account's keys join them, so the group table
    holds a few bytes per row; only by template (an arm's replacement can merge two steps'
    templates) are they grouped again after the join."""
    event_keys = [k for k in keys if k in EVENT_KEYS]
    side = [c for c in _side(keys) if c in event_keys or c == "step_template"]
    flags = period.select(ACCOUNT_NO, *side, *(flag.alias(name) for name, flag in _FLAGS.items()))
    outcome = ["currency", "overdue", "cured", "rolled"]
    if not event_keys:
        per_account = flags.group_by(ACCOUNT_NO).agg(pl.col(*_ANY).any())
        rows = (
            prep.accounts.lazy()
            .select(ACCOUNT_NO, *keys, *outcome)
            .join(per_account, on=ACCOUNT_NO, how="left", build_side="force_right")
            .with_columns(pl.col(*_ANY).fill_null(False))
        )
    else:
        no_flags = [pl.lit(False).alias(name) for name in _ANY]
        due = prep.ledger.lazy().select(ACCOUNT_NO, *side, *no_flags)
        per_account = pl.concat([flags, due]).group_by(ACCOUNT_NO, *side).agg(pl.col(*_ANY).any())
        if "template" in keys:
            per_account = _with_keys(prep, per_account, keys).group_by(ACCOUNT_NO, *keys).agg(pl.col(*_ANY).any())
            rows = per_account.join(
                prep.accounts.lazy().select(ACCOUNT_NO, *outcome), on=ACCOUNT_NO, how="inner", build_side="force_right"
            )
        else:
            rows = _with_keys(prep, per_account, keys, outcome)
    return _as_text(
        rows.group_by(_unique([*keys, "currency"]))
        .agg(
            pl.len().alias("accounts"),
            *(pl.col(name).sum() for name in _ANY),
            pl.col("cured", "rolled").cast(pl.Int64).sum(),
            pl.col("overdue").sum(),
        )
        .collect(engine="streaming")
    )


def weeks(prep: Prepared) -> list[dict[str, Any]]:
    """The whole book's activity and contact rates week by week (7-day steps from the first
    day; the last week may be shorter), for the trend charts."""
    request = prep.request
    period = in_period(prep.events, request.start, request.end).select(
        ACCOUNT_NO,
        ((pl.col("day") - request.start).dt.total_days() // 7).cast(pl.Int64).alias("week"),
        *(flag.alias(name) for name, flag in _SUMS.items()),
        *(flag.alias(name) for name, flag in _FLAGS.items()),
    )
    sums = period.group_by("week").agg(pl.col(*_SUMS).sum()).collect(engine="streaming")
    flags = (
        period.group_by("week", ACCOUNT_NO)
        .agg(pl.col(*_ANY).any())
        .group_by("week")
        .agg(pl.col(*_ANY).sum())
        .collect(engine="streaming")
    )
    totals = sums.join(flags, on="week", how="left")
    found = {row["week"]: row for row in totals.iter_rows(named=True)}
    out = []
    n_weeks = (request.end - request.start).days // 7 + 1
    for week in range(n_weeks):
        first = request.start + timedelta(days=7 * week)
        last = min(first + timedelta(days=6), request.end)
        row = found.get(week, {})
        counts = {c: int(row.get(c) or 0) for c in COUNTS if c not in _NOT_WEEKLY}
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
    ledger_per_account = prep.ledger.group_by(ACCOUNT_NO).agg(promises_due=pl.len(), promises_kept=pl.col("kept").sum())
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


# How many places a rejection names (the count says how many there are in all).
_PLACES_SHOWN = 3


def _arrears_reason(accounts: pl.DataFrame, events: pl.LazyFrame, request: ReportRequest) -> pl.DataFrame:
    """The reason for arrears on the first day: the latest ``arrears_reason`` event on or
    before it (a collector learnt it in a conversation; the word is in its ``reason`` field;
    of two on one day, the later line), else the snapshot's column, else ``unknown``.

    A word outside the vocabulary (the documented words and the policy's own) is refused with
    where it stands (the stricter reading, docs/report.md): it may name a reason that marks
    the customer vulnerable, ``unknown`` would misstate it, and the plan pauses such an
    account rather than guess. The word itself is never repeated (account-supplied text)."""
    learnt = (
        events.filter(
            (pl.col("event") == ARREARS_REASON) & (pl.col("day") <= request.start) & pl.col("reason").is_not_null()
        )
        .group_by(ACCOUNT_NO)
        .agg(
            learnt_reason=pl.col("reason").sort_by("day", "line").last(),
            learnt_line=pl.col("line").sort_by("day", "line").last(),
        )
        .collect(engine="streaming")
    )
    found = accounts.join(learnt, on=ACCOUNT_NO, how="left").with_columns(
        arrears_reason=pl.coalesce("learnt_reason", pl.col("arrears_reason").cast(pl.String)).fill_null("unknown")
    )
    vocabulary = sorted(request.policy.arrears_reasons)
    outside = found.filter(~pl.col("arrears_reason").is_in(vocabulary))
    if outside.height:
        places = [
            f"{request.history} line {learnt_line}" if learnt_line is not None else f"{request.accounts} line {line}"
            for learnt_line, line in outside.sort("account_no").select("learnt_line", "line").head(_PLACES_SHOWN).rows()
        ]
        more = f" and {outside.height - len(places)} more" if outside.height > len(places) else ""
        raise UserError(
            f"{'; '.join(places)}{more}: the reason for arrears is not a word of the vocabulary nor of the "
            f"policy's arrears_reasons: (data/arrears-reason-unknown, {outside.height} start account(s)); "
            "the report does not group by a word it cannot place",
            hint="correct the word, or declare it in the policy's arrears_reasons: section (docs/data.md)",
        )
    return found.drop("learnt_reason", "learnt_line").with_columns(pl.col("arrears_reason").cast(KEY))


def _outcome_at_end(accounts: pl.DataFrame, policy: Policy, request: ReportRequest) -> pl.DataFrame:
    """``cured`` and ``rolled`` per start account from the end snapshot (0 without one): cured
    when the account is no longer overdue (overdue amount 0, or not in the end snapshot, which
    lists the overdue book); rolled when the policy puts it in a later tier on the last day.
    The end snapshot's own rows are let go once these two columns are known."""
    if request.accounts_end is None:
        return accounts.with_columns(cured=pl.lit(0, pl.UInt8), rolled=pl.lit(0, pl.UInt8))
    later = assign(policy, request.policy_path, request.accounts_end, request.end, jobs=request.jobs).accounts
    end = later.select("account_id", end_overdue=pl.col("overdue"), end_order=pl.col("tier_order"))
    del later
    joined = accounts.join(end, on="account_id", how="left", maintain_order="left")
    del end
    return joined.with_columns(
        cured=(pl.col("end_overdue").is_null() | (pl.col("end_overdue") == 0)).cast(pl.UInt8),
        rolled=(
            pl.col("end_order").is_not_null()
            & (pl.col("end_overdue") > 0)
            & (pl.col("tier_order").is_null() | (pl.col("end_order") > pl.col("tier_order")))
        ).cast(pl.UInt8),
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
    members: pl.DataFrame,
    sums: pl.DataFrame,
    policy: Policy,
    keys: list[str],
) -> None:
    """Paid (payments in the period, in their own currency), cost (each attempt at the unit
    cost the policy declares for its channel, in the account's currency) and the overdue
    amount at the start, per group and currency."""
    paid = sums.filter(pl.col("payments") > 0)
    currencies = sorted(set(members.get_column("currency").drop_nulls().unique().to_list()))
    costs = (
        sums.filter(pl.col("attempts") > 0)
        .join(_cost_table(policy, currencies), on=["channel", "currency"], how="inner")
        .with_columns(cost=pl.col("unit_cost") * pl.col("attempts").cast(pl.Decimal(38, 0)))
    )
    for target, found in (
        ("paid", _sum_by(paid, keys, "pay_currency", "paid")),
        ("cost", _sum_by(costs, keys, "currency", "cost")),
        ("overdue", _sum_by(members, keys, "currency", "overdue")),
    ):
        for key, by_currency in found.items():
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
        .join(ledger, on=ACCOUNT_NO, how="left")
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
