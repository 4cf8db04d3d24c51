"""The floor of a columnar call render: a chunk's dialer lines made on polars columns, against render's own.

usage: python benchmarks/render_columns.py PLANS_DIR ACCOUNTS [--accounts N] [--rounds R]

Issue 18 asks render to fill each account's fields into a layout made once per decision, as
plan does. This measures what that costs for the largest channel, the call (≈ 197k of the
≈ 284k messages of a 1M Saturday), before any of it is built into render: the first N plan
lines of PLANS_DIR whose one renderable action is a call are decoded into columns (what plan
would hand render instead of a JSON line: timed apart, as ``decode``), joined with their
snapshot rows, each script laid out once per (template, locale, decision) from the template's
own fill layout with the account's fields as string columns (money by its locale's recipe on
plain two-decimal amounts, dates and the per-key texts from small tables made in Python),
then the ``calls.csv`` and ``calls.jsonl`` lines of the whole chunk as two columns. µs of CPU
a call by stage, best of the rounds (POLARS_MAX_THREADS=1 to count as a planning worker does).

It is a measurement, not a render: the slots it knows are the bench templates' (anything
else stops it), its guards (an empty phone, an amount that is not plain digits, a cell a
spreadsheet would run) are not there — a real path would send those rows to the Python
render. Its lines are checked against what ``ChunkRenderer.render_chunk`` writes for the
same plan lines: each must be one of render's ``calls.jsonl`` lines, in render's order.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("POLARS_MAX_THREADS", "1")

import orjson
import polars as pl

from dunning.policy import require_policy
from dunning.render import batch
from dunning.render import calls as calls_channel
from dunning.templating import context as context_parts
from dunning.templating.formatting import _money_recipe, format_long_date
from dunning.templating.sandbox import TemplateSandbox

ROOT = Path(__file__).resolve().parents[1]
RENDERABLE = r'"status":[ \t\n\r\x0B\x0C]*"(?:scheduled|deferred)"'
ACTION = pl.Struct(
    {
        "id": pl.String, "channel": pl.String, "template": pl.String, "locale": pl.String,
        "not_before": pl.String, "not_after": pl.String, "status": pl.String, "priority": pl.Int64,
    }
)  # fmt: skip
OFFER = pl.Struct({"instalments": pl.Int64, "amounts": pl.List(pl.String), "first_due_date": pl.String})
PLAN = pl.Struct(
    {
        "account_id": pl.String, "dpd": pl.Int64, "jurisdiction": pl.String, "locale": pl.String,
        "timezone": pl.String, "currency": pl.String, "overdue_amount": pl.String,
        "actions": pl.List(ACTION), "offers": pl.List(OFFER),
    }
)  # fmt: skip
# (context name, first key) of a slot -> the column that holds its text
SLOTS = {
    ("account", "name"): "name", ("account", "id"): "id4", ("account", "dpd"): "dpd_text",
    ("account", "overdue_amount"): "overdue_text", ("account", "due_date"): "due_text",
    ("company", "name"): "company_name", ("company", "phone"): "company_phone",
    ("compliance", "mini_miranda"): "mini_miranda", ("offer", "instalments"): "instalments_text",
    ("offer", "instalment_amount"): "instalment_text", ("offer", "first_due_date"): "first_due_text",
}  # fmt: skip
CELLS = ("action_id", "account_id", "phone", "zone", "start_local", "end_local", "start_utc", "end_utc",
         "priority", "template", "loc", "script")  # fmt: skip


def decode(wanted: pl.DataFrame) -> pl.DataFrame:
    """The plan lines whose one renderable action is a call, as the columns a render needs."""
    plans = wanted.select(pl.col("line").str.json_decode(PLAN).alias("p")).unnest("p")
    status = pl.element().struct.field("status").is_in(["scheduled", "deferred"])
    plans = plans.with_columns(pl.col("actions").list.eval(pl.element().filter(status)).alias("renderable"))
    plans = plans.filter(pl.col("renderable").list.len() == 1)
    plans = plans.with_columns(pl.col("renderable").list.first().alias("a"))
    plans = plans.filter(pl.col("a").struct.field("channel") == "call")
    action, offer = pl.col("a").struct, pl.col("offers").list.first().struct
    return plans.select(
        "account_id", "dpd", "jurisdiction", "currency", "overdue_amount", "timezone",
        action.field("id").alias("action_id"), action.field("template").alias("template"),
        pl.coalesce(action.field("locale"), pl.col("locale")).alias("loc"),
        action.field("not_before").alias("nb"), action.field("not_after").alias("na"),
        action.field("priority").fill_null(5).cast(pl.String).alias("priority"),
        (pl.col("offers").list.len() > 0).alias("has_offer"),
        offer.field("instalments").alias("instalments"), offer.field("amounts").list.first().alias("instalment"),
        offer.field("first_due_date").alias("first_due"),
    ).with_row_index("n")  # fmt: skip


def _grouped(digits: pl.Expr) -> pl.Expr:
    return digits.str.reverse().str.replace_all(r"([0-9]{3})", "${1},").str.strip_chars_end(",").str.reverse()


def _money(column: str) -> pl.Expr:
    parts = pl.col(column).str.split_exact(".", 1)
    whole, cents = parts.struct.field("field_0"), parts.struct.field("field_1")
    return pl.concat_str([pl.col("money_prefix"), _grouped(whole), pl.lit("."), cents])


def _cell(column: str) -> pl.Expr:
    value = pl.col(column)
    formula = value.str.contains(r"^[=+\-@\t\r]") & ~value.str.contains(
        r"^(?:[+-]?[0-9]+(?:\.[0-9]+)?|\+[1-9][0-9]{6,14})$"
    )
    value = pl.when(formula).then("'" + value).otherwise(value)
    quoted = '"' + value.str.replace_all('"', '""', literal=True) + '"'
    return pl.when(value.str.contains(r'[,"\n\r]')).then(quoted).otherwise(value)


def render(
    calls: pl.DataFrame, rows: pl.DataFrame, policy: Any, sandbox: TemplateSandbox, clock: dict[str, float]
) -> tuple[int, bytes, bytes]:
    def mark(stage: str | None) -> None:
        now = time.process_time()
        if stage is not None:
            clock[stage] = clock.get(stage, 0.0) + now - clock["_"]
        clock["_"] = now

    mark(None)
    frame = calls.join(rows, on="account_id", how="left", suffix="_row")
    keys = frame.select("nb", "na", "jurisdiction", "loc", "currency").unique().rows()
    table = []
    for not_before, not_after, jurisdiction, locale, currency in keys:
        start, end = datetime.fromisoformat(not_before), datetime.fromisoformat(not_after)
        company = context_parts._company(policy, locale, jurisdiction.split("-", 1)[0])
        compliance = context_parts._compliance_shared(
            jurisdiction, "call", locale, start.date(), policy.company.unsubscribe_url
        )
        recipe = _money_recipe(locale, currency)
        assert recipe is not None
        table.append(
            (not_before, not_after, jurisdiction, locale, currency,
             *calls_channel.window_end(start)[:1], *calls_channel.window_end(end)[:1],
             calls_channel.window_end(start)[1], calls_channel.window_end(end)[1],
             company["name"], company["phone"], compliance["mini_miranda"], recipe.prefix)
        )  # fmt: skip
    names = ["nb", "na", "jurisdiction", "loc", "currency", "start_local", "end_local", "start_utc", "end_utc",
             "company_name", "company_phone", "mini_miranda", "money_prefix"]  # fmt: skip
    days = {
        (day, locale)
        for column in ("first_due", "due_date")
        for day, locale in frame.select(column, "loc").rows()
        if day
    }
    texts = pl.DataFrame(
        [(day, locale, format_long_date(date.fromisoformat(day[:10]), locale)) for day, locale in days],
        schema=["day", "loc", "text"], orient="row",
    )  # fmt: skip
    frame = frame.join(pl.DataFrame(table, schema=names, orient="row"), on=names[:5], how="left")
    for column, text in (("first_due", "first_due_text"), ("due_date", "due_text")):
        frame = frame.join(texts.rename({"day": column, "text": text}), on=[column, "loc"], how="left")
    mark("joins")
    frame = frame.with_columns(
        _money("overdue_amount").alias("overdue_text"), _money("instalment").alias("instalment_text"),
        pl.col("instalments").cast(pl.String).alias("instalments_text"), pl.col("name").fill_null(""),
        pl.col("account_id").str.slice(-4).alias("id4"), pl.col("dpd").cast(pl.String).alias("dpd_text"),
        pl.coalesce(pl.col("timezone"), pl.col("timezone_row")).alias("zone"),
    )  # fmt: skip
    mark("fields")
    parts = []
    for (template, locale, has_offer), part in frame.partition_by("template", "loc", "has_offer", as_dict=True).items():
        filler = sandbox.filler(policy.templates[template].files[locale])
        assert filler is not None
        layout = filler._layout(((0,) if has_offer else (1,)) if filler.decisions else ())
        pieces = [pl.lit(layout.texts[0])]
        for slot, text in zip(layout.slots, layout.texts[1:], strict=True):
            pieces += [pl.col(SLOTS[(slot.name, slot.lookups[0][1])]), pl.lit(text)]
        parts.append(part.with_columns((pl.concat_str(pieces).str.strip_chars("\n") + "\n").alias("script")))
    frame = pl.concat(parts).sort("n")
    mark("scripts")
    lines = frame.select(
        pl.concat_str([_cell(column) for column in CELLS], separator=",").alias("csv"),
        pl.struct([pl.col(c).alias(k) for c, k in zip(CELLS, calls_channel.COLUMNS, strict=True)])
        .struct.json_encode()
        .alias("json"),
    )
    mark("lines")
    # each file's lines as one bytes object (its UTF-8 straight from polars, not through a str)
    ended = lines.select((pl.all() + "\n").str.join("").cast(pl.Binary))
    csv, jsonl = ended.item(0, "csv"), ended.item(0, "json")
    mark("bytes")
    return frame.height, csv, jsonl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plans", type=Path)
    parser.add_argument("accounts", type=Path)
    parser.add_argument("--accounts-limit", type=int, default=10_000, help="plan lines (a planning chunk ≈ 10.5k)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    policy = require_policy(ROOT)
    sandbox = TemplateSandbox(ROOT / "templates")
    with (args.plans / "plans.jsonl").open() as handle:
        lines = [line.rstrip("\n") for _, line in zip(range(args.accounts_limit), handle, strict=False)]
    wanted = pl.DataFrame({"account_id": [orjson.loads(line)["account_id"] for line in lines], "line": lines})
    wanted = wanted.filter(pl.col("line").str.contains(RENDERABLE))
    snapshot = pl.read_csv(args.accounts, infer_schema=False, n_rows=args.accounts_limit)
    rows = snapshot.select("account_id", "name", "phone", "timezone", "due_date")
    started = time.process_time()
    calls = decode(wanted)
    decoding = time.process_time() - started
    best, clocks = float("inf"), []
    for _ in range(args.rounds):
        clock: dict[str, float] = {}
        started = time.process_time()
        count, dialer, jsonl = render(calls, rows, policy, sandbox, clock)
        spent = time.process_time() - started
        clocks.append(clock)
        best = min(best, spent)
    stages = {stage: min(c[stage] for c in clocks) / count * 1e6 for stage in clocks[0] if stage != "_"}
    # render's own lines for the same plan lines
    renderer = batch.ChunkRenderer(policy, sandbox, Path("/nonexistent"), pdf=False)
    by_id = dict(zip(snapshot.get_column("account_id").to_list(), snapshot.rows(), strict=True))
    items = [(line, by_id.get(i)) for i, line in wanted.select("account_id", "line").rows()]
    result = renderer.render_chunk(items, tuple(snapshot.columns))
    own = result.calls_jsonl.splitlines()
    own_rows = list(csv.reader(io.StringIO(result.calls_csv.decode())))
    mine, mine_rows, at = jsonl.splitlines(), list(csv.reader(io.StringIO(dialer.decode()))), 0
    for line, row in zip(mine, mine_rows, strict=True):
        while at < len(own) and own[at] != line:
            at += 1
        if at == len(own) or own_rows[at] != row:
            raise SystemExit(f"a columnar line is not render's (or out of order): {line[:200]!r}")
        at += 1
    # and the CSV's bytes: render's lines of the same rows
    if dialer != calls_channel.csv_bytes(mine_rows):
        raise SystemExit("the columnar calls.csv is not what render writes for its rows")
    # render's own CPU for the same calls (their plan lines alone, chunks of render's size), best of the rounds
    ids = set(calls.get_column("account_id").to_list())
    alone = [item for item, i in zip(items, wanted.get_column("account_id").to_list(), strict=True) if i in ids]
    shared, call = float("inf"), float("inf")
    for _ in range(args.rounds):
        spent: dict[str, int] = {}
        for start in range(0, len(alone), 500):
            for key, value in renderer.render_chunk(alone[start : start + 500], tuple(snapshot.columns)).cpu_ns.items():
                spent[key] = spent.get(key, 0) + value
        shared, call = min(shared, spent[batch.ACCOUNTS] / 1e3 / count), min(call, spent["call"] / 1e3 / count)
    figures = ", ".join(f"{stage} {us:.2f}" for stage, us in stages.items())
    print(
        f"{count} calls of {len(own)} rendered, lines identical; µs of CPU a call: {best / count * 1e6:.2f} "
        f"({figures}); decode {decoding / count * 1e6:.2f}; render's own: line and row {shared:.2f}, call"
        f" {call:.2f} (load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
