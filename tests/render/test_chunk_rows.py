"""A chunk's account rows and contexts: the tuple reader and the per-account context parts give
what the per-message path gives, and a chunk rendered a channel at a time reports its rejects
in plan order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl

from dunning.policy import require_policy
from dunning.render.account_rows import CONTEXT_UNUSED, RowReader, account_from_row, read_account_rows
from dunning.render.batch import ACCOUNTS, ChunkRenderer
from dunning.templating.context import account_context, build_context
from dunning.templating.sandbox import TemplateSandbox

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parents[2] / "examples"
COLUMNS = (
    "region", "account_id", "jurisdiction", "currency", "overdue_amount", "due_date", "name", "principal",
    "last_payment_date", "dispute", "hardship", "promise_amount", "branch",
)  # fmt: skip


def _plans() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (FIXTURES / "plan" / "plans.jsonl").read_bytes().splitlines()]


def test_row_reader_gives_the_account_the_mapping_reader_gives() -> None:
    rows: list[tuple[Any, ...]] = [
        ("east", "A-1", "US", "USD", "5.00", "2026-11-01", "Ann", "100", "2026-10-01T09:00:00", "Yes", "", "x", None),
        (None, "B-2", "CN", "CNY", "0.00", "", "", "", "not a day", "0", "TRUE", "", "SH01"),
        ("", "C-3", "US", "USD", "1e3", "2026-11-01", None, "abc", None, None, "t", "2.50", "NYC"),
    ]
    reader = RowReader(COLUMNS)
    for row in rows:
        assert reader.account(row) == account_from_row(dict(zip(COLUMNS, row, strict=True)))
    second = reader.account(rows[1])
    assert second.overdue_amount == 0 and str(second.overdue_amount) == "0"  # "0.00" is falsy: Decimal(0)
    assert second.flags == frozenset({"hardship"}) and second.extra == {"branch": "SH01"}
    assert reader.account(rows[0]).extra == {"region": "east"}  # None cells are left out, names sorted
    assert list(reader.account(rows[2]).extra) == ["branch", "region"]


def test_row_reader_on_the_fixture_snapshot() -> None:
    rows = read_account_rows(FIXTURES / "accounts.csv", [p["account_id"] for p in _plans()])
    reader = RowReader(rows.columns)
    for named, row in zip(rows.iter_rows(named=True), rows.rows(), strict=True):
        assert reader.account(row) == account_from_row(named)


def test_row_context_is_the_context_of_the_rows_account() -> None:
    # every conversion edge: empty and missing cells, "0.00" overdue (falsy: Decimal(0)), bad
    # numbers and days, an itemization with one part missing, non-text cells, extra columns
    columns = (
        *COLUMNS, "itemization_amount", "interest_since_itemization", "fees_since_itemization",
        "payments_since_itemization", "credits_since_itemization", "itemization_date", "customer_id",
    )  # fmt: skip
    item = ("100.10", "2.5", "1", "0.5", "0", "2026-01-31", "C9")
    rows: list[tuple[Any, ...]] = [
        ("east", "A-1", "US", "USD", "5.00", "2026-11-01", "Ann", "100", "2026-10-01T09:00:00", "Yes", "", "x", None,
         *item),
        (None, "B-2", "CN", "CNY", "0.00", "", "", "", "not a day", "0", "TRUE", "", "SH01", *(None,) * 7),
        ("", "C-3", "US", "USD", "1e3", "2026-11-01", None, "abc", None, None, "t", "2.50", "NYC",
         "100", None, "1", "0", "0", "bad", ""),
        ("w", None, None, None, None, None, None, None, None, None, None, None, 7, *item[:-1], 42),
    ]  # fmt: skip
    plans: list[dict[str, Any]] = [
        {"overdue_amount": "12.30", "jurisdiction": "US-MA", "timezone": "America/New_York", "currency": "USD",
         "dpd": 3},
        {"dpd": "40"},  # the plan without its own amount, jurisdiction, zone and currency: the row's
        {"overdue_amount": "7", "jurisdiction": "", "timezone": None, "dpd": 0},
    ]  # fmt: skip
    for layout in (columns, tuple(reversed(columns))):
        reader = RowReader(layout)
        for row in rows:
            ordered = row if layout == columns else tuple(reversed(row))
            account = reader.row_account(ordered)
            assert (account.account_id, account.jurisdiction) == (row[1] or "", row[2] or "")
            for plan in plans:
                for locale in ("en-US", "zh-CN"):
                    expected = account_context(plan, reader.account(ordered), locale)
                    got = account.account_context(plan, locale)
                    assert got == expected
                    assert list(got) == list(expected) and list(got["itemization"]) == list(expected["itemization"])
                    assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]
                    assert [str(v) for v in got.values()] == [str(v) for v in expected.values()]  # Decimal exponents
    # a layout without the optional columns at all
    reader = RowReader(("account_id", "jurisdiction", "currency", "overdue_amount", "due_date"))
    short = ("Z-9", "CN", "CNY", "12", "2026-10-10")
    assert reader.row_account(short).account_context(plans[1], "zh-CN") == account_context(
        plans[1], reader.account(short), "zh-CN"
    )


def test_row_context_on_the_example_and_fixture_snapshots() -> None:
    plans = _plans()
    compared = 0
    for snapshot in (FIXTURES / "accounts.csv", EXAMPLES / "accounts.csv"):
        rows = read_account_rows(snapshot, pl.read_csv(snapshot, infer_schema=False)["account_id"].to_list())
        reader = RowReader(rows.columns)
        for row in rows.rows():
            for plan in plans:  # each row with every plan line's decisions (dpd, amounts, zone)
                for locale in ("en-US", "zh-CN"):
                    expected = account_context(plan, reader.account(row), locale)
                    got = reader.row_account(row).account_context(plan, locale)
                    assert got == expected and [str(v) for v in got.values()] == [str(v) for v in expected.values()]
                    compared += 1
    assert compared > 500


def test_rows_without_the_columns_no_context_reads_give_the_same_contexts() -> None:
    snapshot = EXAMPLES / "accounts.csv"
    ids = pl.read_csv(snapshot, infer_schema=False)["account_id"].to_list()
    full = read_account_rows(snapshot, ids)
    kept = read_account_rows(snapshot, ids, drop=CONTEXT_UNUSED)
    assert kept.columns == [c for c in full.columns if c not in CONTEXT_UNUSED]
    assert "dispute" in full.columns and "locale" in full.columns and "branch" in kept.columns  # extra stays
    full_reader, kept_reader = RowReader(full.columns), RowReader(kept.columns)
    for plan in _plans():
        for whole, cut in zip(full.rows(), kept.rows(), strict=True):
            assert kept_reader.row_account(cut).account_context(plan, "zh-CN") == full_reader.row_account(
                whole
            ).account_context(plan, "zh-CN")
    empty = read_account_rows(snapshot, ["nobody"], drop=CONTEXT_UNUSED)
    assert empty.height == 0 and empty.columns == kept.columns


def test_context_parts_shared_by_a_plans_actions_equal_the_per_message_context(example_root: Path) -> None:
    policy = require_policy(example_root)
    rows = read_account_rows(FIXTURES / "accounts.csv", [p["account_id"] for p in _plans()])
    accounts = {row["account_id"]: account_from_row(row) for row in rows.iter_rows(named=True)}
    compared = 0
    for plan in _plans():
        shared: dict[str, Any] = {}
        account = accounts.get(plan["account_id"])
        if account is None:  # a plan line whose account the snapshot lacks (a reject test's case)
            continue
        row = RowReader(rows.columns).row_account(rows.row(by_predicate=pl.col("account_id") == plan["account_id"]))
        for action in plan["actions"]:
            alone = build_context(plan, action, account, policy)
            assert build_context(plan, action, account, policy, shared) == alone
            assert build_context(plan, action, row, policy) == alone
            compared += 1
    assert compared > 10


def test_a_chunk_rendered_by_channel_keeps_its_rejects_in_plan_order(example_root: Path, tmp_path: Path) -> None:
    policy = require_policy(example_root)
    renderer = ChunkRenderer(policy, TemplateSandbox(example_root / "templates"), tmp_path, pdf=False)
    plan = next(p for p in _plans() if p["account_id"] == "LN-US-0002")
    row = read_account_rows(FIXTURES / "accounts.csv", ["LN-US-0002"]).row(0, named=True)

    def line(account_id: str, *actions: tuple[str, str]) -> bytes:
        steps = [
            {**plan["actions"][0], "id": f"{account_id}-{n}", "channel": channel, "template": template}
            for n, (channel, template) in enumerate(actions)
        ]
        return orjson.dumps({**plan, "account_id": account_id, "actions": steps})

    result = renderer.render_chunk(
        [
            (line("LN-US-0002", ("email", "gone-1"), ("sms", "sms-early"), ("sms", "gone-2")), row),
            (line("LN-US-0009", ("call", "call-early")), None),
            (line("LN-US-0002", ("fax", "sms-early"), ("call", "gone-3"), ("sms", "gone-4")), row),
        ]
    )
    assert [(reject[0], reject[-1]) for reject in result.rejects] == [
        ("LN-US-0002-0", "template id 'gone-1' is not registered"),
        ("LN-US-0002-2", "template id 'gone-2' is not registered"),
        ("LN-US-0009-0", "the account is not in the accounts file"),
        (
            "LN-US-0002-0",
            "AttributeError: 'ChunkRenderer' object has no attribute '_…'",
        ),  # the channel: a context value, scrubbed
        ("LN-US-0002-1", "template id 'gone-3' is not registered"),
        ("LN-US-0002-2", "template id 'gone-4' is not registered"),
    ]
    assert result.rendered == {"sms": 1}
    assert sorted(result.cpu_ns) == [ACCOUNTS, "sms"]  # no clock entry for a channel with nothing rendered
